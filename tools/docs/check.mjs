// The browser check of the partner site (`cargo xtask docs` builds it into target/docs/).
//
// usage: node tools/docs/check.mjs [SITE_DIR] [SCREENSHOT_DIR]
//        (defaults: target/docs and target/docs-screenshots, from the repository root)
//
// It opens every page of the site in headless Chromium (Debian's package, /usr/bin/chromium
// or $CHROMIUM) with the network disabled, driven by playwright-core, and fails (exit 1) on:
// - any console error or uncaught exception on any page;
// - any request that leaves the site's own files (http, https, ws, ...), and any file the
//   site asks for that does not exist (a missing asset);
// - any broken internal link: a relative link to a file that does not exist, a `#fragment`
//   that names no element of its page, or a route of the API reference that renders nothing;
// - an API reference (the current one and each release's) in which an operationId, a webhook
//   event or an error code of that version's spec does not appear once rendered.
// A screenshot of every page (and of the reference's operations and webhooks) is kept under
// SCREENSHOT_DIR for review. Exit 2 when the check itself cannot run.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const site = resolve(process.argv[2] ?? join(root, "target/docs"));
const shots = resolve(process.argv[3] ?? join(root, "target/docs-screenshots"));
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

if (!existsSync(join(site, "index.html"))) {
  console.error(`docs-check: ${site}/index.html does not exist; run \`cargo xtask docs\` first`);
  process.exit(2);
}
if (!existsSync(executablePath)) {
  console.error(`docs-check: no Chromium at ${executablePath}; run tools/docs/install-chromium.sh (Debian's chromium package) or set CHROMIUM`);
  process.exit(2);
}

const failures = [];
const fail = (where, what) => failures.push(`${where}: ${what}`);

/** Every .html file under `dir`, as paths relative to the site, sorted. */
function htmlFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...htmlFiles(path));
    else if (name.endsWith(".html")) found.push(relative(site, path).split(sep).join("/"));
  }
  return found;
}

