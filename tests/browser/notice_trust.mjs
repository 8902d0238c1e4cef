// Browser check that notices are verified, not believed, on the page and in
// the embed widget.
//
// usage: node notice_trust.mjs <base-url> <fixtures.json> <screenshot-dir>
//
// The fixtures (written by tests/system/attack_notices.rs): genuine notices
// signed with the publisher's key, one genuine notice whose links are
// `javascript:` URLs, and forged ones (unsigned, altered after signing,
// signed by a key nobody trusts). The script sits between the page and its
// live socket (Playwright's routeWebSocket, and route for the snapshot over
// HTTP) and puts the fixtures into the server's snapshot and, later, as notice messages, as a compromised relay
// could. Then: every genuine notice shows, no forged one shows anywhere (not
// even for a moment in the widget), the script links are not links, no
// dialog opens, and each refusal is a console warning, not an error. A
// genuine and a forged notice sent through the real broker beforehand must
// show and not show, the publisher's own check.
// Exit 0 on success; exit 1 with the reason on stderr.

import { chromium } from 'playwright-core';
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

const STEP_MS = 10_000;
const [base, fixturesFile, screenshotDir] = process.argv.slice(2);
if (!base || !fixturesFile || !screenshotDir) {
  process.stderr.write('usage: node notice_trust.mjs <base-url> <fixtures.json> <screenshot-dir>\n');
  process.exit(2);
}
const fixtures = JSON.parse(await readFile(fixturesFile, 'utf8'));
const forgedIds = [...fixtures.forged.map((n) => n.id), fixtures.through_broker.forged];

class CheckFailed extends Error {}
const problems = [];
const warnings = [];
let browser;
let step = 'launching Chromium';
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 90_000);
watchdog.unref();

/** Puts `extra` notices into the first snapshot (over HTTP or the socket); returns the route to inject into later. */
async function interpose(page, extra) {
  const routes = [];
  await page.route(/\/api\/v1\/live\/snapshot/, async (route) => {
    const response = await route.fetch();
    const msg = await response.json();
    msg.notices = [...(msg.notices ?? []), ...extra];
    await route.fulfill({ response, json: msg });
  });
  await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
    const server = ws.connectToServer();
    let first = true;
    server.onMessage((message) => {
      if (first && typeof message === 'string') {
        const msg = JSON.parse(message);
        if (msg.type === 'snapshot') {
          first = false;
          msg.notices = [...(msg.notices ?? []), ...extra];
          ws.send(JSON.stringify(msg));
          return;
        }
      }
      ws.send(message);
    });
    ws.onMessage((message) => server.send(message));
    routes.push(ws);
  });
  return routes;
}

function watch(page, name) {
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(`${name}: ${message.text()}`);
    // The widget's page has no icon, so Chromium asks for /favicon.ico.
    const favicon = /\/favicon\.ico$/.test(message.location()?.url ?? '');
    if (message.type() === 'error' && !favicon) problems.push(`${name} console error: ${message.text()} (${message.location()?.url})`);
  });
  page.on('pageerror', (error) => problems.push(`${name} page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${name}: ${response.status()} for ${response.url()}`);
  });
  page.on('dialog', async (dialog) => {
    problems.push(`${name}: a dialog opened (${dialog.message()}): script ran`);
    await dialog.dismiss();
  });
}

