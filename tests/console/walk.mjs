// Walks the web console in Debian's chromium (headless, driven by puppeteer-core) as a person
// would: clicks, typing, file uploads, what is on the screen. The C++ test (console_test.cpp)
// runs the daemon, PostgreSQL and the simulator, seeds the data, runs each step of this
// script (`node walk.mjs URL STEP`) and injects MOs between steps. A failed check exits 1
// with what was expected and what was on the page; screenshots of each page go to
// $SMSGW_SCREENSHOTS.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import puppeteer from "puppeteer-core";

const [, , base, step] = process.argv;
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const shots = process.env.SMSGW_SCREENSHOTS || "";
const password = (user) => `${user}-password`;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Root in a container has no user namespaces for chromium's sandbox.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  userDataDir: mkdtempSync(join(tmpdir(), "smsgw-chromium-")),
});

// Every answer the console gets must carry the policy; every cookie, its flags.
const headerProblems = [];
const consoleErrors = [];
const pages = [];
// Each page its own browser context: its own cookies, as two people on two browsers.
async function newPage(width = 1200) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  pages.push(page);
  await page.setViewport({ width, height: 800 });
  page.setDefaultTimeout(15000);
  page.on("response", (res) => {
    const url = res.url();
    if (!url.startsWith(base)) return;
    const h = res.headers();
    const csp = h["content-security-policy"] || "";
    if (!csp.includes("script-src 'self'") || !csp.includes("frame-ancestors 'none'") || csp.includes("unsafe-inline")) {
      headerProblems.push(`${res.status()} ${url}: Content-Security-Policy "${csp}"`);
    }
    if (h["x-content-type-options"] !== "nosniff") headerProblems.push(`${url}: no nosniff`);
    const cookie = h["set-cookie"];
    if (cookie) {
      for (const flag of ["HttpOnly", "SameSite=Strict", "Path=/"]) {
        if (!cookie.includes(flag)) headerProblems.push(`${url}: cookie without ${flag}: ${cookie}`);
      }
    }
  });
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  return page;
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const text = (page) => page.$eval("main", (m) => m.innerText);
async function waitText(page, wanted) {
  try {
    await page.waitForFunction((w) => document.querySelector("main")?.innerText.includes(w), {}, wanted);
  } catch {
    assert.fail(`"${wanted}" never appeared; the page shows:\n${await text(page)}`);
  }
}
async function waitGone(page, unwanted) {
  await page.waitForFunction((w) => !document.querySelector("main")?.innerText.includes(w), {}, unwanted);
}
async function idle(page) {
  await page.waitForNetworkIdle({ idleTime: 300 });
}
async function go(page, hash) {
  await page.goto(`${base}/console/${hash}`, { waitUntil: "networkidle0" });
}
// What is on the screen is waited for (the pages load their data after they appear).
async function find(page, xpath, what) {
  try {
    return await page.waitForSelector(`xpath/${xpath}`, { visible: true });
  } catch {
    return assert.fail(`no ${what} on the page:\n${await text(page)}`);
  }
}
async function fieldNamed(page, label) {
  // The label and its control found in one step: a page drawn again in between has new ids.
  try {
    const handle = await page.waitForFunction((l) => {
      const found = [...document.querySelectorAll("label")].find((x) => x.textContent.trim() === l && x.htmlFor);
      const control = found && document.getElementById(found.htmlFor);
      return control && control.offsetParent !== null ? control : null;
    }, {}, label);
    return handle.asElement();
  } catch {
    return assert.fail(`no field labelled ${label} on the page:\n${await text(page)}`);
  }
}
async function fill(page, label, value) {
  const el = await fieldNamed(page, label);
  await el.click({ clickCount: 3 });
  await el.evaluate((e) => { e.value = ""; });
  await el.type(value);
}
async function choose(page, label, optionText) {
  const el = await fieldNamed(page, label);
  const value = await el.evaluate((s, t) => [...s.options].find((o) => o.text === t)?.value, optionText);
  assert.ok(value !== undefined, `no option ${optionText} in ${label}`);
  await el.select(value);
}
async function click(page, role, name) {
  await (await find(page, `.//${role}[normalize-space(.)="${name}"]`, `${role} "${name}"`)).click();
}
const errorBeside = (page, label) => page.evaluate((l) => {
  const lab = [...document.querySelectorAll("label")].find((x) => x.textContent.trim() === l);
  return document.getElementById(`${lab.htmlFor}-error`).textContent;
}, label);

