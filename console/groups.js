// Groups: the list, a group's properties, its Membership tab (contacts, users and groups;
// add and remove), its Keywords tab, Export (the CSV file) and Import (upload, merge mode
// and key, every line the file was refused for).
import * as api from "./api.js";
import { domainsById } from "./contacts.js";
import { debounce, field, form, h, input, latest, notice, page, pager, select, stale, statusBox, table, tabs } from "./ui.js";

const types = [["contacts_only", "Contacts only"], ["users_only", "Users only"],
  ["users_and_contacts", "Users and contacts"]];
const typeName = (t) => (types.find(([v]) => v === t) || [t, t])[1];

export async function groupsPage() {
  const domains = await domainsById();
  const search = input({ type: "search", placeholder: "Name or alias", autocomplete: "off" });
  const list = h("div");
  const columns = [["Name", (g) => g.name], ["Alias", (g) => g.alias ?? ""], ["Type", (g) => typeName(g.type)],
    ["Public Id", (g) => g.public_id ?? ""], ["System Id", (g) => g.system_id],
    ["Domain", (g) => domains.get(g.domain_id)?.name ?? ""]];
  const show = () => list.replaceChildren(pager(
    (cursor) => api.get(`/api/v1/groups${api.query({ q: search.value.trim(), cursor, limit: 25 })}`),
    (items) => table(columns, items, { href: (g) => `#/groups/${g.id}` })));
  search.addEventListener("input", debounce(show, 200));
  const canAdd = [...domains.values()].some((d) => d.my_access.level === "editor");
  page("Groups", h("div", { class: "toolbar" }, field("Search", "q", search),
    canAdd ? h("a", { class: "button", href: "#/groups/new" }, "Add group") : null), list);
  show();
}

export async function groupPage(which, tab) {
  const creating = which === "new";
  const domains = await domainsById();
  const group = creating ? null : await api.get(`/api/v1/groups/${which}`);
  const canEdit = creating || domains.get(group.domain_id)?.my_access.level === "editor";
  const base = `#/groups/${which}`;
  const head = creating ? [] : [
    h("p", {}, h("a", { href: "#/groups" }, "← Groups")),
    tabs([["Properties", base], ["Membership", `${base}/members`], ["Keywords", `${base}/keywords`],
      ...(canEdit ? [["Import", `${base}/import`]] : [])], tab ? `${base}/${tab}` : base),
    h("p", { class: "toolbar" }, h("a", {
      class: "button", href: `/api/v1/groups/${which}/export`, download: `${group.name}.csv`,
    }, "Export")),
  ];
  const title = creating ? "Add group" : group.name;
  if (tab === "members") return page(title, ...head, await membership(group, canEdit));
  if (tab === "keywords") return page(title, ...head, await keywords(group, canEdit));
  if (tab === "import") return page(title, ...head, importForm(group));
  return page(title, ...head, properties(group, domains, canEdit));
}