/** Fails when any element links or points to a script URL. */
async function assertNoScriptLinks(page, where) {
  const bad = await page.evaluate(() =>
    [...document.querySelectorAll('[href], [src], [action], [formaction]')]
      .map((node) => node.getAttribute('href') ?? node.getAttribute('src') ?? node.getAttribute('action') ?? node.getAttribute('formaction'))
      .filter((url) => {
        try {
          return !['http:', 'https:', 'data:'].includes(new URL(url, document.baseURI).protocol);
        } catch {
          return true;
        }
      }));
  if (bad.length) throw new CheckFailed(`${where} carries script links: ${bad.join(', ')}`);
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });

  // ---- the dashboard ----
  step = 'opening the dashboard';
  const page = await context.newPage();
  watch(page, 'dashboard');
  const routes = await interpose(page, [...fixtures.forged, fixtures.scripted, ...fixtures.genuine]);
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: STEP_MS });
  // The page's canonical JSON is RFC 8785's, on the RFC's own examples
  // (the same as envmon-core's tests): what the page verifies and hashes
  // is what the server signs.
  step = 'checking the page canonicalises as RFC 8785';
  const canonical = await page.evaluate(async () => {
    const { canonicalize } = await import('/trust.js');
    return [
      canonicalize(JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}')),
      canonicalize(JSON.parse('{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}')),
    ];
  });
  const expected = [
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  ];
  for (let i = 0; i < expected.length; i += 1) {
    if (canonical[i] !== expected[i]) throw new CheckFailed(`canonical form ${i}: ${canonical[i]}\n  expected ${expected[i]}`);
  }

  step = 'waiting for the genuine notices';
  for (const id of [...fixtures.genuine.map((n) => n.id), fixtures.scripted.id, fixtures.through_broker.genuine]) {
    await page.waitForSelector(`#alerts [data-notice="${id}"]`, { timeout: STEP_MS });
  }
  step = 'injecting forged notices as live messages';
  for (const notice of fixtures.forged) routes[0].send(JSON.stringify({ type: 'notice', notice }));
  routes[0].send(JSON.stringify({ type: 'notice', notice: fixtures.genuine_last }));
  // Notices are taken in order: once the last genuine one shows, every
  // forged one before it has been judged.
  await page.waitForSelector(`#alerts [data-notice="${fixtures.genuine_last.id}"]`, { timeout: STEP_MS });
  step = 'checking nothing forged shows';
  const page_text = await page.evaluate(() => document.body.innerText);
  for (const id of forgedIds) {
    if (await page.$(`[data-notice="${id}"]`)) throw new CheckFailed(`the dashboard shows forged notice ${id}`);
  }
  if (/Forged/.test(page_text)) throw new CheckFailed('forged text is on the dashboard');
  step = 'checking the script links are not links';
  const scripted = `#alerts [data-notice="${fixtures.scripted.id}"]`;
  await page.click(`${scripted} summary`);
  if ((await page.$$(`${scripted} a`)).length !== 0) throw new CheckFailed('the notice with script links renders links');
  const cap = await page.$$eval(`#alerts [data-notice="${fixtures.genuine[0].id}"] a`, (links) => links.map((a) => a.href));
  if (cap.length !== 1 || !cap[0].startsWith(base)) throw new CheckFailed(`a genuine notice's CAP link is missing: ${cap}`);
  await assertNoScriptLinks(page, 'the dashboard');
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, 'notice-trust.png'), fullPage: true });

  // ---- the embed widget ----
  step = 'opening the widget';
  const widget = await context.newPage();
  watch(widget, 'widget');
  // Record every text the alert line ever shows, from before the first.
  await widget.addInitScript(() => {
    window.__alertTexts = [];
    new MutationObserver(() => {
      const node = document.querySelector('[data-alert]');
      if (node && !node.hidden) window.__alertTexts.push(node.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const widgetRoutes = await interpose(widget, [...fixtures.forged, ...fixtures.genuine]);
  await widget.goto(`${base}/embed/station/1141A?lang=en`);
  await widget.waitForSelector('body[data-ready=true]', { timeout: STEP_MS });
  step = 'waiting for the widget to show a genuine notice';
  await widget.waitForFunction(() => /Genuine/.test(document.querySelector('[data-alert]')?.textContent ?? ''), null, { timeout: STEP_MS });
  for (const notice of fixtures.forged) widgetRoutes[0].send(JSON.stringify({ type: 'notice', notice }));
  widgetRoutes[0].send(JSON.stringify({ type: 'notice', notice: fixtures.genuine_last }));
  await widget.waitForSelector(`[data-alert][data-notice="${fixtures.genuine_last.id}"]`, { timeout: STEP_MS });
  const texts = await widget.evaluate(() => window.__alertTexts);
  if (texts.some((t) => /Forged/.test(t))) throw new CheckFailed(`the widget showed a forged notice: ${texts.join(' | ')}`);
  if (!texts.some((t) => /Genuine/.test(t))) throw new CheckFailed(`the widget never showed a genuine notice: ${texts}`);
  await assertNoScriptLinks(widget, 'the widget');
  await widget.screenshot({ path: path.join(screenshotDir, 'notice-trust-widget.png') });

  step = 'checking the refusals were warned about';
  for (const notice of fixtures.forged) {
    if (!warnings.some((w) => w.includes(`notice ${notice.id} `) && w.includes('not shown'))) {
      throw new CheckFailed(`no console warning for ${notice.id}: ${warnings.join('\n')}`);
    }
  }
  if (problems.length > 0) throw new CheckFailed(problems.join('\n'));
} catch (error) {
  process.stderr.write(`FAIL while ${step}: ${error.message}\n${problems.join('\n')}\n`);
  exitCode = 1;
} finally {
  await browser?.close();
  process.exit(exitCode);
}
