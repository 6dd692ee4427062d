// The admin API as the console calls it: JSON over fetch with the session cookie, and the
// session's CSRF token on every request that changes something. The console holds no rules
// of its own: what the API refuses, the page shows.

let csrf = null;
let signedOut = () => {};

/** Who is signed in ({id, username, name, role, company}), or null. */
export const me = { user: null };

/** An answer other than 2xx: its status, code, message and per-field details. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the gateway answered ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.details = error.details || [];
    this.body = body;
  }
}

/** Called when a request finds the session gone (expired or signed out elsewhere). */
export function onSignedOut(f) {
  signedOut = f;
}

async function send(method, path, { json, form } = {}, retried = false) {
  const headers = { "X-Requested-With": "smsgw-console", Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, { method, headers, body, credentials: "same-origin" });
  const text = res.status === 204 ? "" : await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: { message: text } };
    }
  }
  if (!res.ok) {
    // Another tab signed in again: this tab's token is stale. Read the session's current
    // token and try once more.
    if (res.status === 403 && data?.error?.code === "csrf_failed" && !retried && (await session())) {
      return send(method, path, { json, form }, true);
    }
    if (res.status === 401 && path !== "/api/v1/session") {
      csrf = null;
      me.user = null;
      signedOut();
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

export const get = (path) => send("GET", path);
export const post = (path, json) => send("POST", path, { json });
export const patch = (path, json) => send("PATCH", path, { json });
export const put = (path, json) => send("PUT", path, { json });
export const del = (path) => send("DELETE", path);
export const upload = (path, form) => send("POST", path, { form });

/** Whether the signed-in user is a company or group admin. */
export const isAdmin = () => ["company_admin", "group_admin"].includes(me.user?.role);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The signed-in session ({user, csrf_token}), or null. */
export async function session() {
  try {
    const s = await get("/api/v1/session");
    csrf = s.csrf_token;
    me.user = s.user;
    return s;
  } catch (e) {
    if (e.status === 401 || e.status === 404) return null;
    throw e;
  }
}

export async function signIn(username, password) {
  const s = await post("/api/v1/session", { username, password });
  csrf = s.csrf_token;
  me.user = s.user;
  return s;
}

export async function signOut() {
  try {
    await del("/api/v1/session");
  } finally {
    csrf = null;
    me.user = null;
  }
}

/** Every item of a paged list (for the short lists a form offers: domains, groups). */
export async function all(path, limit = 1000) {
  const items = [];
  let cursor = "";
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    if (!page.next_cursor) return items;
    cursor = page.next_cursor;
  }
}