/** A file name for a screenshot of `page` (and of one of its routes). */
function shotName(page, route = "") {
  const base = page.replace(/\.html$/, "").replaceAll("/", "_");
  const suffix = route ? "_" + route.replace(/^#\//, "").replaceAll("/", "_") : "";
  return join(shots, `${base}${suffix}.png`);
}

const browser = await chromium.launch({
  executablePath,
  // As root on a closed network: no sandbox, and none of Chromium's own background traffic.
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
// `offline` makes every network request fail, so a page that needs the network shows it;
// the request listener below names each such request.
const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

/** Opens `url` in a fresh tab that reports every problem under `where`. */
async function open(url, where) {
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") fail(where, `console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => fail(where, `uncaught exception: ${error.message}`));
  page.on("request", (request) => {
    const target = request.url();
    if (!/^(file|data|blob|about):/.test(target)) fail(where, `request leaves the site: ${target}`);
  });
  page.on("requestfailed", (request) => {
    const target = request.url();
    if (target.startsWith("file:")) fail(where, `missing asset: ${relative(site, fileURLToPath(target))}`);
  });
  await page.goto(url, { waitUntil: "load" });
  // Redoc renders after load; wait for its content, then let it settle.
  if (await page.locator("#redoc").count()) {
    await page.locator(".api-content").first().waitFor({ timeout: 15000 });
  }
  await page.waitForTimeout(200);
  return page;
}

const pages = htmlFiles(site);
const idsOf = new Map(); // page -> Set of element ids
const links = []; // { from, href }
const references = [];
for (const name of pages) {
  const page = await open(pathToFileURL(join(site, name)).href, name);
  const isReference = (await page.locator("#redoc").count()) > 0;
  await page.screenshot({ path: shotName(name), fullPage: !isReference });
  idsOf.set(name, new Set(await page.evaluate(() => [...document.querySelectorAll("[id]")].map((e) => e.id))));
  for (const href of await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")))) {
    links.push({ from: name, href });
  }
  if (isReference) references.push(name);
  await page.close();
}

// Internal links between files, and fragments within them.
let checkedLinks = 0;
let externalLinks = 0;
for (const { from, href } of links) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
    externalLinks += 1; // http(s), mailto: not followed offline; a request to them fails above.
    continue;
  }
  // Redoc's own links are routes of its page ("/users" on the prerendered page, "#/users"
  // once it runs, on file: URLs): they are checked by visiting them, below.
  if (references.includes(from) && (href.startsWith("#/") || href.startsWith("/"))) continue;
  checkedLinks += 1;
  const [path, fragment] = href.split("#", 2);
  const target = path === "" ? from : relative(site, resolve(dirname(join(site, from)), decodeURIComponent(path))).split(sep).join("/");
  if (target.startsWith("..") || !existsSync(join(site, target))) {
    fail(from, `broken link ${href}: ${target} does not exist`);
    continue;
  }
  if (fragment && target.endsWith(".html") && !idsOf.get(target)?.has(decodeURIComponent(fragment))) {
    fail(from, `broken link ${href}: ${target} has no element with id "${fragment}"`);
  }
}

// The API references: every route renders, and every operationId, webhook event and error
// code of the version's spec appears.
let routesVisited = 0;
for (const name of references) {
  const specPath = join(dirname(join(site, name)), name === "reference.html" ? "latest/openapi.json" : "openapi.json");
  const spec = JSON.parse(readFileSync(specPath, "utf8"));
  const url = pathToFileURL(join(site, name)).href;
  const routeOf = (href) => "#" + href.replace(/^#/, "").split("#")[0];
  const isRoute = (href) => href.startsWith("#/") || href.startsWith("/");
  const routes = [...new Set(links.filter((l) => l.from === name && isRoute(l.href)).map((l) => routeOf(l.href)))].sort();
  const page = await open(url, name);
  const rendered = new Map(); // route -> text of its element, responses and schemas expanded
  // Breadth first: operations' routes appear in the sidebar once their tag's route is open.
  // Bounded, so that a page whose links never end cannot hold the check.
  for (let next = 0; next < routes.length && next < 1000; next += 1) {
    const route = routes[next];
    routesVisited += 1;
    await page.evaluate((hash) => { window.location.hash = hash; }, route);
    const id = route.slice(2);
    if (id === "") continue; // The overview.
    const element = page.locator(`[id="${id}"]`);
    try {
      await element.first().waitFor({ timeout: 5000 });
    } catch {
      fail(name, `route ${route} renders nothing (no element with id "${id}")`);
      continue;
    }
    let text = await element.first().innerText();
    // Operations: show each response (tabs) with its schema expanded, so that error bodies
    // and their codes are on screen.
    const tabs = element.first().locator('[role="tab"]');
    for (let i = 0; i < (await tabs.count()); i += 1) {
      await tabs.nth(i).click();
      // A clicked "Expand all" becomes "Collapse all", sooner or later: the first one left is
      // clicked each time, at most as many times as there were at first, so that the loop
      // neither waits for a button that has gone nor runs forever.
      const expand = element.first().getByText("Expand all", { exact: true });
      const buttons = await expand.count();
      for (let j = 0; j < buttons && (await expand.count()) > 0; j += 1) await expand.first().click();
      text += "\n" + (await element.first().innerText());
    }
    rendered.set(route, text);
    for (const href of await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")))) {
      if (isRoute(href) && !routes.includes(routeOf(href))) routes.push(routeOf(href));
    }
  }
  const webhookRoute = routes.find((r) => r.startsWith("#/webhooks/"));
  if (webhookRoute) {
    await page.evaluate((hash) => { window.location.hash = hash; }, webhookRoute);
    await page.waitForTimeout(200);
    await page.screenshot({ path: shotName(name, webhookRoute) });
  }
  await page.close();

  const all = [...rendered.values()].join("\n");
  const operations = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) if (op?.operationId) operations.push({ where: `${method.toUpperCase()} ${path}`, op });
  }
  for (const [event, item] of Object.entries(spec.webhooks ?? {})) {
    for (const op of Object.values(item)) if (op?.operationId) operations.push({ where: `webhook ${event}`, op });
  }
  for (const { where, op } of operations) {
    // Redoc routes an operation as #/<tag>/<operationId in lower case>.
    const route = routes.find((r) => r.toLowerCase().endsWith("/" + op.operationId.toLowerCase()));
    if (!route) fail(name, `operationId ${op.operationId} (${where}) has no route in the rendered reference`);
    else if (op.summary && !rendered.get(route)?.includes(op.summary)) fail(name, `operation ${op.operationId} (${where}) is rendered without its summary "${op.summary}"`);
  }
  for (const event of Object.keys(spec.webhooks ?? {})) {
    if (!all.includes(event)) fail(name, `webhook event ${event} does not appear in the rendered reference`);
  }
  for (const code of spec.components?.schemas?.ErrorCode?.enum ?? []) {
    if (!all.includes(code)) fail(name, `error code ${code} does not appear in the rendered reference`);
  }
  console.log(`docs-check: ${name}: ${routes.length} routes, ${operations.length - Object.keys(spec.webhooks ?? {}).length} operations and ${Object.keys(spec.webhooks ?? {}).length} webhook events, ${(spec.components?.schemas?.ErrorCode?.enum ?? []).length} error codes checked`);
}

await browser.close();
console.log(`docs-check: ${pages.length} pages opened offline, ${checkedLinks} internal links checked (${externalLinks} external links not followed), ${routesVisited} reference routes visited; screenshots in ${relative(root, shots)}/`);
if (failures.length > 0) {
  for (const failure of failures) console.error(`docs-check: ${failure}`);
  console.error(`docs-check: ${failures.length} problem(s)`);
  process.exit(1);
}
