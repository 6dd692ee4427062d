// Security domains: the list, a domain's properties and visible columns, its Accesses tab
// (every user's effective level, "(Default)" where no grant of their own set it, the grants
// with add, change and remove) and merging a custom domain into another.
import * as api from "./api.js";
import { field, form, h, input, notice, page, select, statusBox, table, tabs } from "./ui.js";

const levels = [["viewer", "Viewer"], ["editor", "Editor"], ["none", "None"]];
const levelName = (l) => (levels.find(([v]) => v === l) || [l, l])[1];
const kinds = { shared: "Shared", personal: "Personal", user: "User", custom: "Custom" };
const standard = ["name", "number", "alias", "email", "public_id", "system_id"];

export async function domainsPage() {
  const domains = await api.all("/api/v1/domains");
  page("Security domains",
    h("div", { class: "toolbar" }, h("a", { class: "button", href: "#/domains/new" }, "Add domain")),
    table([["Name", (d) => d.name], ["Kind", (d) => kinds[d.kind] || d.kind],
      ["Your access", (d) => `${levelName(d.my_access.level)}${d.my_access.default ? " (Default)" : ""}`],
      ["Tags", (d) => d.properties.join(", ")]], domains, { href: (d) => `#/domains/${d.id}` }));
}

export async function domainPage(which, tab) {
  if (which === "new") return page("Add domain", h("p", {}, h("a", { href: "#/domains" }, "← Security domains")), newDomain());
  const d = await api.get(`/api/v1/domains/${which}`);
  const base = `#/domains/${which}`;
  const canEdit = d.my_access.level === "editor";
  const head = [h("p", {}, h("a", { href: "#/domains" }, "← Security domains")),
    tabs([["Properties", base], ["Accesses", `${base}/accesses`],
      ...(canEdit && d.kind === "custom" ? [["Merge", `${base}/merge`]] : [])], tab ? `${base}/${tab}` : base)];
  if (tab === "accesses") return page(d.name, ...head, await accesses(d));
  if (tab === "merge") return page(d.name, ...head, await merge(d));
  return page(d.name, ...head, properties(d, canEdit));
}

function newDomain() {
  const name = input({ autocomplete: "off" });
  return form([field("Name", "name", name)], "Add domain", async () => {
    const d = await api.post("/api/v1/domains", { name: name.value });
    location.hash = `#/domains/${d.id}`;
  });
}

function properties(d, canEdit) {
  const name = input({ value: d.name, disabled: d.kind !== "custom" });
  const tags = input({ value: d.properties.join(", "), autocomplete: "off" });
  const columns = h("fieldset", { class: "checks" }, h("legend", {}, "Columns on the Contacts page"),
    [...standard, ...d.properties].map((c) => h("label", {},
      h("input", { type: "checkbox", name: "visible_columns", value: c, checked: d.visible_columns.includes(c) }), ` ${c}`)),
    h("span", { class: "error", "data-error-for": "visible_columns" }));
  const status = statusBox();
  const f = form([field("Name", "name", name), field("Tags", "properties", tags, "Comma-separated, e.g. city, team"), columns],
    "Save", async () => {
      const body = {
        properties: tags.value.split(",").map((t) => t.trim()).filter(Boolean),
        visible_columns: [...columns.querySelectorAll("input:checked")].map((c) => c.value),
      };
      if (d.kind === "custom") body.name = name.value;
      await api.patch(`/api/v1/domains/${d.id}`, body);
      status.replaceChildren(notice("Saved."));
    });
  if (!canEdit) for (const el of f.elements) el.disabled = true;
  const remove = canEdit && d.kind === "custom" ? h("button", {
    type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Delete the domain ${d.name}? Only an empty domain can go.`)) return;
      try {
        await api.del(`/api/v1/domains/${d.id}`);
        location.hash = "#/domains";
      } catch (e) {
        status.replaceChildren(notice(e.message, "bad"));
      }
    },
  }, "Delete domain") : null;
  return h("div", {}, status, f, remove);
}

async function accesses(d) {
  const [list, users, groups] = await Promise.all([api.get(`/api/v1/domains/${d.id}/accesses`),
    api.all("/api/v1/users"), api.all("/api/v1/groups")]);
  const userName = new Map(users.map((u) => [u.id, u.name || u.username]));
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const canGrant = d.my_access.level === "editor" || api.isAdmin();
  const status = statusBox();
  const grantee = (g) => (g.user_id ? `user:${g.user_id}` : `group:${g.group_id}`);
  const grantRows = table([["Grantee", (g) => (g.user_id ? userName.get(g.user_id) ?? `user ${g.user_id}` : `${groupName.get(g.group_id) ?? `group ${g.group_id}`} (group)`)],
    ["Level", (g) => levelName(g.level)],
    ...(canGrant && d.kind !== "personal" ? [["", (g) => h("button", {
      type: "button", class: "small", "aria-label": `Remove the grant`,
      onclick: async () => {
        try {
          await api.del(`/api/v1/domains/${d.id}/accesses/${grantee(g)}`);
          location.reload();
        } catch (e) {
          status.replaceChildren(notice(e.message, "bad"));
        }
      },
    }, "Remove")]] : [])], list.grants, { caption: "Grants on this domain" });
  const effective = table([["User", (a) => userName.get(a.user_id) ?? a.user_id],
    ["Access", (a) => `${levelName(a.level)}${a.default ? " (Default)" : ""}`]],
  list.items, { caption: "What each user may do here" });
  let adder = null;
  if (canGrant && d.kind !== "personal") {
    const who = select([...users.map((u) => [`user:${u.id}`, u.name || u.username]),
      ...groups.filter((g) => g.type !== "contacts_only").map((g) => [`group:${g.id}`, `${g.name} (group)`])], "");
    const level = select(levels, "editor");
    adder = form([field("User or group", "grantee", who), field("Access", "level", level)], "Add Access", async () => {
      await api.put(`/api/v1/domains/${d.id}/accesses/${who.value}`, { level: level.value });
      location.reload();
    });
  }
  return h("div", {}, status, effective, grantRows, adder ? h("h2", {}, "Add or change access") : null, adder);
}

async function merge(d) {
  const others = (await api.all("/api/v1/domains")).filter((x) => x.id !== d.id && x.my_access.level === "editor");
  const into = select(others.map((x) => [x.id, x.name]), others[0]?.id);
  const result = statusBox();
  const f = form([h("p", {}, `Moves every contact and group of ${d.name} into the domain you choose, then deletes ${d.name}. `,
    "A contact whose number is already there is folded into that contact."), field("Merge into", "into", into)],
  "Merge", async () => {
    if (!confirm(`Merge ${d.name} into ${into.selectedOptions[0]?.text}?`)) return;
    const r = await api.post(`/api/v1/domains/${d.id}/merge`, { into: Number(into.value) });
    result.replaceChildren(notice(`Merged: ${r.moved_contacts} contacts moved, ${r.folded_contacts} folded, ${r.moved_groups} groups moved.`));
    setTimeout(() => { location.hash = `#/domains/${r.into}`; }, 1500);
  });
  return h("div", {}, f, result);
}
