// Browser check that the Content-Security-Policy holds and costs nothing:
// script injected into the public page (an inline <script>, an event
// handler attribute, a `javascript:` link, eval) is refused and reported as
// a `securitypolicyviolation`, while the page still goes live and follows
// readings; the embed widget, the station page and the staff console work
// with no violation at all; no other site may frame the page or the
// console, while any may frame the widget.
//
// usage: node csp.mjs <base-url> <staff-user> <staff-password>
//
// Like dashboard.mjs it prints `NEED <step>` and waits for `DONE <step>`:
//   reading   publish 1141A PM2.5 62 for the current hour
//   reading2  publish 1141A PM2.5 75 for the same hour
// It prints `BLOCKED <attack> <directive>` for each attack the policy
// stopped, and exits 0 when every check passed; 1 with the reasons on
// stderr otherwise.

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const STEP_MS = 10_000;
const [base, staffUser, staffPassword] = process.argv.slice(2);
if (!base || !staffUser || !staffPassword) {
  process.stderr.write('usage: node csp.mjs <base-url> <staff-user> <staff-password>\n');
  process.exit(2);
}
const origin = new URL(base).origin;

class CheckFailed extends Error {}

const say = (line) => new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));

const inbox = [];
let waiting = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(line);
  } else inbox.push(line);
});

async function need(stepName) {
  await say(`NEED ${stepName}`);
  const line =
    inbox.shift() ??
    (await new Promise((resolve, reject) => {
      waiting = resolve;
      setTimeout(() => reject(new CheckFailed(`no DONE ${stepName}`)), 30_000).unref();
    }));
  if (line !== `DONE ${stepName}`) throw new CheckFailed(`expected "DONE ${stepName}", got "${line}"`);
}

let step = 'launching Chromium';
const problems = [];
/** Console errors a step expects: the policy reports what it refused. */
let expectViolations = false;
/** The console's signed-out probe of /me is answered 401 on purpose. */
let expect401 = false;

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = `${msg.text()} ${msg.location()?.url ?? ''}`;
    if (expectViolations && /Content Security Policy/.test(text)) return;
    if (expect401 && /status of 401/.test(text)) return;
    // A page opened on its own asks for /favicon.ico; the widget has none.
    if (/status of 404.*\/favicon\.ico/.test(text)) return;
    problems.push(`console error while ${step}: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error while ${step}: ${err.message}`));
}

/** Records every violation of the page and its frames in `window.__violations`. */
function recordViolations() {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push({ directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI });
  });
}

async function waitFor(page, what, fn, arg) {
  step = what;
  await page.waitForFunction(fn, arg, { timeout: STEP_MS, polling: 50 });
}

const violations = (frame) => frame.evaluate(() => window.__violations ?? []);

async function expectNoViolations(frame, where) {
  const seen = await violations(frame);
  if (seen.length) throw new CheckFailed(`${where}: the policy refused what the page needs: ${JSON.stringify(seen)}`);
}

/** Runs `attack` in the page; the policy must refuse it and nothing it carries may run. */
async function attack(page, name, attackFn) {
  step = `trying the attack "${name}"`;
  const before = (await violations(page)).length;
  expectViolations = true;
  await attackFn();
  await waitFor(page, `waiting for the policy to report "${name}"`, (n) => window.__violations.length > n, before);
  expectViolations = false;
  const ran = await page.evaluate(() => window.__pwned ?? null);
  if (ran !== null) throw new CheckFailed(`the attack "${name}" ran script: ${ran}`);
  const report = (await violations(page))[before];
  await say(`BLOCKED ${name} ${report.directive}`);
}

