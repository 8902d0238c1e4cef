// Browser check of the envmon dashboard's live updates.
//
// usage: node live_update.mjs <page-url> <station-code> <parameter-code> <expected-text> <screenshot-dir> [<expected-aqi>]
//
// Prints READY once the first snapshot is rendered and the WebSocket is open,
// then SEEN once [data-station=<code>] [data-parameter=<param>] contains
// <expected-text>. The caller pushes the update between the two.
// With <expected-aqi>, it then waits for [data-station=<code>] [data-aqi] to
// show that number with its data-level set (1-6), prints AQI, and only then
// takes the screenshots; the AQI must still be shown after the language switch.
// Exit 0 on success; exit 1 with the reason on stderr on any failure,
// including any console error or uncaught page error.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const DEADLINE_MS = 15_000;
const STEP_MS = 5_000;

const USAGE =
  'usage: node live_update.mjs <page-url> <station-code> <parameter-code> <expected-text> <screenshot-dir> [<expected-aqi>]\n';
const [pageUrl, stationCode, parameterCode, expectedText, screenshotDir, expectedAqi] = process.argv.slice(2);
if (!pageUrl || !stationCode || !parameterCode || expectedText === undefined || !screenshotDir) {
  process.stderr.write(USAGE);
  process.exit(2);
}
if (expectedAqi !== undefined && !/^\d{1,3}$/.test(expectedAqi)) {
  process.stderr.write(`<expected-aqi> must be a whole number, not "${expectedAqi}"\n${USAGE}`);
  process.exit(2);
}

/**
 * In the page: whether the station's AQI badge shows `aqi` (as a whole number,
 * so 82 does not match 182) and has a level 1-6.
 */
function aqiShown([station, aqi]) {
  const node = document.querySelector(`[data-station="${CSS.escape(station)}"] [data-aqi]`);
  if (node === null) return false;
  const numbers = node.textContent.match(/\d+/g) ?? [];
  return numbers.includes(aqi) && /^[1-6]$/.test(node.getAttribute('data-level') ?? '');
}

function say(line) {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

function remaining(deadline) {
  return Math.max(1, deadline - Date.now());
}

class CheckFailed extends Error {}

const problems = [];
let browser;
let exitCode = 0;
let step = 'launching Chromium';

// Last resort if something hangs outside Playwright's own timeouts.
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 120_000);
watchdog.unref();

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location()?.url ? ` (${msg.location().url})` : '';
      problems.push(`console error: ${msg.text()}${where}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message}`));
  page.on('crash', () => problems.push('page crashed'));

  // 1. Page loads, first snapshot rendered, live connection open.
  let deadline = Date.now() + DEADLINE_MS;
  step = `loading ${pageUrl}`;
  await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: remaining(deadline) });
  step = 'waiting for body[data-ready="true"] (first snapshot rendered)';
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: remaining(deadline) });
  step = 'waiting for #connection[data-state="open"]';
  await page.waitForSelector('#connection[data-state="open"]', { state: 'attached', timeout: remaining(deadline) });
  await say('READY');

  // 2. The pushed update shows up without a reload.
  deadline = Date.now() + DEADLINE_MS;
  step = `waiting for [data-station="${stationCode}"] [data-parameter="${parameterCode}"] to contain "${expectedText}"`;
  await page.waitForFunction(
    ([station, parameter, expected]) => {
      const selector = `[data-station="${CSS.escape(station)}"] [data-parameter="${CSS.escape(parameter)}"]`;
      const node = document.querySelector(selector);
      return node !== null && node.textContent.includes(expected);
    },
    [stationCode, parameterCode, expectedText],
    { timeout: remaining(deadline), polling: 100 },
  );
  await say('SEEN');

  // 2b. Optionally, the station's AQI verdict shows up too.
  if (expectedAqi !== undefined) {
    deadline = Date.now() + DEADLINE_MS;
    step = `waiting for [data-station="${stationCode}"] [data-aqi] to show ${expectedAqi} with data-level set`;
    await page.waitForFunction(aqiShown, [stationCode, expectedAqi], {
      timeout: remaining(deadline),
      polling: 100,
    });
    await say('AQI');
  }

  // 3. Screenshots at desktop and phone widths.
  step = 'taking screenshots';
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, 'desktop.png'), timeout: STEP_MS });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: path.join(screenshotDir, 'phone.png'), timeout: STEP_MS });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) problems.push(`page is ${overflow}px wider than a 360px phone screen`);
  await page.setViewportSize({ width: 1280, height: 800 });

  // 4. Language toggle to English.
  step = 'switching the language to English';
  await page.locator('[data-set-lang="en"]').click({ timeout: STEP_MS });
  await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: STEP_MS });
  step = 'looking for the English heading "Air monitoring stations"';
  await page
    .locator('h2')
    .filter({ hasText: 'Air monitoring stations' })
    .first()
    .waitFor({ state: 'visible', timeout: STEP_MS });
  step = 'checking the updated value survived the language switch';
  const stillThere = await page.evaluate(
    ([station, parameter, expected]) => {
      const selector = `[data-station="${CSS.escape(station)}"] [data-parameter="${CSS.escape(parameter)}"]`;
      return document.querySelector(selector)?.textContent.includes(expected) ?? false;
    },
    [stationCode, parameterCode, expectedText],
  );
  if (!stillThere) throw new CheckFailed(`after switching to English the value "${expectedText}" is gone`);
  if (expectedAqi !== undefined) {
    step = 'checking the AQI survived the language switch';
    if (!(await page.evaluate(aqiShown, [stationCode, expectedAqi]))) {
      throw new CheckFailed(`after switching to English the AQI ${expectedAqi} is gone`);
    }
  }
} catch (err) {
  exitCode = 1;
  const reason = err instanceof CheckFailed ? err.message : `${step}: ${err.message.split('\n')[0]}`;
  process.stderr.write(`FAIL: ${reason}\n`);
} finally {
  if (browser) {
    await browser.close().catch(() => {});
  }
}

if (problems.length > 0) {
  exitCode = 1;
  process.stderr.write(`FAIL: ${problems.length} browser error(s):\n`);
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
}

clearTimeout(watchdog);
process.exitCode = exitCode;
