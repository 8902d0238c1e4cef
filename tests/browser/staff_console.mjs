// Browser check of the staff console's two-person flow.
//
// usage: node staff_console.mjs <base-url> <operator> <approver> <password> <screenshot-dir>
//
// The operator signs in at /staff/, writes a draft with the form and sees no
// approve button on it (nobody approves their own draft); signs out. The
// approver signs in, opens the review, which shows the whole notice and the
// content hash the page computes itself (equal to the server's), approves it
// from there, and sees it published; the public list at /api/v1/alerts then
// has it. Prints the notice id on the last line.
// Exit 0 on success; exit 1 with the reason on stderr on any failure,
// including any console error or uncaught page error.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const STEP_MS = 10_000;
const [base, operator, approver, password, screenshotDir] = process.argv.slice(2);
if (!base || !operator || !approver || !password || !screenshotDir) {
  process.stderr.write('usage: node staff_console.mjs <base-url> <operator> <approver> <password> <screenshot-dir>\n');
  process.exit(2);
}

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
  const name = await page.textContent('#who-name');
  if (name !== username) throw new CheckFailed(`signed in as ${name}, not ${username}`);
}

async function signOut(page) {
  step = 'signing out';
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: STEP_MS });
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    // The signed-out probe of /me and the wrong password are answered 401
    // on purpose; Chromium logs every failed load. Anything else counts.
    const expected = /status of 401/.test(message.text());
    if (message.type() === 'error' && !expected) problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

  step = 'opening the console';
  await page.goto(`${base}/staff/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: STEP_MS });

  // A wrong password is refused and shown.
  step = 'trying a wrong password';
  await page.fill('#login-form input[name=username]', operator);
  await page.fill('#login-form input[name=password]', 'not the password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#message[data-kind=error]', { timeout: STEP_MS });

  await signIn(page, operator);

  step = 'writing a draft';
  await page.click('#new-notice');
  await page.waitForSelector('#editor', { state: 'visible', timeout: STEP_MS });
  await page.selectOption('#notice-form select[name=severity]', 'yellow');
  await page.fill('#notice-form [name=headline_zh]', '重污染天气黄色预警');
  await page.fill('#notice-form [name=headline_en]', 'Yellow warning: heavy air pollution');
  await page.fill('#notice-form [name=description_zh]', '预计明后两天出现重污染天气');
  await page.fill('#notice-form [name=description_en]', 'Heavy pollution expected over the next two days');
  await page.fill('#notice-form [name=instruction_zh]', '减少户外活动');
  await page.fill('#notice-form [name=instruction_en]', 'Reduce outdoor activity');
  await page.fill('#notice-form [name=districts]', '浦东新区, 徐汇区');
  await page.fill('#notice-form [name=stations]', '1141A');
  await page.click('#notice-form button[type=submit]');
  const row = '#notices li[data-state=draft]';
  await page.waitForSelector(row, { timeout: STEP_MS });
  const id = await page.getAttribute(row, 'data-notice-id');
  if (await page.$(`${row} button[data-action=approve]`)) {
    throw new CheckFailed('the author is offered to approve their own draft');
  }
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, 'staff-draft.png'), fullPage: true });
  await signOut(page);

  await signIn(page, approver);
  step = 'reviewing the draft';
  const review = `#notices li[data-notice-id="${id}"] button[data-action=review]`;
  await page.waitForSelector(review, { timeout: STEP_MS });
  if (await page.$(`#notices li[data-notice-id="${id}"] button[data-action=approve]`)) {
    throw new CheckFailed('an approve button is offered without the review');
  }
  await page.click(review);
  await page.waitForSelector('#review', { state: 'visible', timeout: STEP_MS });
  // The whole notice is shown before approval: every text in both
  // languages, the area, the times and the evidence link.
  const shown = await page.$$eval('#review-fields dd', (nodes) =>
    Object.fromEntries(nodes.map((n) => [n.dataset.field, n.textContent])));
  const expected = {
    severity: 'yellow',
    'headline.zh': '重污染天气黄色预警',
    'headline.en': 'Yellow warning: heavy air pollution',
    'description.zh': '预计明后两天出现重污染天气',
    'description.en': 'Heavy pollution expected over the next two days',
    'instruction.zh': '减少户外活动',
    'instruction.en': 'Reduce outdoor activity',
    'area.districts': '浦东新区, 徐汇区',
    'area.stations': '1141A',
  };
  for (const [field, text] of Object.entries(expected)) {
    if (shown[field] !== text) throw new CheckFailed(`the review shows ${field} as ${JSON.stringify(shown[field])}, not ${JSON.stringify(text)}`);
  }
  for (const field of ['effective', 'expires', 'evidence_url', 'urgency', 'certainty']) {
    if (!(field in shown)) throw new CheckFailed(`the review does not show ${field}`);
  }
  // The hash the page computes (WebCrypto, RFC 8785) is the server's.
  const hashes = await page.evaluate(async (noticeId) => {
    const { contentHash } = await import('/staff/trust.js');
    const view = await (await fetch(`/api/v1/staff/notices/${noticeId}`)).json();
    const draft = view.versions.find((v) => v.state === 'draft');
    return { page: await contentHash(draft.content), server: draft.content_hash, shown: document.querySelector('#review-hash').textContent };
  }, id);
  if (hashes.page !== hashes.server || hashes.shown !== hashes.server) {
    throw new CheckFailed(`content hashes differ: ${JSON.stringify(hashes)}`);
  }
  await page.screenshot({ path: path.join(screenshotDir, 'staff-review.png'), fullPage: true });

  step = 'approving the reviewed draft';
  await page.click('#review-approve');
  await page.waitForSelector(`#notices li[data-notice-id="${id}"][data-state=published]`, { timeout: STEP_MS });
  await page.screenshot({ path: path.join(screenshotDir, 'staff-published.png'), fullPage: true });

  step = 'checking the public list';
  const response = await page.request.get(`${base}/api/v1/alerts`);
  const listed = await response.json();
  const notice = listed.notices.find((n) => n.id === id);
  if (!notice || notice.status !== 'published' || notice.severity !== 'yellow'
      || notice.headline.en !== 'Yellow warning: heavy air pollution'
      || notice.area.districts.length !== 2) {
    throw new CheckFailed(`the public list does not show ${id} as drafted: ${JSON.stringify(listed)}`);
  }
  if (problems.length > 0) throw new CheckFailed(problems.join('\n'));
  process.stdout.write(`${id}\n`);
} catch (error) {
  process.stderr.write(`FAIL while ${step}: ${error.message}\n${problems.join('\n')}\n`);
  exitCode = 1;
} finally {
  await browser?.close();
  process.exit(exitCode);
}