let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 100_000);
watchdog.unref();

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(recordViolations);
  const page = await context.newPage();
  watch(page);

  // 1. The page loads and goes live with no violation: the policy allows
  //    what the page really needs (its scripts, styles, the WebSocket).
  step = 'loading the public page';
  await page.goto(base, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await waitFor(page, 'waiting for the first snapshot', () => document.body.dataset.ready === 'true');
  await waitFor(page, 'waiting for the live connection', () => document.querySelector('#connection')?.dataset.state === 'open');
  await need('reading');
  await waitFor(page, 'waiting for PM2.5 62 at 1141A', () =>
    document.querySelector('[data-station="1141A"] [data-parameter="pm25"]')?.textContent.includes('62'),
  );
  await expectNoViolations(page, 'the public page');
  await say('LIVE public page');

  // 2. Script smuggled into the page runs nowhere.
  await attack(page, 'inline-script', () =>
    page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__pwned = "inline script"';
      document.body.append(script);
    }),
  );
  await attack(page, 'event-handler', () =>
    page.evaluate(() => {
      const div = document.createElement('div');
      // An image that cannot be decoded: its error handler is the payload.
      div.innerHTML = '<img src="data:image/png;base64,AAAA" onerror="window.__pwned = \'event handler\'">';
      document.body.append(div);
    }),
  );
  await attack(page, 'javascript-link', async () => {
    // The shape of a notice whose link would run script on our origin.
    await page.evaluate(() => {
      const link = document.createElement('a');
      link.id = 'evil-link';
      link.href = 'javascript:window.__pwned = "javascript: link"';
      link.textContent = 'CAP';
      document.querySelector('main').prepend(link);
    });
    await page.click('#evil-link');
  });
  await attack(page, 'eval', () =>
    // Later, as the page's own code: DevTools lets eval through during an
    // evaluation of its own.
    page.evaluate(() => {
      setTimeout(() => {
        try {
          // eslint-disable-next-line no-eval
          eval('window.__pwned = "eval"');
        } catch {
          // EvalError: refused, as it should be.
        }
      }, 0);
    }),
  );

  // 3. ...and the page is still live: the next reading arrives.
  await need('reading2');
  await waitFor(page, 'waiting for PM2.5 75 at 1141A after the attacks', () =>
    document.querySelector('[data-station="1141A"] [data-parameter="pm25"]')?.textContent.includes('75'),
  );
  if ((await page.evaluate(() => document.querySelector('#connection')?.dataset.state)) !== 'open') {
    throw new CheckFailed('the live connection did not stay open');
  }
  await say('LIVE after the attacks');

  // 4. The widget, the station page and the staff console need nothing the
  //    policy refuses.
  const widget = await context.newPage();
  watch(widget);
  step = 'loading the embed widget';
  await widget.goto(`${base}embed/station/1141A?lang=zh`, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await waitFor(widget, 'waiting for the widget to be ready', () => document.body.dataset.ready === 'true');
  await waitFor(widget, 'waiting for the widget to go live', () => document.querySelector('#connection')?.dataset.state === 'open');
  await expectNoViolations(widget, 'the embed widget');
  await say('LIVE embed widget');

  step = 'loading the station page';
  await widget.goto(`${base}station/1141A?lang=en`, { waitUntil: 'load', timeout: STEP_MS });
  // The frame may still be on its way when the page's own load ends.
  let inner;
  for (const started = Date.now(); !inner && Date.now() - started < STEP_MS; ) {
    inner = widget.frames().find((f) => f.url().includes('/embed/station/1141A'));
    if (!inner) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!inner) throw new CheckFailed('the station page shows no widget frame');
  await inner.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: STEP_MS });
  await expectNoViolations(widget, 'the station page');
  await expectNoViolations(inner, 'the widget on the station page');

  const staff = await context.newPage();
  watch(staff);
  step = 'signing in to the staff console';
  expect401 = true;
  await staff.goto(`${base}staff/`, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await staff.waitForSelector('#login-form', { state: 'visible', timeout: STEP_MS });
  await staff.fill('#login-form input[name=username]', staffUser);
  await staff.fill('#login-form input[name=password]', staffPassword);
  await staff.click('#login-form button[type=submit]');
  await staff.waitForSelector('#work', { state: 'visible', timeout: STEP_MS });
  expect401 = false;
  await expectNoViolations(staff, 'the staff console');
  await say('LIVE staff console');

  // 5. Framing: no other page may frame the dashboard or the console; any
  //    page may frame the widget.
  const framer = await context.newPage();
  step = 'framing the pages from another origin';
  expectViolations = true;
  await framer.setContent(
    `<iframe id="page" src="${base}"></iframe><iframe id="console" src="${base}staff/"></iframe>` +
      `<iframe id="widget" src="${base}embed/station/1141A"></iframe>`,
  );
  const frameOf = async (id) => {
    const handle = await framer.$(`#${id}`);
    return handle.contentFrame();
  };
  await (await frameOf('widget')).waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: STEP_MS });
  await framer.waitForTimeout(300);
  for (const id of ['page', 'console']) {
    const frame = await frameOf(id);
    const url = frame.url();
    if (url.startsWith(origin)) {
      const loaded = await frame.evaluate(() => document.title).catch(() => null);
      if (loaded) throw new CheckFailed(`another page framed the ${id} ("${loaded}")`);
    }
    await say(`BLOCKED framing-${id} frame-ancestors`);
  }
  expectViolations = false;
  await say('FRAMED widget');

  if (problems.length) throw new CheckFailed(problems.join('\n'));
  await say('PASS');
} catch (error) {
  exitCode = 1;
  process.stderr.write(`FAIL while ${step}: ${error.message}\n`);
  for (const p of problems) process.stderr.write(`  ${p}\n`);
} finally {
  await browser?.close();
  process.exit(exitCode);
}
