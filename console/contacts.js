// Contacts: the list with search as you type and the columns the domains show, and the
// contact's form (create and edit), every refusal of the API beside its field.
import * as api from "./api.js";
import { debounce, field, form, h, input, notice, page, pager, select, statusBox, table } from "./ui.js";

const titles = {
  name: "Name", number: "Number", alias: "Alias", email: "Email",
  public_id: "Public Id", system_id: "System Id",
};

/** The caller's domains by id (every page of them). */
export async function domainsById() {
  const byId = new Map();
  for (const d of await api.all("/api/v1/domains")) byId.set(d.id, d);
  return byId;
}

function columnsFor(domains, chosen) {
  // A chosen domain's columns; otherwise every column any visible domain shows, in order.
  const lists = chosen ? [domains.get(Number(chosen))?.visible_columns || []]
    : [...domains.values()].map((d) => d.visible_columns);
  const out = ["name", "number"];
  for (const list of lists) for (const c of list) if (!out.includes(c)) out.push(c);
  return out;
}

function cell(contact, column, domains) {
  const d = domains.get(contact.domain_id);
  if (column !== "name" && column !== "number" && d && !d.visible_columns.includes(column)) return "";
  if (column === "name") return contact.name || "(no name)";  // the row's link needs a text
  if (column in titles) return contact[column] ?? "";
  return contact.tags?.[column] ?? "";
}

export async function contactsPage() {
  const domains = await domainsById();
  const search = input({ type: "search", placeholder: "Name, alias, number or tag", autocomplete: "off" });
  const domain = select([["", "All domains"], ...[...domains.values()].map((d) => [d.id, d.name])], "");
  const list = h("div");
  const show = () => {
    const columns = columnsFor(domains, domain.value).map((c) =>
      [titles[c] || c, (r) => cell(r, c, domains)]);
    columns.push(["Domain", (r) => domains.get(r.domain_id)?.name ?? ""]);
    const render = (items) => table(columns, items, { href: (r) => `#/contacts/${r.id}` });
    list.replaceChildren(pager(
      (cursor) => api.get(`/api/v1/contacts${api.query({ q: search.value.trim(), domain: domain.value, cursor, limit: 25 })}`),
      render));
  };
  search.addEventListener("input", debounce(show, 200));
  domain.addEventListener("change", show);
  const canAdd = [...domains.values()].some((d) => d.my_access.level === "editor");
  page("Contacts",
    h("div", { class: "toolbar" },
      field("Search", "q", search), field("Security domain", "domain", domain),
      canAdd ? h("a", { class: "button", href: "#/contacts/new" }, "Add contact") : null),
    list);
  show();
}

/** Text inputs for a domain's properties (tags). */
function tagFields(domain, tags) {
  return (domain?.properties || []).map((p) =>
    field(p, `tag:${p}`, input({ value: tags?.[p] ?? "" })));
}

export async function contactPage(which) {
  const creating = which === "new";
  const domains = await domainsById();
  const contact = creating ? null : await api.get(`/api/v1/contacts/${which}`);
  const editable = [...domains.values()].filter((d) => d.my_access.level === "editor");
  const own = contact ? domains.get(contact.domain_id) : null;
  const canEdit = creating || own?.my_access.level === "editor";
  const groups = await api.all("/api/v1/groups");

  const v = (k) => contact?.[k] ?? "";
  const name = input({ value: v("name"), maxlength: 69, autocomplete: "off" });
  const number = input({ type: "tel", value: v("number"), autocomplete: "off" });
  const alias = input({ value: v("alias"), autocomplete: "off" });
  const email = input({ type: "email", value: v("email"), autocomplete: "off" });
  const publicId = input({ value: v("public_id"), autocomplete: "off" });
  const domainOptions = (canEdit ? editable : [own]).map((d) => [d.id, d.name]);
  const domainId = contact?.domain_id ?? editable.find((d) => d.kind === "shared")?.id ?? editable[0]?.id;
  const domain = select(domainOptions, domainId);
  const tags = h("div", { class: "tags" }, tagFields(domains.get(Number(domain.value)), contact?.tags));
  const tagErrors = h("span", { class: "error", "data-error-for": "tags" });
  domain.addEventListener("change", () => tags.replaceChildren(...tagFields(domains.get(Number(domain.value)), {})));

  const groupBox = h("fieldset", { class: "checks" }, h("legend", {}, "Groups"),
    groups.map((g) => h("label", {}, h("input", {
      type: "checkbox", name: "groups", value: String(g.id),
      checked: contact ? contact.groups.includes(g.id) : false,
      disabled: !creating,
    }), ` ${g.name}`)),
    h("span", { class: "error", "data-error-for": "groups" }),
    creating ? null : h("span", { class: "hint" }, "Change memberships on a group's Membership tab."));

  const fields = [
    field("Name", "name", name), field("Number", "number", number, "International, e.g. +61412345678"),
    field("Alias", "alias", alias), field("Email", "email", email),
    field("Public Id", "public_id", publicId), field("Security domain", "domain_id", domain),
    tags, tagErrors, groupBox,
  ];
  if (contact) fields.push(h("p", { class: "hint" }, `System Id: ${contact.system_id}`));

  const body = () => {
    const out = {
      name: name.value, number: number.value, alias: alias.value, email: email.value,
      public_id: publicId.value, domain_id: Number(domain.value), tags: {},
    };
    for (const el of tags.querySelectorAll("input")) out.tags[el.name.slice(4)] = el.value;
    if (creating) {
      out.groups = [...groupBox.querySelectorAll("input:checked")].map((c) => Number(c.value));
      for (const k of ["alias", "email", "public_id", "name"]) if (!out[k]) delete out[k];
    }
    return out;
  };

  const status = statusBox();
  const f = form(fields, creating ? "Add contact" : "Save", async () => {
    const saved = creating ? await api.post("/api/v1/contacts", body())
      : await api.patch(`/api/v1/contacts/${which}`, body());
    const warnings = (saved.warnings || []).map((w) => w.message || w);
    if (creating) location.hash = `#/contacts/${saved.id}`;
    else status.replaceChildren(notice(["Saved.", ...warnings].join(" ")));
  });
  if (!canEdit) for (const el of f.elements) el.disabled = true;
  const remove = !creating && canEdit ? h("button", {
    type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Delete ${contact.name || contact.number}?`)) return;
      try {
        await api.del(`/api/v1/contacts/${which}`);
        location.hash = "#/contacts";
      } catch (e) {
        status.replaceChildren(notice(e.message, "bad"));
      }
    },
  }, "Delete contact") : null;
  page(creating ? "Add contact" : contact.name || contact.number,
    h("p", {}, h("a", { href: "#/contacts" }, "← Contacts")), status, f, remove);
}