async function signIn(page, user) {
  await page.goto(`${base}/`, { waitUntil: "networkidle0" });
  await waitText(page, "Sign in to smsgw");
  await fill(page, "Username", user);
  await fill(page, "Password", password(user));
  await click(page, "button", "Sign in");
  await page.waitForSelector("#top:not([hidden])");
  await idle(page);
}

async function rowsOf(page) {
  return page.$$eval("main tbody tr", (trs) => trs.map((tr) => tr.innerText));
}
// Waits until the table has `n` rows (a search re-renders it once its answer is in).
async function waitRows(page, n) {
  try {
    await page.waitForFunction((k) => document.querySelectorAll("main tbody tr:not(:has(td.empty))").length === k, {}, n);
  } catch {
    assert.fail(`not ${n} rows:\n${(await rowsOf(page)).join("\n")}`);
  }
  return rowsOf(page);
}

const steps = {
  // Sign-in, sign-out and the protections a browser relies on.
  async security() {
    const page = await newPage();
    await page.goto(`${base}/`, { waitUntil: "networkidle0" });
    assert.equal(new URL(page.url()).pathname, "/console/");
    await shot(page, "sign-in");
    await fill(page, "Username", "admin");
    await fill(page, "Password", "wrong");
    await click(page, "button", "Sign in");
    await waitText(page, "valid credentials required");
    await signIn(page, "admin");
    await waitText(page, "Contacts");
    // The cookie is not readable by script; the session survives a reload.
    assert.equal(await page.evaluate(() => document.cookie), "");
    await page.reload({ waitUntil: "networkidle0" });
    await page.waitForSelector("#top:not([hidden])");

    // The console's own requests need the CSRF token: the same fetch without it is refused,
    // and so is one naming another origin.
    const refused = await page.evaluate(async () => {
      const a = await fetch("/api/v1/groups", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Forged" }) });
      return a.status;
    });
    assert.equal(refused, 403);
    // Another site's page in the same browser: its form posting to the gateway is refused
    // (the API takes no form bodies, and the browser sends no cookie with it), and even a
    // plain link from it arrives without the cookie (SameSite=Strict).
    const other = await page.browserContext().newPage();
    await other.setContent(`<form method="post" action="${base}/api/v1/groups" enctype="text/plain">
      <input name='{"name":"Forged","x":"' value='"}'><button>go</button></form>
      <a id="me" href="${base}/api/v1/me">me</a>`);
    const [answer] = await Promise.all([other.waitForNavigation(), other.click("button")]);
    assert.ok([401, 403, 415].includes(answer.status()), `cross-site post answered ${answer.status()}`);
    await other.close();
    const away = await page.browserContext().newPage();
    await away.setContent(`<a id="me" href="${base}/api/v1/me">me</a>`);
    const [linked] = await Promise.all([away.waitForNavigation(), away.click("#me")]);
    await away.close();
    assert.equal(linked.status(), 401, "a cross-site link carried the session");
    const own = await page.evaluate(async () => (await fetch("/api/v1/me")).status);
    assert.equal(own, 200);
    const groups = await page.evaluate(async () => (await fetch("/api/v1/groups?q=Forged")).json());
    assert.equal(groups.items.length, 0, "a forged request created a group");

    // Signed in again in another tab: this tab's CSRF token is stale, and its sign-out
    // still works (the console reads the current token and tries again).
    const tab = await page.browserContext().newPage();
    await tab.goto(`${base}/console/`, { waitUntil: "networkidle0" });
    const again = await tab.evaluate(async () => (await fetch("/api/v1/session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "admin-password" }),
    })).status);
    assert.equal(again, 201);
    await tab.close();
    await click(page, "button", "Sign out");
    await waitText(page, "You are signed out.");
    const after = await page.evaluate(async () => (await fetch("/api/v1/me", { headers: { "X-Requested-With": "smsgw-console" } })).status);
    assert.equal(after, 401);
  },

  // The manual's Bob, Mary and Donald: Bob adds Donald to his VIPs domain through the
  // Contacts page; Mary never sees him, on Contacts or in the group's Membership tab.
  async visibility() {
    const bob = await newPage();
    await signIn(bob, "bob");
    await go(bob, "#/contacts/new");
    await waitText(bob, "Add contact");
    await fill(bob, "Name", "Donald Trump");
    await fill(bob, "Number", "12ab");
    await choose(bob, "Security domain", "VIPs");
    await click(bob, "label", "Tsunami Alerts");
    await click(bob, "button", "Add contact");
    await bob.waitForFunction(() => document.querySelector("[aria-invalid=true]"));
    const why = await errorBeside(bob, "Number");
    assert.ok(why.length > 0, "no message beside the number");
    await shot(bob, "contact-invalid");
    await fill(bob, "Number", "+61412000003");
    await click(bob, "button", "Add contact");
    await bob.waitForFunction(() => /#\/contacts\/\d+$/.test(location.hash));
    await waitText(bob, "System Id");
    await go(bob, "#/contacts");
    await waitText(bob, "Donald Trump");
    await shot(bob, "contacts");
    const search = await fieldNamed(bob, "Search");
    await search.type("Don");
    await waitGone(bob, "Alice Waters");
    const bobSees = await waitRows(bob, 2);
    assert.ok(bobSees.some((r) => r.startsWith("Donald Trump")), bobSees.join("\n"));

    const mary = await newPage(390);  // a phone-sized screen
    await signIn(mary, "mary");
    await go(mary, "#/contacts");
    await waitText(mary, "Don Bradman");
    assert.ok(!(await text(mary)).includes("Donald Trump"), "Mary sees Donald on Contacts");
    await (await fieldNamed(mary, "Search")).type("Don");
    await waitGone(mary, "Alice Waters");
    const marySees = await waitRows(mary, 1);
    assert.ok(marySees[0].startsWith("Don Bradman"), marySees.join("\n"));
    await shot(mary, "contacts-phone");
    await go(mary, "#/groups");
    await waitText(mary, "Tsunami Alerts");
    await click(mary, "a", "Tsunami Alerts");
    await waitText(mary, "Membership");
    await click(mary, "a", "Membership");
    await waitText(mary, "Don Bradman");
    const maryMembers = await text(mary);
    assert.ok(maryMembers.includes("Alice Waters") && !maryMembers.includes("Donald Trump"), maryMembers);
    await go(bob, "#/groups");
    await click(bob, "a", "Tsunami Alerts");
    await waitText(bob, "Membership");
    await click(bob, "a", "Membership");
    await waitText(bob, "Donald Trump");
    await shot(bob, "group-membership");

    // Compose's recipient field: Mary is offered Don Bradman, never Donald; Bob both.
    const offered = async (page) => {
      await go(page, "#/compose");
      await (await fieldNamed(page, "To")).type("Don");
      await page.waitForSelector(".suggestions button");
      await idle(page);
      return page.$$eval(".suggestions button", (bs) => bs.map((b) => b.textContent));
    };
    const maryOffered = await offered(mary);
    assert.ok(maryOffered.some((o) => o.includes("Don Bradman")), maryOffered.join("\n"));
    assert.ok(!maryOffered.some((o) => o.includes("Donald")), maryOffered.join("\n"));
    const bobOffered = await offered(bob);
    assert.ok(bobOffered.some((o) => o.includes("Donald Trump")), bobOffered.join("\n"));

    // Bob gives Mary Viewer on VIPs on the Accesses tab: now she sees Donald.
    await go(bob, "#/domains");
    await click(bob, "a", "VIPs");
    await click(bob, "a", "Accesses");
    await waitText(bob, "What each user may do here");
    await choose(bob, "User or group", "Mary");
    await choose(bob, "Access", "Viewer");
    await click(bob, "button", "Add Access");
    await waitText(bob, "Grants on this domain");
    await bob.waitForFunction(() => [...document.querySelectorAll("caption")].some((c) => c.textContent.startsWith("Grants")
      && c.closest("table").innerText.includes("Mary")));
    await shot(bob, "domain-accesses");
    await go(mary, "#/contacts");
    await waitText(mary, "Donald Trump");
  },

  // An admin creates a group and its keyword through the pages (the MO comes next).
  async keyword() {
    const page = await newPage();
    await signIn(page, "admin");
    await go(page, "#/groups");
    await click(page, "a", "Add group");
    await waitText(page, "Add group");
    await fill(page, "Name", "Movie News");
    await fill(page, "Alias", "movies");
    await click(page, "button", "Add group");
    await page.waitForFunction(() => /#\/groups\/\d+\/members$/.test(location.hash));
    await waitText(page, "Nothing here yet.");
    await click(page, "a", "Keywords");
    await waitText(page, "Add a keyword");
    await fill(page, "Keyword", "MOVIE");
    await fill(page, "Opt-in reply", "Welcome!");
    await click(page, "button", "Add keyword");
    await waitText(page, "Welcome!");
    // Changed on second thought: the next MO gets the new text.
    await click(page, "button", "Change");
    await waitText(page, "Change MOVIE");
    await fill(page, "Opt-in reply", "Welcome to Movie News!");
    await click(page, "button", "Save keyword");
    await waitText(page, "Welcome to Movie News!");
    await shot(page, "group-keywords");
  },

  // After the MO: the contact is a member, and the inbound log shows the MO joined.
  async joined() {
    const page = await newPage();
    await signIn(page, "admin");
    await go(page, "#/groups");
    await click(page, "a", "Movie News");
    await waitText(page, "Membership");
    await click(page, "a", "Membership");
    await waitText(page, "+61412000009");
    await click(page, "a", "Properties");
    await waitText(page, "1 contacts");
    await shot(page, "group");
    await go(page, "#/inbound");
    await waitText(page, "MOVIE");
    await waitText(page, "Joined");
    await shot(page, "inbound-log");
  },

  // A message to the group from Compose: the group's members a click away, the live
  // counter, the result and the receipt.
  async compose() {
    const page = await newPage();
    await signIn(page, "admin");
    await go(page, "#/compose");
    await (await fieldNamed(page, "To")).type("Movie");
    await click(page, "button", "Movie News (group)");
    await click(page, "button", "Movie News (group)");
    await waitText(page, "Members of Movie News (group)");
    await waitText(page, "+61412000009");
    await (await fieldNamed(page, "Message")).type("Привет, movie fans");
    await waitText(page, "(Unicode: UCS-2), 1 SMS");
    await fill(page, "Message", "New trailer tonight at 8!");
    await waitText(page, "25 characters (GSM), 1 SMS");
    await click(page, "button", "Send");
    await waitText(page, "Sent to 1 recipient.");
    await waitText(page, "Delivered");
    await shot(page, "compose");
  },

  // The admin's other pages, for their screenshots and that they show what they hold.
  async company() {
    const page = await newPage();
    await signIn(page, "admin");
    for (const [hash, name, wanted] of [["#/numbers", "numbers", "MOVIE"], ["#/stops", "stop-list", "Add to the stop list"],
      ["#/settings", "company-settings", "Reply to HELP"], ["#/users", "users", "mary"], ["#/domains", "domains", "VIPs"]]) {
      await go(page, hash);
      await waitText(page, wanted);
      await idle(page);
      await shot(page, name);
    }
    await go(page, "#/stops");
    await fill(page, "Number", "+61412000077");
    await click(page, "button", "Add to the stop list");
    await waitText(page, "+61412000077");
  },

  // Every page through axe-core's WCAG 2 A and AA rules (contrast, labels, names, roles):
  // no serious or critical violation. axe is injected as a script, which the page's own
  // policy rightly refuses, so this page alone bypasses the CSP.
  async accessibility() {
    const page = await newPage();
    await page.setBypassCSP(true);
    const problems = [];
    const check = async (where) => {
      await idle(page);
      if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) await page.addScriptTag({ path: axePath });
      const r = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21aa"] }));
      for (const v of r.violations.filter((x) => ["serious", "critical"].includes(x.impact))) {
        problems.push(`${where}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
      }
    };
    await page.goto(`${base}/`, { waitUntil: "networkidle0" });
    await waitText(page, "Sign in to smsgw");
    await check("sign-in");
    await signIn(page, "admin");
    await go(page, "#/groups");
    await click(page, "a", "Movie News");
    await waitText(page, "System Id");
    const group = new URL(page.url()).hash;
    for (const hash of ["#/contacts", "#/contacts/new", "#/groups", "#/groups/new", group, `${group}/members`,
      `${group}/keywords`, `${group}/import`, "#/compose", "#/domains", "#/domains/new", "#/numbers", "#/inbound",
      "#/stops", "#/settings", "#/users"]) {
      await go(page, hash);
      await page.waitForSelector("main h1");
      await check(hash);
    }
    await go(page, "#/contacts");
    await click(page, "a", "Alice Waters");
    await waitText(page, "System Id");
    await check("a contact");
    await go(page, "#/domains");
    await click(page, "a", "VIPs");
    await click(page, "a", "Accesses");
    await waitText(page, "What each user may do here");
    await check("a domain's accesses");
    assert.deepEqual(problems, [], "accessibility");
  },

  // An import with a bad row: refused, the line named, nothing changed; then a good one.
  async import() {
    const page = await newPage();
    await signIn(page, "admin");
    await go(page, "#/groups");
    await click(page, "a", "Movie News");
    await waitText(page, "Import");
    await click(page, "a", "Import");
    await waitText(page, "CSV file");
    const dir = mkdtempSync(join(tmpdir(), "smsgw-import-"));
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "Name,Number\nJoe Famous,+61412000021\nNobody,not-a-number\n");
    const file = await fieldNamed(page, "CSV file");
    await file.uploadFile(bad);
    await click(page, "button", "Import");
    await waitText(page, "The file was refused; nothing changed.");
    const rows = await rowsOf(page);
    assert.ok(rows.some((r) => r.startsWith("3\t")), `line 3 not named: ${rows.join("\n")}`);
    await shot(page, "group-import-refused");
    const good = join(dir, "good.csv");
    writeFileSync(good, "Name,Number\nJoe Famous,+61412000021\n");
    await (await fieldNamed(page, "CSV file")).uploadFile(good);
    await click(page, "button", "Import");
    await waitText(page, "1 created");
    await click(page, "a", "Membership");
    await waitText(page, "Joe Famous");
  },
};

let failed = false;
try {
  assert.ok(steps[step], `no step ${step}`);
  await steps[step]();
  assert.deepEqual(headerProblems, [], "answers without the protections");
  assert.deepEqual(consoleErrors.filter((e) => !/status of 4\d\d/.test(e)), [], "errors in the page's console");
  console.log(`step ${step}: ok`);
} catch (e) {
  failed = true;
  console.error(`step ${step} failed: ${e.stack || e}`);
  for (const p of pages) {
    if (p.isClosed()) continue;
    console.error(`--- ${p.url()}:\n${await p.$eval("body", (b) => b.innerText).catch(() => "?")}`);
  }
  if (consoleErrors.length) console.error(`--- the pages' console:\n${consoleErrors.join("\n")}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
