#!/usr/bin/env node
// Open matcalc's pages in headless Chromium and report what a person would see.
//
//   node tests/browser.js PREFIX CHROMIUM page FILE SCREENSHOT
//   node tests/browser.js PREFIX CHROMIUM serve URL SCREENSHOT CASES_JSON
//
// PREFIX: where playwright-core is installed (tests/.playwright); CHROMIUM: the browser
// (Debian's /usr/bin/chromium).  Each run has a fresh profile, and every request that
// leaves the page's own origin (file:// for "page", the server for "serve") is refused
// and listed in "blocked": the pages must work with the network off.
// stdout: one JSON object (see each command).
"use strict";

const path = require("path");

const [prefix, chromiumPath, command, ...args] = process.argv.slice(2);
const { chromium } = require(path.join(path.resolve(prefix), "node_modules", "playwright-core"));

async function open(allowed, offline) {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-default-apps", "--disable-sync",
           "--no-first-run", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ offline, viewport: { width: 1100, height: 900 } });
  const blocked = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  return { browser, page, blocked, consoleErrors };
}

// what every element of class "math" shows: one <math> laid out as math, fractions stacked
function inspectMath() {
  const mathml = typeof MathMLElement !== "undefined";
  const formulas = [...document.querySelectorAll(".math")].map((w) => {
    const maths = w.querySelectorAll("math");
    const m = maths[0];
    const r = m ? m.getBoundingClientRect() : { width: 0, height: 0 };
    // a fraction is rendered when its numerator sits above its denominator
    const fractions = [...w.querySelectorAll("mfrac")].map((f) => {
      const [num, den] = f.children;
      return num && den && num.getBoundingClientRect().bottom
        <= den.getBoundingClientRect().top + 1;
    });
    return { latex: w.dataset.latex || "", count: maths.length,
             width: r.width, height: r.height,
             display: m ? getComputedStyle(m).display : "",
             fractions: fractions.length, stacked: fractions.filter(Boolean).length,
             text: w.innerText };
  });
  return { mathml, formulas, mathElements: document.querySelectorAll("math").length,
           bodyText: document.body.innerText };
}

async function pageCommand(file, screenshot) {
  const { browser, page, blocked, consoleErrors } = await open((u) => u.startsWith("file:"), true);
  await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
  const result = await page.evaluate(inspectMath);
  await page.screenshot({ path: screenshot, fullPage: false });
  // a second picture further down, where the tensors and the derivations are
  await page.evaluate(() => document.getElementById("single_layer").scrollIntoView());
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-tensors.png") });
  await browser.close();
  return { ...result, blocked, consoleErrors };
}

// CASES: [{"fields": {"expression": ..., "wrt": ..., "order": ...}}, ...]: each typed into
// the form, then the page is read once it has settled (status "ok" or an error kind)
async function serveCommand(url, screenshot, casesJson) {
  const origin = new URL(url).origin;
  const { browser, page, blocked, consoleErrors } = await open(
    (u) => u.startsWith(origin + "/"), false);
  await page.goto(url, { waitUntil: "load" });
  const results = [];
  const cases = JSON.parse(casesJson);
  for (let k = 0; k < cases.length; k++) {
    const c = cases[k];
    // the first answer (of the page's own example) must be in before typing
    await page.waitForFunction(() => !/working/.test(document.getElementById("status").textContent),
                               null, { timeout: 60000 });
    for (const [field, value] of Object.entries(c.fields)) {
      await page.fill(`[data-field="${field}"]`, "");
      await page.type(`[data-field="${field}"]`, String(value), { delay: 5 });
    }
    // wait for the debounced request to be sent and answered
    await page.waitForTimeout(400);
    await page.waitForFunction(() => !/working/.test(document.getElementById("status").textContent),
                               null, { timeout: 60000 });
    const state = await page.evaluate(() => {
      const error = document.getElementById("error");
      const sections = [...document.querySelectorAll("#sections section")].map((s) => ({
        id: s.id, title: s.querySelector("h2").textContent, text: s.innerText,
        copy: s.querySelectorAll("button.copy").length,
      }));
      return { status: document.getElementById("status").textContent,
               error: error.hidden ? null : error.textContent,
               errorFont: getComputedStyle(error).fontFamily,
               sections };
    });
    state.math = await page.evaluate(inspectMath);
    delete state.math.bodyText;
    state.bodyText = await page.evaluate(() => document.body.innerText);
    await page.screenshot({ path: screenshot.replace(/\.png$/, `-${k}.png`), fullPage: true });
    results.push(state);
  }
  // the copy button puts the code on the clipboard
  let copied = null;
  try {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    await page.fill('[data-field="expression"]', "x^2");
    await page.fill('[data-field="wrt"]', "x");
    await page.fill('[data-field="order"]', "1");
    await page.waitForTimeout(400);  // the debounce
    await page.waitForFunction(() => document.getElementById("status").textContent === "ok",
                               null, { timeout: 60000 });
    await page.click("#section-code button.copy");
    copied = await page.evaluate(() => navigator.clipboard.readText());
  } catch (err) {
    copied = "ERROR: " + err.message;
  }
  await browser.close();
  return { results, copied, blocked, consoleErrors };
}

(async () => {
  const out = command === "page" ? await pageCommand(...args) : await serveCommand(...args);
  process.stdout.write(JSON.stringify(out));
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(2);
});
