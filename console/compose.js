// Compose: recipients by autocomplete (contacts, groups, raw numbers) with a group's members
// one click away, the sender number, the text with a live character and SMS-part counter
// (the gateway's own encoder answers: POST /api/v1/messages/preview), then the send's result
// and each recipient's status as receipts arrive.
import * as api from "./api.js";
import { debounce, field, form, h, input, latest, notice, page, select, stale, statusBox, table } from "./ui.js";

const statusNames = {
  queued: "Queued", submitting: "Sending", submitted: "Sent to the carrier", delivered: "Delivered",
  failed: "Failed", expired: "Expired", in_doubt: "In doubt (not resent)", suppressed: "Not sent: texted STOP",
};
const final = ["delivered", "failed", "expired", "in_doubt", "suppressed"];

export async function composePage() {
  const numbers = await api.all("/api/v1/numbers").catch(() => []);
  const company = await api.get("/api/v1/company").catch(() => null);
  const senders = [...numbers.map((n) => n.number), ...(company?.sender_ids || [])];
  const chosen = [];  // {kind: "contacts"|"groups"|"numbers", id, label}
  const chips = h("ul", { class: "chips", "aria-label": "Recipients" });
  const members = h("div");
  const drawChips = () => chips.replaceChildren(...chosen.map((r, i) => h("li", {},
    r.kind === "groups"
      ? h("button", { type: "button", class: "link", title: "Show the members", onclick: () => showMembers(r) }, r.label)
      : h("span", {}, r.label),
    h("button", { type: "button", class: "small", "aria-label": `Remove ${r.label}`, onclick: () => { chosen.splice(i, 1); drawChips(); } }, "×"))));

  async function showMembers(g) {
    const page1 = await api.get(`/api/v1/groups/${g.id}/members?limit=100`);
    members.replaceChildren(h("div", {}, h("h2", {}, `Members of ${g.label}`),
      table([["Name", (m) => m.name || m.number || ""], ["Type", (m) => m.type], ["Number", (m) => m.number ?? ""]], page1.items,
        { href: (m) => (m.type === "contact" ? `#/contacts/${m.id}` : m.type === "group" ? `#/groups/${m.id}/members` : null) }),
      page1.next_cursor ? h("p", {}, h("a", { href: `#/groups/${g.id}/members` }, "All members…")) : null));
  }

  const to = input({ type: "search", autocomplete: "off", placeholder: "Name, group, alias, tag or number" });
  const suggestions = h("ul", { class: "suggestions", id: "to-suggestions", "aria-label": "Suggestions" });
  const offered = statusBox();
  let offeredFor = null;  // the text the suggestions on screen answer
  const onlyNewest = latest();
  const pick = (r) => {
    if (!chosen.some((c) => c.kind === r.kind && c.id === r.id)) chosen.push(r);
    to.value = "";
    suggestions.replaceChildren();
    offeredFor = null;
    drawChips();
    to.focus();
  };
  to.addEventListener("input", debounce(async () => {
    const q = to.value.trim();
    const answer = await onlyNewest(() => (q ? Promise.all([
      api.get(`/api/v1/contacts${api.query({ q, limit: 8 })}`), api.get(`/api/v1/groups${api.query({ q, limit: 5 })}`)]) : null));
    if (answer === stale || q !== to.value.trim()) return;
    if (!answer) {
      offeredFor = null;
      return suggestions.replaceChildren();
    }
    const [contacts, groups] = answer;
    const options = [
      ...groups.items.map((g) => ({ kind: "groups", id: g.id, label: `${g.name} (group)` })),
      ...contacts.items.map((c) => ({ kind: "contacts", id: c.id, label: c.name ? `${c.name} · ${c.number}` : c.number })),
    ];
    if (/^\+?[0-9][0-9 ()-]{4,}$/.test(q)) options.push({ kind: "numbers", id: q, label: `The number ${q}` });
    suggestions.replaceChildren(...options.map((o) => h("li", {},
      h("button", { type: "button", onclick: () => pick(o) }, o.label))));
    offeredFor = q;
    offered.textContent = `${options.length} suggestion${options.length === 1 ? "" : "s"}`;
  }, 200));
  to.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();  // Enter takes the first suggestion for what is typed, never sends
      if (offeredFor === to.value.trim()) suggestions.querySelector("button")?.click();
    }
  });

  const from = select(senders.map((s) => [s, s]), senders[0]);
  const text = h("textarea", { rows: 5 });
  const counter = h("p", { class: "hint", id: "counter", "aria-live": "polite" }, "0 characters, 1 SMS");
  const countNewest = latest();
  text.addEventListener("input", debounce(async () => {
    try {
      const p = await countNewest(() => api.post("/api/v1/messages/preview", { text: text.value }));
      if (p === stale) return;
      counter.textContent = `${p.units} ${p.encoding === "gsm" ? "characters (GSM)" : "characters (Unicode: UCS-2)"}, ` +
        `${p.parts} SMS${p.parts > 1 ? ` of up to ${p.per_part}` : ""}`;
    } catch (e) {
      counter.textContent = e.message;
    }
  }, 150));

  const result = statusBox();
  const f = form([
    h("div", { class: "field" }, h("label", { for: "to" }, "To"), chips, Object.assign(to, { id: "to", name: "to" }), suggestions,
      offered, h("span", { class: "error", id: "to-error", "data-error-for": "to" })),
    field("From", "from", from), field("Message", "text", text), counter,
  ], "Send", async () => {
    const body = { from: from.value, text: text.value, to: { contacts: [], groups: [], numbers: [] } };
    for (const r of chosen) body.to[r.kind].push(r.id);
    const sent = await api.post("/api/v1/messages", body);
    chosen.length = 0;
    drawChips();
    text.value = "";
    follow(sent, result);
  });
  to.setAttribute("aria-describedby", "to-error");
  text.setAttribute("aria-describedby", `${text.getAttribute("aria-describedby")} counter`);
  page("Compose", f, members, result);
}

// The send's result, then each recipient's status, refreshed until none is still moving.
async function follow(sent, box) {
  const left = sent.left_out;
  const why = [["suppressed", "texted STOP"], ["not_visible", "not visible to you"], ["invalid", "invalid numbers"],
    ["duplicate", "duplicates"]].filter(([k]) => left[k] > 0).map(([k, t]) => `${left[k]} ${t}`);
  const head = notice(`Sent to ${sent.recipients} recipient${sent.recipients === 1 ? "" : "s"}` +
    (why.length ? `; left out: ${why.join(", ")}.` : "."));
  const list = h("div");
  box.replaceChildren(head, list);
  // Until every recipient on the first page is final, for at most two minutes, and only
  // while this send is the one on the screen.
  for (let i = 0; i < 120 && list.isConnected; ++i) {
    const status = await api.get(`/api/v1/messages/${sent.id}?limit=100`);
    if (!list.isConnected) return;
    list.replaceChildren(table([["Number", (r) => r.number], ["Status", (r) => statusNames[r.status] || r.status],
      ["Detail", (r) => r.error ?? ""]], status.items, { caption: "Recipients" }),
    status.next_cursor ? h("p", { class: "hint" }, "The first 100 recipients are shown.") : h("span"));
    if (status.items.every((r) => final.includes(r.status))) return;
    await new Promise((r) => { setTimeout(r, 1000); });
  }
}