function properties(group, domains, canEdit) {
  const editable = [...domains.values()].filter((d) => d.my_access.level === "editor");
  const name = input({ value: group?.name ?? "", autocomplete: "off" });
  const alias = input({ value: group?.alias ?? "", autocomplete: "off" });
  const publicId = input({ value: group?.public_id ?? "", autocomplete: "off" });
  const type = select(types, group?.type ?? "contacts_only", { disabled: !!group });
  const domainList = group && !canEdit ? [domains.get(group.domain_id)] : editable;
  const domain = select(domainList.map((d) => [d.id, d.name]),
    group?.domain_id ?? editable.find((d) => d.kind === "shared")?.id);
  const status = statusBox();
  const fields = [field("Name", "name", name), field("Type", "type", type),
    field("Alias", "alias", alias, "Letters, digits, - _ and ."), field("Public Id", "public_id", publicId),
    field("Security domain", "domain_id", domain)];
  if (group) {
    const c = group.member_counts || {};
    fields.push(h("p", { class: "hint" },
      `System Id: ${group.system_id} · ${c.contacts ?? 0} contacts, ${c.users ?? 0} users, ${c.groups ?? 0} groups`));
  }
  const f = form(fields, group ? "Save" : "Add group", async () => {
    if (!group) {
      const body = { name: name.value, type: type.value, domain_id: Number(domain.value) };
      if (alias.value) body.alias = alias.value;
      if (publicId.value) body.public_id = publicId.value;
      const saved = await api.post("/api/v1/groups", body);
      location.hash = `#/groups/${saved.id}/members`;
      return;
    }
    await api.patch(`/api/v1/groups/${group.id}`, {
      name: name.value, alias: alias.value || null, public_id: publicId.value || null,
      domain_id: Number(domain.value),
    });
    status.replaceChildren(notice("Saved."));
  });
  if (!canEdit) for (const el of f.elements) el.disabled = true;
  const remove = group && canEdit ? h("button", {
    type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Delete the group ${group.name}? Its contacts are kept.`)) return;
      try {
        await api.del(`/api/v1/groups/${group.id}`);
        location.hash = "#/groups";
      } catch (e) {
        status.replaceChildren(notice(e.message, "bad"));
      }
    },
  }, "Delete group") : null;
  return h("div", {}, status, f, remove);
}

async function membership(group, canEdit) {
  const list = h("div");
  const status = statusBox();
  const columns = [["Name", (m) => m.name || m.number || ""], ["Type", (m) => m.type], ["Number", (m) => m.number ?? ""]];
  if (canEdit) {
    columns.push(["", (m) => h("button", {
      type: "button", class: "small", "aria-label": `Remove ${m.name || m.number}`,
      onclick: async () => {
        try {
          await api.del(`/api/v1/groups/${group.id}/members/${m.type}/${m.id}`);
          status.replaceChildren(notice(`${m.name || m.number} left the group.`));
          show();
          status.focus?.();
        } catch (e) {
          status.replaceChildren(notice(e.message, "bad"));
        }
      },
    }, "Remove")]);
  }
  const href = (m) => (m.type === "contact" ? `#/contacts/${m.id}` : m.type === "group" ? `#/groups/${m.id}/members` : null);
  const show = () => list.replaceChildren(pager(
    (cursor) => api.get(`/api/v1/groups/${group.id}/members${api.query({ cursor, limit: 50 })}`),
    (items) => table(columns, items, { href, caption: "Members you can see" })));
  show();
  return h("div", {}, status, canEdit ? adder(group, status, show) : null, list);
}

// Adds members by searching contacts, groups and (for groups that take them) users.
function adder(group, status, reload) {
  let everyone = null;  // the company's users, read once
  const users = async () => { everyone = everyone || await api.all("/api/v1/users"); return everyone; };
  const q = input({ type: "search", placeholder: group.type === "contacts_only" ? "Find a contact or group" : "Find a contact, user or group", autocomplete: "off" });
  const results = h("ul", { class: "suggestions", "aria-label": "Suggestions" });
  const offered = statusBox();
  const onlyNewest = latest();
  const add = async (kind, item) => {
    await api.post(`/api/v1/groups/${group.id}/members`, { [kind]: [item.id] });
    status.replaceChildren(notice(`${item.name || item.username || item.number} joined the group.`));
    q.value = "";
    results.replaceChildren();
    reload();
  };
  const search = async (text) => {
    const found = [];
    if (group.type !== "users_only") {
      for (const c of (await api.get(`/api/v1/contacts${api.query({ q: text, limit: 8 })}`)).items) {
        found.push(["contacts", c, `${c.name || c.number} · ${c.number}`]);
      }
    }
    for (const g of (await api.get(`/api/v1/groups${api.query({ q: text, limit: 5 })}`)).items) {
      if (g.id !== group.id) found.push(["groups", g, `${g.name} (group)`]);
    }
    if (group.type !== "contacts_only") {
      const t = text.toLowerCase();
      for (const u of (await users()).filter((x) => `${x.username} ${x.name}`.toLowerCase().includes(t)).slice(0, 5)) {
        found.push(["users", u, `${u.name || u.username} (user)`]);
      }
    }
    return found;
  };
  q.addEventListener("input", debounce(async () => {
    const text = q.value.trim();
    const found = await onlyNewest(() => (text ? search(text) : []));
    if (found === stale || text !== q.value.trim()) return;
    results.replaceChildren(...found.map(([kind, item, label]) =>
      h("li", {}, h("button", { type: "button", onclick: () => add(kind, item).catch((e) => status.replaceChildren(notice(e.message, "bad"))) }, `Add ${label}`))));
    offered.textContent = text ? `${found.length} suggestion${found.length === 1 ? "" : "s"}` : "";
  }, 200));
  return h("div", { class: "adder" }, field("Add a member", "member", q), results, offered);
}

async function keywords(group, canEdit) {
  const items = await api.all(`/api/v1/keywords?group_id=${group.id}`);
  const numbers = canEdit ? await api.all("/api/v1/numbers").catch(() => []) : [];
  const keyword = input({ autocomplete: "off" });
  const number = select(numbers.map((n) => [n.id, n.number]), numbers[0]?.id);
  const optin = h("textarea", { rows: 2 });
  const optout = h("textarea", { rows: 2 });
  const help = h("textarea", { rows: 2 });
  const tail = select([["unmatched", "Treat the message as unmatched"], ["ignore", "Ignore it and join"]], "unmatched");
  const heading = h("h2", {}, "Add a keyword");
  let editing = null;  // the keyword being changed, or null for a new one
  const edit = (k) => {
    editing = k;
    heading.textContent = `Change ${k.keyword}`;
    keyword.value = k.keyword;
    number.value = String(k.number_id);
    number.disabled = true;  // a keyword stays on its number: delete it and add another
    optin.value = k.optin_message;
    optout.value = k.optout_message;
    help.value = k.help_message;
    tail.value = k.tail;
    f.querySelector("button[type=submit]").textContent = "Save keyword";
    keyword.focus();
  };
  const columns = [["Keyword", (k) => k.keyword], ["Number", (k) => k.number],
    ["Opt-in reply", (k) => k.optin_message], ["Opt-out reply", (k) => k.optout_message],
    ["Help reply", (k) => k.help_message], ["Text after it", (k) => (k.tail === "ignore" ? "ignored" : "unmatched")]];
  if (canEdit) {
    columns.push(["", (k) => h("span", { class: "actions" },
      h("button", { type: "button", class: "small", "aria-label": `Change ${k.keyword}`, onclick: () => edit(k) }, "Change"),
      h("button", {
        type: "button", class: "small", "aria-label": `Delete ${k.keyword}`,
        onclick: async () => {
          if (!confirm(`Delete the keyword ${k.keyword} on ${k.number}? Texts of it will no longer join ${group.name}.`)) return;
          await api.del(`/api/v1/keywords/${k.id}`);
          location.reload();
        },
      }, "Delete"))]);
  }
  const list = table(columns, items, { caption: "Keywords that add people to this group" });
  if (!canEdit) return list;
  const f = form([field("Keyword", "keyword", keyword), field("Number", "number_id", number),
    field("Opt-in reply", "optin_message", optin, "Empty: the company's default"), field("Opt-out reply", "optout_message", optout),
    field("Help reply", "help_message", help), field("Text after the keyword", "tail", tail)], "Add keyword", async () => {
    const body = { keyword: keyword.value, optin_message: optin.value, optout_message: optout.value,
      help_message: help.value, tail: tail.value };
    if (editing) {
      await api.patch(`/api/v1/keywords/${editing.id}`, body);
    } else {
      for (const k of ["optin_message", "optout_message", "help_message"]) if (!body[k]) delete body[k];
      await api.post("/api/v1/keywords", { ...body, number_id: Number(number.value), group_id: group.id });
    }
    location.reload();
  });
  return h("div", {}, list, heading, f);
}

function importForm(group) {
  const file = h("input", { type: "file", accept: ".csv,text/csv" });
  const merge = h("input", { type: "checkbox", checked: true });
  const key = select([["", "The company's contact key"], ["number", "Number"], ["name", "Name"],
    ["email", "Email"], ["alias", "Alias"], ["publicid", "Public Id"], ["systemid", "System Id"]], "");
  const result = statusBox();
  const f = form([field("CSV file", "file", file),
    h("div", { class: "field" }, h("label", { class: "check" }, merge, " Merge mode: add and update; keep members not in the file")),
    field("Match contacts by", "key", key)], "Import", async () => {
    result.replaceChildren();
    const data = new FormData();
    data.set("merge", merge.checked ? "true" : "false");
    if (key.value) data.set("key", key.value);
    if (file.files[0]) data.set("file", file.files[0]);
    try {
      const r = await api.upload(`/api/v1/groups/${group.id}/import`, data);
      result.replaceChildren(notice(`Imported ${r.rows} rows: ${r.created} created, ${r.updated} updated, ` +
        `${r.unchanged} unchanged, ${r.added_to_groups} added to groups, ${r.removed_from_group ?? 0} removed from the group.`));
    } catch (e) {
      if (e.code !== "import_refused") throw e;
      const errors = e.body.errors || [];
      const more = (e.body.error_count ?? errors.length) - errors.length;
      result.replaceChildren(h("div", {}, notice("The file was refused; nothing changed.", "bad"),
        table([["Line", (x) => x.line], ["Column", (x) => x.column || ""], ["Reason", (x) => x.reason]], errors,
          { caption: "Rows to fix" }),
        more > 0 ? h("p", {}, `… and ${more} more.`) : null));
    }
  });
  return h("div", {}, h("p", {}, `Import contacts into ${group.name}. `,
    "Columns: Number, Name, Alias, Email, Public Id, Group (pipe-delimited), and the domain's tags."), f, result);
}

