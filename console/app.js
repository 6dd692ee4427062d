// The console's shell: sign-in, the navigation, and the page for each address (#/contacts,
// #/groups/7/members, ...). Every page is a function of the address, so the browser's back
// button, bookmarks and reloads work.
import * as api from "./api.js";
import { field, form, h, input, page } from "./ui.js";
import { contactsPage, contactPage } from "./contacts.js";
import { groupsPage, groupPage } from "./groups.js";
import { inboundPage } from "./logs.js";
import { domainsPage, domainPage } from "./domains.js";
import { composePage } from "./compose.js";
import { numbersPage, settingsPage, stopsPage, usersPage } from "./company.js";

const me = api.me;
const everyone = () => true;

const pages = [
  // [address, page, label in the navigation (none: not in it), who finds it there]
  [/^#\/contacts$/, contactsPage, "Contacts", everyone],
  [/^#\/contacts\/(new|\d+)$/, contactPage],
  [/^#\/groups$/, groupsPage, "Groups", everyone],
  [/^#\/groups\/(new|\d+)(?:\/(members|keywords|import))?$/, groupPage],
  [/^#\/compose$/, composePage, "Compose", everyone],
  [/^#\/domains$/, domainsPage, "Security domains", everyone],
  [/^#\/domains\/(new|\d+)(?:\/(accesses|merge))?$/, domainPage],
  [/^#\/numbers$/, numbersPage, "Keywords and numbers", everyone],
  [/^#\/inbound$/, inboundPage, "Inbound log", api.isAdmin],
  [/^#\/stops$/, stopsPage, "Stop list", everyone],
  [/^#\/settings$/, settingsPage, "Company settings", api.isAdmin],
  [/^#\/users$/, usersPage, "Users", everyone],
];

function navigation() {
  const nav = document.getElementById("nav");
  nav.replaceChildren(h("ul", {}, pages.filter((p) => p[2] && p[3]()).map(([re, , label]) => {
    const href = re.source.replace(/^\^|\$$/g, "").replace(/\\\//g, "/");
    return h("li", {}, h("a", { href }, label));
  })));
  highlight();
}

function highlight() {
  for (const a of document.querySelectorAll("#nav a")) {
    const here = location.hash === a.getAttribute("href") ||
      location.hash.startsWith(`${a.getAttribute("href")}/`);
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// One page is drawn at a time: an address that changes while a page loads is drawn once that
// page is done, so a slow page never draws over a newer one.
let drawing = false;
let changed = false;
let onScreen = null;  // the address last drawn ("" is #/contacts); null once something else is

async function route() {
  if (!me.user) return;
  if (location.hash && !location.hash.startsWith("#/")) return;  // an anchor (the skip link)
  if (drawing) {
    changed = true;
    return;
  }
  drawing = true;
  try {
    do {
      changed = false;
      const hash = location.hash || "#/contacts";
      // The address catching up with the page on screen ("" becoming #/contacts after the
      // sign-in) draws nothing again: a second drawing would replace the page under the user's
      // hands, a search they had begun typing with it.
      if (hash === onScreen) break;
      onScreen = hash;
      await draw(hash);
    } while (changed && me.user);
  } finally {
    drawing = false;
  }
}

async function draw(hash) {
  highlight();
  document.getElementById("nav").classList.remove("open");
  document.getElementById("menu-toggle").setAttribute("aria-expanded", "false");
  for (const [re, show] of pages) {
    const m = hash.match(re);
    if (m) {
      try {
        await show(...m.slice(1));
      } catch (e) {
        if (e.status !== 401) page("Something went wrong", h("p", { class: "form-error" }, e.message));
      }
      return;
    }
  }
  location.replace("#/contacts");
}

function signedIn(session) {
  me.user = session.user;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = `${session.user.name || session.user.username} · ${session.user.company.name}`;
  navigation();
  route();
}

function signInPage(message) {
  onScreen = null;
  document.getElementById("top").hidden = true;
  const username = input({ autocomplete: "username", required: true, autocapitalize: "none" });
  const password = input({ type: "password", autocomplete: "current-password", required: true });
  const f = form([field("Username", "username", username), field("Password", "password", password)],
    "Sign in", async () => {
      const s = await api.signIn(username.value, password.value);
      password.value = "";
      signedIn(s);
    });
  f.classList.add("sign-in");
  page("Sign in to smsgw", message ? h("p", { class: "notice" }, message) : null, f);
  username.focus();
}

api.onSignedOut(() => signInPage("Your session has ended. Sign in again."));

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("sign-out").addEventListener("click", async () => {
    try {
      await api.signOut();
    } catch (e) {
      if (e.status !== 401) {
        document.getElementById("main").prepend(h("p", { class: "form-error", role: "alert" },
          `Not signed out: ${e.message}. Close the browser to be sure.`));
        return;
      }
    }
    signInPage("You are signed out.");
  });
  document.querySelector(".skip").addEventListener("click", (ev) => {
    ev.preventDefault();
    document.getElementById("main").focus();
  });
  const toggle = document.getElementById("menu-toggle");
  toggle.addEventListener("click", () => {
    const open = document.getElementById("nav").classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  const s = await api.session();
  if (s) signedIn(s);
  else signInPage();
});
