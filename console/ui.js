// Small DOM helpers: elements from data (never from HTML strings, so nothing a user typed is
// ever read as markup), forms whose fields show the API's messages beside them, tables,
// tabs and paged lists.

/** An element: h("a", {href: "#/x"}, "text", child, ...). `on*` attributes are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if ((k === "href" || k === "src") && !/^(#|\/|[a-z0-9._-]+(\.[a-z]+)?$|[?])/i.test(String(v))) {
      throw new Error(`refused link ${String(v).slice(0, 40)}`);  // never javascript: or another site
    }
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

let ids = 0;

/**
 * A labelled field: input (or select/textarea) named `name`, with a place for its error
 * (aria-describedby) that showErrors fills.
 */
export function field(label, name, control, hint) {
  const id = `f${++ids}`;
  control.id = id;
  control.name = name;
  const error = h("span", { class: "error", id: `${id}-error`, "data-error-for": name });
  control.setAttribute("aria-describedby", hint ? `${id}-hint ${id}-error` : `${id}-error`);
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null, error);
}

export const input = (attrs = {}) => h("input", { type: "text", ...attrs });

export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map(([v, label]) =>
    h("option", { value: String(v), selected: String(v) === String(value) }, label)));
}

/** Clears the messages of a form. */
export function clearErrors(form) {
  for (const e of form.querySelectorAll("[data-error-for]")) e.textContent = "";
  for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
  const top = form.querySelector(".form-error");
  if (top) top.textContent = "";
}

/**
 * Shows an ApiError on a form: each detail beside its field (`tags.city` beside `tags`),
 * the rest (and the message) at the top. Focuses the first field in error.
 */
export function showErrors(form, err) {
  clearErrors(form);
  const loose = [];
  let first = null;
  for (const d of err.details || []) {
    const name = String(d.field || "").split(/[.[]/)[0];
    const slot = name && form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}; ${d.reason}` : d.reason;
      const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    } else if (d.reason) {
      loose.push(d.field ? `${d.field}: ${d.reason}` : d.reason);
    }
  }
  const top = form.querySelector(".form-error");
  if (top) top.textContent = loose.length ? loose.join("; ") : first ? "" : err.message;
  (first || top)?.focus?.();
}

/** A form with a place for its overall error and a submit button. */
export function form(children, submitLabel, onsubmit) {
  const f = h("form", { novalidate: true }, h("p", { class: "form-error", role: "alert", tabindex: "-1" }),
    children, h("div", { class: "actions" }, h("button", { type: "submit" }, submitLabel)));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const button = f.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onsubmit(f);
    } catch (e) {
      if (e && e.status) showErrors(f, e);
      else throw e;
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

/** A table: columns [[heading, row => cell], ...]; `onrow` makes rows links. */
export function table(columns, rows, { caption, href } = {}) {
  return h("div", { class: "table-wrap" }, h("table", {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, rows.length === 0
      ? h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, "Nothing here yet."))
      : rows.map((r) => h("tr", {}, columns.map(([, cell], i) => {
        const content = cell(r);
        return h("td", {}, i === 0 && href ? h("a", { href: href(r) }, content) : content);
      }))))));
}

/** Tabs as links (each tab its own address): [[label, href], ...], `current` the active one. */
export function tabs(items, current) {
  return h("nav", { class: "tabs", "aria-label": "Sections" }, items.map(([label, href]) =>
    h("a", { href, "aria-current": href === current ? "page" : null }, label)));
}

/** The page's heading and body; moves focus for screen readers and keyboards. */
export function page(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", {}, title), ...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} · smsgw`;
  main.focus({ preventScroll: true });
}

export function notice(text, kind = "ok") {
  return h("p", { class: `notice ${kind}` }, text);
}

/** A place for notices that screen readers announce when it changes (it must already be on
 * the page when its content changes, so it is made once, with the page). */
export function statusBox() {
  return h("div", { role: "status", "aria-live": "polite" });
}

/** A stale answer (a newer request was made since): see latest(). */
export const stale = Symbol("stale");

/**
 * Runs async work so that only the newest call's answer counts: search as you type must not
 * let a slow answer to "Ma" overwrite the answer to "Mary". An older call resolves `stale`.
 */
export function latest() {
  let newest = 0;
  return async (work) => {
    const mine = ++newest;
    const answer = await work();
    return mine === newest ? answer : stale;
  };
}

/** Calls `f` at most once per `ms` of quiet (search as you type). */
export function debounce(f, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}

/** A paged list: `load(cursor)` gives {items, next_cursor}; `render(items)` the content. */
export function pager(load, render) {
  const box = h("div", { class: "pager" });
  const said = statusBox();
  const cursors = [""];
  let at = 0;
  const only = latest();
  async function show(focus) {
    for (const b of box.querySelectorAll(".actions button")) b.disabled = true;
    let pageData;
    try {
      pageData = await only(() => load(cursors[at]));
    } catch (e) {
      if (e.status === 401) return;
      box.replaceChildren(h("p", { class: "form-error", role: "alert" }, e.message), said);
      return;
    }
    if (pageData === stale) return;
    if (pageData.next_cursor && cursors.length === at + 1) cursors.push(pageData.next_cursor);
    const move = (by) => { at += by; show(by > 0 ? "next" : "prev"); };
    const prev = h("button", { type: "button", disabled: at === 0, onclick: () => move(-1) }, "Previous");
    const next = h("button", { type: "button", disabled: !pageData.next_cursor, onclick: () => move(1) }, "Next");
    box.replaceChildren(render(pageData.items), h("div", { class: "actions" }, prev, next), said);
    if (focus) {
      said.textContent = `Page ${at + 1}`;
      (focus === "next" && !next.disabled ? next : prev.disabled ? next : prev).focus();
    }
  }
  box.reload = () => { cursors.length = 1; at = 0; return show(); };
  show();
  return box;
}
