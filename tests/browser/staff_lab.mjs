// Browser check of the console's laboratory section: the operator chooses a
// file with a mistake and sees the problem by row and column, nothing
// submitted; chooses the corrected file, sees each sample previewed with its
// verdict, and submits it; the approver reviews the batch (the preview and
// the file's SHA-256) and publishes it. axe-core finds nothing in the
// section.
//
// usage: node staff_lab.mjs <base-url> <operator> <approver> <password> <broken.csv> <clean.csv>
//
// Exit 0 on success; 1 with the reason on stderr on any failure, including
// any console error or uncaught page error.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const STEP_MS = 10_000;
const [base, operator, approver, password, brokenFile, cleanFile] = process.argv.slice(2);
if (!cleanFile) {
  process.stderr.write('usage: node staff_lab.mjs <base-url> <operator> <approver> <password> <broken.csv> <clean.csv>\n');
  process.exit(2);
}
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

class CheckFailed extends Error {}
const problems = [];
let browser;
let step = 'launching Chromium';
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 90_000);
watchdog.unref();

async function signIn(page, username) {
  step = `signing in as ${username}`;
  await page.waitForSelector('#login-form', { state: 'visible', timeout: STEP_MS });
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#work', { state: 'visible', timeout: STEP_MS });
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (message) => {
    // The signed-out probe of /me and the refused file are answered 401 and 422 on purpose.
    const expected = /status of (401|422)/.test(message.text());
    if (message.type() === 'error' && !expected) problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  step = 'opening the console';
  await page.goto(`${base}/staff/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: STEP_MS });
  await signIn(page, operator);

  step = 'checking the file with a mistake';
  await page.setInputFiles('#lab-file', brokenFile);
  await page.click('#lab-check');
  await page.waitForSelector('#lab-problems tbody tr', { timeout: STEP_MS });
  const reported = await page.$$eval('#lab-problems tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  if (reported.length !== 1 || reported[0][1] !== 'unit' || !/mg\/m3/.test(reported[0][2])) {
    throw new CheckFailed(`the problem shown is ${JSON.stringify(reported)}`);
  }
  if (await page.isVisible('#lab-submit')) throw new CheckFailed('a file with problems can be submitted');

  step = 'previewing and submitting the corrected file';
  await page.setInputFiles('#lab-file', cleanFile);
  await page.click('#lab-check');
  await page.waitForSelector('#lab-preview-table tbody tr', { timeout: STEP_MS });
  const statuses = await page.$$eval('#lab-preview-table tbody tr', (rows) => rows.map((r) => r.dataset.status));
  if (statuses.length !== 3 || statuses.some((s) => s !== 'new')) throw new CheckFailed(`preview statuses ${statuses}`);
  await page.waitForSelector('#lab-submit', { state: 'visible', timeout: STEP_MS });
  step = 'running axe-core on the section';
  // Evaluated, not injected as a script tag: the console's policy allows no inline script.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run('#lab')).violations.map((v) => `${v.id}: ${v.help}`));
  if (violations.length) throw new CheckFailed(`axe-core: ${violations.join('; ')}`);
  step = 'submitting';
  await page.click('#lab-submit');
  await page.waitForSelector('#lab-batches tbody tr[data-state=pending]', { timeout: STEP_MS });
  if (await page.$('#lab-batches button[data-batch]')) throw new CheckFailed('the submitter is offered to review their own batch');
  await page.click('#logout');

  await signIn(page, approver);
  step = 'reviewing and publishing';
  await page.waitForSelector('#lab-batches button[data-batch]', { timeout: STEP_MS });
  await page.click('#lab-batches button[data-batch]');
  await page.waitForSelector('#lab-review:not([hidden]) #lab-preview-table', { timeout: STEP_MS });
  const hash = await page.textContent('#lab-review .hash code');
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new CheckFailed(`the review shows the hash ${hash}`);
  await page.click('#lab-publish');
  await page.waitForSelector('#lab-batches tbody tr[data-state=published]', { timeout: STEP_MS });
  process.stdout.write(`${hash}\n`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`FAIL while ${step}: ${error instanceof CheckFailed ? error.message : error.stack}\n`);
} finally {
  if (problems.length) {
    exitCode = 1;
    process.stderr.write(`FAIL: ${problems.join('\n')}\n`);
  }
  await browser?.close();
  process.exit(exitCode);
}
