// The inbound log: every MO with the decision taken on it, newest first.
import * as api from "./api.js";
import { h, page, pager, table } from "./ui.js";

const decisions = {
  opt_in: "Joined", opt_out: "Left", keyword_help: "Help", company_help: "Help",
  company_stop: "Stopped", company_start: "Started", unmatched: "Unmatched",
  redelivered: "Redelivered (nothing done twice)", refused: "Refused",
};

export async function inboundPage() {
  const columns = [["Received", (m) => new Date(m.received_at).toLocaleString()],
    ["From", (m) => m.source], ["To", (m) => m.destination], ["Text", (m) => m.text],
    ["Decision", (m) => decisions[m.decision] || m.decision], ["Reason", (m) => m.reason ?? ""]];
  page("Inbound log", pager(
    (cursor) => api.get(`/api/v1/inbound${api.query({ cursor, limit: 50 })}`),
    (items) => table(columns, items, { caption: "Messages received, newest first" })));
}
