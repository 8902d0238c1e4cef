// The public page's load budget with a full city: every registry station and
// every area reporting (tests/system/browser_budget.rs seeds them). On an
// emulated Slow 3G phone (Chrome's figures: 400 ms latency, 500 kbit/s, empty
// cache) it measures the time to the first live values on the page, the time
// to the live socket's snapshot, the live map drawn, and every byte moved
// (HTTP transfer sizes plus the socket's frames), and checks the bytes against
// the budget (250 KB); the time (budget 3 s) is printed, and checked only with
// ENVMON_ENFORCE_TIME_BUDGET=1.
//
// usage: node budget.mjs <page-url> <number-of-stations>
// (ENVMON_BUDGET_DUMP=FILE writes the socket's snapshot there, to see what it carries.)
//
// Prints METRIC lines; exits 0 when every check passed, 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const MAX_FIRST_VALUE_MS = 3000;
const MAX_BYTES = 250 * 1024;
const [pageUrl, stationsText] = process.argv.slice(2);
const stations = Number(stationsText);
if (!pageUrl || !Number.isInteger(stations)) {
  process.stderr.write('usage: node budget.mjs <page-url> <number-of-stations>\n');
  process.exit(2);
}

const problems = [];
let step = 'launching Chromium';
let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 110_000);
watchdog.unref();

const say = (line) => process.stdout.write(`${line}\n`);

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
  step = 'loading over an emulated slow connection';
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error while ${step}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error while ${step}: ${err.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: (500 * 1024) / 8,
    uploadThroughput: (500 * 1024) / 8,
  });
  let t0 = null;
  const socket = [];
  let socketBytes = 0;
  let snapshotBytes = null;
  const at = (timestamp) => Math.round((timestamp - t0) * 1000);
  cdp.on('Network.requestWillBeSent', (e) => {
    if (t0 == null) t0 = e.timestamp;
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => socket.push(`open@${at(e.timestamp)}`));
  cdp.on('Network.webSocketFrameReceived', (e) => {
    const bytes = Buffer.byteLength(e.response.payloadData, 'utf8');
    socketBytes += bytes;
    if (snapshotBytes == null && e.response.payloadData.startsWith('{"type":"snapshot"')) {
      snapshotBytes = bytes;
      if (process.env.ENVMON_BUDGET_DUMP) writeFileSync(process.env.ENVMON_BUDGET_DUMP, e.response.payloadData);
      socket.push(`snapshot${bytes}@${at(e.timestamp)}`);
    }
  });

  await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: 30_000 });
  step = 'waiting for the first values';
  await page.waitForFunction(() => document.body.dataset.firstValue === 'true', null, { timeout: 30_000, polling: 50 });
  const first = await page.evaluate(() => ({
    ms: performance.getEntriesByName('envmon:first-value')[0]?.startTime ?? -1,
    // Cards whose readings are drawn: the values are on the page, not only in memory.
    cards: [...document.querySelectorAll('article[data-station]')].filter((a) => a.querySelector('[data-parameter]')).length,
  }));
  step = 'waiting for the live snapshot';
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000, polling: 50 });
  const snapshotMs = await page.evaluate(() => performance.getEntriesByName('envmon:first-snapshot')[0]?.startTime ?? -1);
  step = 'waiting for the map';
  await page.waitForFunction(() => document.querySelectorAll('#map path.district').length === 16, null, { timeout: 30_000, polling: 100 });
  const mapMs = await page.evaluate(() => performance.now());
  step = 'waiting for the city section';
  await page.waitForFunction(() => document.querySelector('.calendar-img')?.complete === true, null, { timeout: 30_000, polling: 100 });
  const resources = await page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => ({
      name: new URL(e.name).pathname + new URL(e.name).search.slice(0, 30),
      bytes: e.transferSize,
      start: Math.round(e.startTime),
      end: Math.round(e.responseEnd),
    })),
  );
  const httpBytes = resources.reduce((n, e) => n + e.bytes, 0);
  const total = httpBytes + socketBytes;
  resources.sort((a, b) => a.start - b.start);
  say(`METRIC budget_stations=${stations} budget_cards_with_values_at_first_value=${first.cards}`);
  say(`METRIC budget_socket ${socket.join(' ')}`);
  say(`METRIC budget_resources ${resources.map((e) => `${e.name}=${e.bytes}@${e.start}-${e.end}`).join(' ')}`);
  say(
    `METRIC slow3g_full_first_value_ms=${Math.round(first.ms)} slow3g_full_snapshot_ms=${Math.round(snapshotMs)} ` +
      `slow3g_full_map_drawn_ms=${Math.round(mapMs)} snapshot_bytes=${snapshotBytes} ` +
      `first_load_bytes=${total} (http ${httpBytes}, socket ${socketBytes}) budget_ms=${MAX_FIRST_VALUE_MS} budget_bytes=${MAX_BYTES}`,
  );
  if (first.cards < stations) problems.push(`only ${first.cards} of ${stations} stations showed values at the first value`);
  // Time is a measurement, not a check: on a loaded machine it varies, so the test prints it
  // (docs/dashboard.md records it) and fails on it only when asked to.
  if (!(first.ms > 0 && first.ms <= MAX_FIRST_VALUE_MS)) {
    const over = `the first live values came at ${Math.round(first.ms)} ms, over the ${MAX_FIRST_VALUE_MS} ms budget`;
    if (process.env.ENVMON_ENFORCE_TIME_BUDGET === '1') problems.push(over);
    else say(`METRIC budget_warning ${over}`);
  }
  if (total > MAX_BYTES) problems.push(`the first load moved ${total} bytes, over the ${MAX_BYTES} budget`);
  await context.close();
} catch (err) {
  problems.push(`${step}: ${err.message.split('\n')[0]}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
for (const problem of problems) {
  exitCode = 1;
  process.stderr.write(`FAIL: ${problem}\n`);
}
process.exit(exitCode);
