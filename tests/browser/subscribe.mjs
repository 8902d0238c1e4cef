// Browser check of the subscribe form: a district's notices by e-mail in
// Chinese, then "tell me when it gets bad near me" by e-mail in English, for a
// chosen district and for the air station nearest the browser's location; the confirmation message each asks for, in
// both languages, with axe-core and no Content-Security-Policy violation.
//
// usage: node subscribe.mjs <page-url> <screenshot-dir>
//
// The caller (tests/system/subscriptions_browser.rs) runs the publisher with
// an SMTP relay and checks what was stored and sent.
// Exits 0 when every check passed; 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STEP_MS = 15_000;
const [pageUrl, screenshotDir] = process.argv.slice(2);
if (!pageUrl || !screenshotDir) {
  process.stderr.write('usage: node subscribe.mjs <page-url> <screenshot-dir>\n');
  process.exit(2);
}
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

class CheckFailed extends Error {}
const problems = [];
let step = 'launching Chromium';

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error while ${step}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error while ${step}: ${err.stack || err.message}`));
}

function recordViolations() {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(`${e.effectiveDirective || e.violatedDirective} ${e.blockedURI}`);
  });
}

async function waitFor(page, what, fn, arg) {
  step = what;
  await page.waitForFunction(fn, arg, { timeout: STEP_MS, polling: 50 });
}

async function axeCheck(page, label) {
  step = `running axe-core (${label})`;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document.getElementById('subscribe'), {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) problems.push(`axe ${label}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

async function subscribe(page, { topic, area, level, near, address, expected }) {
  step = `filling the form (${address})`;
  await page.check(`#subscribe input[name="topic"][value="${topic}"]`);
  await page.selectOption('#subscribe-area', area);
  if (near) await page.check('#subscribe input[name="near"]');
  if (level) await page.selectOption('#subscribe-level', String(level));
  await page.check('#subscribe input[name="channel"][value="email"]');
  await page.fill('#subscribe-address', address);
  await page.click('#subscribe button[type="submit"]');
  await waitFor(page, `the answer to ${address}`, (words) => document.querySelector('#subscribe .subscribe-status')?.textContent.includes(words), expected);
}

let browser;
let exitCode = 0;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
  await mkdir(screenshotDir, { recursive: true });
  // Standing next to 普陀 (1141A): "near me" must pick that station.
  const context = await browser.newContext({
    viewport: { width: 1366, height: 900 },
    locale: 'zh-CN',
    permissions: ['geolocation'],
    geolocation: { latitude: 31.2385, longitude: 121.4012 },
  });
  await context.addInitScript(recordViolations);
  const page = await context.newPage();
  watch(page);
  step = 'opening the page';
  await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  await waitFor(page, 'the form in Chinese', () => {
    const section = document.getElementById('subscribe');
    return section && !section.hidden && section.querySelector('h2')?.textContent === '订阅提醒';
  });
  const zh = await page.evaluate(() => ({
    districts: document.querySelectorAll('#subscribe-area option').length,
    pudong: document.querySelector('#subscribe-area option[value="pudong"]')?.textContent,
  }));
  expect(zh.districts === 17, `the city and 16 districts to choose from, not ${zh.districts}`);
  expect(zh.pudong === '浦东新区', `Pudong reads "${zh.pudong}"`);
  await subscribe(page, { topic: 'notices', area: 'pudong', address: 'browser-zh@example.org', expected: '请查收确认邮件' });
  await axeCheck(page, 'subscribe_zh');
  step = 'taking the screenshot';
  await page.locator('#subscribe').screenshot({ path: path.join(screenshotDir, 'subscribe-zh.png') });

  step = 'switching to English';
  await page.click('[data-set-lang="en"]');
  await waitFor(page, 'the form in English', () => document.querySelector('#subscribe h2')?.textContent === 'Get alerts');
  const han = await page.evaluate(() => /[\u4e00-\u9fff]/.test(document.getElementById('subscribe').textContent));
  expect(!han, 'Chinese left in the English form');
  await subscribe(page, { topic: 'level', area: 'putuo', level: 4, address: 'browser-en@example.org', expected: 'Check your mailbox' });
  await subscribe(page, { topic: 'level', area: 'shanghai', level: 3, near: true, address: 'browser-near@example.org', expected: 'Check your mailbox' });
  await axeCheck(page, 'subscribe_en');
  const violations = await page.evaluate(() => window.__violations);
  expect(violations.length === 0, `CSP violations: ${violations.join(', ')}`);
  step = 'taking the English screenshot';
  await page.locator('#subscribe').screenshot({ path: path.join(screenshotDir, 'subscribe-en.png') });
  await context.close();
} catch (err) {
  exitCode = 1;
  const reason = err instanceof CheckFailed ? err.message : `${step}: ${err.message.split('\n')[0]}`;
  process.stderr.write(`FAIL: ${reason}\n`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
if (problems.length > 0) {
  exitCode = 1;
  process.stderr.write(`FAIL: ${problems.length} problem(s):\n`);
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
}
process.exit(exitCode);
