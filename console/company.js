// The company's own pages: Keywords and numbers, the Stop list, Company settings and Users.
// Each offers a change only to whom the API allows it (admins for numbers, settings and
// users); the API checks again.
import * as api from "./api.js";
import { field, form, h, input, notice, page, pager, select, statusBox, table } from "./ui.js";

const kinds = [["short_code", "Short code"], ["virtual", "Virtual number"]];

export async function numbersPage() {
  const [numbers, keywords, groups] = await Promise.all([api.all("/api/v1/numbers"),
    api.all("/api/v1/keywords"), api.all("/api/v1/groups")]);
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const parts = [
    table([["Number", (n) => n.number], ["Kind", (n) => (kinds.find(([k]) => k === n.kind) || [, n.kind])[1]],
      ["Bind", (n) => n.bind ?? "any"], ["Reply to unmatched texts", (n) => n.default_reply],
      ["Help reply", (n) => n.help_reply]], numbers, { caption: "Numbers and short codes" }),
    table([["Keyword", (k) => k.keyword], ["Number", (k) => k.number],
      ["Joins", (k) => h("a", { href: `#/groups/${k.group_id}/keywords` }, groupName.get(k.group_id) ?? `group ${k.group_id}`)],
      ["Opt-in reply", (k) => k.optin_message]], keywords, { caption: "Keywords (add one on its group's Keywords tab)" }),
  ];
  if (api.isAdmin()) {
    const number = input({ type: "tel", autocomplete: "off" });
    const kind = select(kinds, "short_code");
    const bind = input({ autocomplete: "off" });
    parts.push(h("h2", {}, "Add a number"), form([field("Number", "number", number, "A short code (4040) or an international number"),
      field("Kind", "kind", kind), field("Bind", "bind", bind, "The SMSC link it is served on; empty: any")], "Add number", async () => {
      const body = { number: number.value, kind: kind.value };
      if (bind.value) body.bind = bind.value;
      await api.post("/api/v1/numbers", body);
      location.reload();
    }));
  }
  page("Keywords and numbers", ...parts);
}

export async function stopsPage() {
  const status = statusBox();
  const columns = [["Number", (s) => s.number],
    ["How", (s) => ({ sms: "Texted a stop word", api: "Added here or by the API", import: "Imported" }[s.source] || s.source)]];
  if (api.isAdmin()) {  // lifting a stop is for admins
    columns.push(["", (s) => h("button", {
      type: "button", class: "small", "aria-label": `Lift the stop on ${s.number}`,
      onclick: async () => {
        if (!confirm(`Lift the stop on ${s.number}? Only do this when they asked to receive messages again.`)) return;
        try {
          await api.del(`/api/v1/suppressions/${encodeURIComponent(s.number)}`);
          status.replaceChildren(notice(`${s.number} may receive messages again.`));
          list.reload();
        } catch (e) {
          status.replaceChildren(notice(e.message, "bad"));
        }
      },
    }, "Lift")]);
  }
  const list = pager((cursor) => api.get(`/api/v1/suppressions${api.query({ cursor, limit: 50 })}`),
    (items) => table(columns, items, { caption: "Numbers that receive no company message" }));
  const number = input({ type: "tel", autocomplete: "off" });
  const f = form([field("Number", "number", number)], "Add to the stop list", async () => {
    await api.post("/api/v1/suppressions", { number: number.value });
    number.value = "";
    list.reload();
  });
  page("Stop list", status, f, list);
}

const lines = (a) => a.join(", ");
const words = (s) => s.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

export async function settingsPage() {
  const c = await api.get("/api/v1/company");
  const canEdit = me().role === "company_admin";
  const name = input({ value: c.name });
  const stop = input({ value: lines(c.stop_words) });
  const start = input({ value: lines(c.start_words) });
  const matching = select([["first_word", "The first word"], ["whole_message", "The whole message"]], c.stop_matching);
  const stopReply = h("textarea", { rows: 2 }, c.stop_reply);
  const startReply = h("textarea", { rows: 2 }, c.start_reply);
  const helpReply = h("textarea", { rows: 2 }, c.help_reply);
  const defaultReply = h("textarea", { rows: 2 }, c.default_reply ?? "");
  const key = select([["number", "Number"], ["name", "Name"], ["email", "Email"], ["alias", "Alias"],
    ["publicid", "Public Id"], ["systemid", "System Id"]], c.contact_key);
  const senders = input({ value: lines(c.sender_ids || []) });
  const status = statusBox();
  const f = form([field("Company name", "name", name), field("Stop words", "stop_words", stop, "e.g. STOP, UNSUBSCRIBE"),
    field("Start words", "start_words", start), field("A stop word counts when it is", "stop_matching", matching),
    field("Reply to a stop", "stop_reply", stopReply), field("Reply to a start", "start_reply", startReply),
    field("Reply to HELP", "help_reply", helpReply), field("Reply to texts nothing matched", "default_reply", defaultReply),
    field("Contacts are matched on import by", "contact_key", key), field("Sender ids", "sender_ids", senders, "Alphanumeric senders, comma-separated")],
  "Save", async () => {
    await api.patch("/api/v1/company", {
      name: name.value, stop_words: words(stop.value), start_words: words(start.value), stop_matching: matching.value,
      stop_reply: stopReply.value, start_reply: startReply.value, help_reply: helpReply.value,
      default_reply: defaultReply.value, contact_key: key.value, sender_ids: senders.value.split(",").map((s) => s.trim()).filter(Boolean),
    });
    status.replaceChildren(notice("Saved."));
  });
  if (!canEdit) for (const el of f.elements) el.disabled = true;
  page("Company settings", status, f);
}

const me = () => api.me.user || {};
const roles = [["user", "User"], ["group_admin", "Group admin"], ["company_admin", "Company admin"]];

export async function usersPage() {
  const list = pager((cursor) => api.get(`/api/v1/users${api.query({ cursor, limit: 50 })}`),
    (items) => table([["Username", (u) => u.username], ["Name", (u) => u.name],
      ["Role", (u) => (roles.find(([r]) => r === u.role) || [, u.role])[1]], ["Number", (u) => u.number ?? ""]], items));
  const parts = [list];
  if (api.isAdmin()) {
    const username = input({ autocomplete: "off", autocapitalize: "none" });
    const name = input({ autocomplete: "off" });
    const password = input({ type: "password", autocomplete: "new-password" });
    const role = select(me().role === "company_admin" ? roles : roles.slice(0, 2), "user");
    parts.push(h("h2", {}, "Add a user"), form([field("Username", "username", username), field("Name", "name", name),
      field("Password", "password", password, "At least 8 characters"), field("Role", "role", role)], "Add user", async () => {
      await api.post("/api/v1/users", { username: username.value, name: name.value, password: password.value, role: role.value });
      location.reload();
    }));
  }
  page("Users", ...parts);
}
