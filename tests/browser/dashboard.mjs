// Browser check of the envmon dashboard against a running system.
//
// usage: node dashboard.mjs <page-url> <screenshot-dir>
//
// The caller (tests/system/browser.rs) owns the system. When this script
// needs something done to it, it prints `NEED <step>` and waits for
// `DONE <step>` on stdin:
//   reading   publish 1141A PM2.5 62 (AQI 102) for the current hour and a
//             wusongkou river record (class IV, turbidity flagged out_of_range)
//   notice    publish a retained orange notice `dash-test-1` on live/alert/
//   reading2  publish 1141A PM2.5 75 for the same hour
//   stop      stop the publisher
//   start     publish 1141A PM2.5 80, then start the publisher on its address
// It prints `METRIC name=value ...` lines with what it measured, and exits
// 0 when every check passed; 1 with the reasons on stderr otherwise,
// including any console error or uncaught page error.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const STEP_MS = 10_000;
const UPDATE_MS = 15_000;
const RECOVER_MS = 25_000;
const NOTICE_ID = 'dash-test-1';

const [pageUrl, screenshotDir] = process.argv.slice(2);
if (!pageUrl || !screenshotDir) {
  process.stderr.write('usage: node dashboard.mjs <page-url> <screenshot-dir>\n');
  process.exit(2);
}
// axe-core goes in through DevTools: the page's Content-Security-Policy
// (rightly) refuses the inline <script> that addScriptTag would make.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

class CheckFailed extends Error {}

function say(line) {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

// ------------------------------------------------------------ talking to the caller

const inbox = [];
let waiting = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(line);
  } else inbox.push(line);
});

async function need(step, timeoutMs = 30_000) {
  await say(`NEED ${step}`);
  const line =
    inbox.shift() ??
    (await new Promise((resolve, reject) => {
      waiting = resolve;
      setTimeout(() => reject(new CheckFailed(`no DONE ${step} within ${timeoutMs} ms`)), timeoutMs).unref();
    }));
  if (line !== `DONE ${step}`) throw new CheckFailed(`expected "DONE ${step}", got "${line}"`);
}

// ------------------------------------------------------------ page helpers

const problems = [];
/** Console errors that a step expects (a server that is down refuses the socket). */
const allowed = [];
let step = 'launching Chromium';

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    const text = `${msg.text()} ${url}`;
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console error while ${step}: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error while ${step}: ${err.stack || err.message}`));
  page.on('crash', () => problems.push('page crashed'));
}

async function waitFor(page, what, fn, arg, timeout = STEP_MS) {
  step = what;
  await page.waitForFunction(fn, arg, { timeout, polling: 50 });
}

/** In the page: the text of the first element matching `selector`, or null. */
const textOf = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

async function expectText(page, selector, expected, what) {
  await waitFor(
    page,
    what,
    ([s, e]) => document.querySelector(s)?.textContent.includes(e) ?? false,
    [selector, expected],
  );
}

async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function axeCheck(page, label) {
  step = `running axe-core (${label})`;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join('')}`),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v)).map((v) => `${v.id}(${v.impact})`);
  await say(`METRIC axe_${label}_serious=${bad.length} axe_${label}_other=${minor.length}${minor.length ? ` [${minor.join(' ')}]` : ''}`);
  for (const v of bad) problems.push(`axe ${label}: ${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`);
}

async function noOverflow(page, label) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) problems.push(`${label}: the page is ${overflow}px wider than the window`);
}

async function shot(page, name) {
  step = `taking screenshot ${name}`;
  await settle(page);
  await page.screenshot({ path: path.join(screenshotDir, name), timeout: STEP_MS });
}

/** Bytes the page loaded: as sent, and what gzip would make of the static files. */
async function pageWeight(page) {
  const entries = await page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => ({
      name: e.name,
      transfer: e.transferSize,
      body: e.decodedBodySize,
    })),
  );
  let transfer = 0;
  let body = 0;
  let gzip = 0;
  let staticBody = 0;
  for (const e of entries) {
    transfer += e.transfer;
    body += e.body;
    const url = new URL(e.name);
    if (!url.pathname.startsWith('/api/')) {
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      staticBody += bytes.length;
      gzip += gzipSync(bytes, { level: 6 }).length;
    } else {
      const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
      gzip += gzipSync(bytes, { level: 6 }).length;
    }
  }
  return { requests: entries.length, transfer, body, staticBody, gzip };
}

// ------------------------------------------------------------ the checks

let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 150_000);
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
  await mkdir(screenshotDir, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  watch(page);

  // 1. The page loads; the first snapshot arrives over the live socket.
  step = `loading ${pageUrl}`;
  const started = Date.now();
  await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await waitFor(page, 'waiting for the first snapshot (body[data-ready])', () => document.body.dataset.ready === 'true');
  await waitFor(page, 'waiting for #connection[data-state="open"]', () => document.querySelector('#connection')?.dataset.state === 'open');
  const firstUpdate = await page.evaluate(() => performance.getEntriesByName('envmon:first-snapshot')[0]?.startTime ?? -1);
  const dcl = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? -1);
  await page.waitForLoadState('load');
  const weight = await pageWeight(page);
  await say(
    `METRIC first_update_ms=${Math.round(firstUpdate)} dom_content_loaded_ms=${Math.round(dcl)} requests=${weight.requests} ` +
      `bytes_transferred=${weight.transfer} bytes_decoded=${weight.body} static_bytes=${weight.staticBody} bytes_if_gzipped=${weight.gzip} ` +
      `wall_ms_to_ready=${Date.now() - started}`,
  );
  // The map loads after the first live value.
  await waitFor(page, 'waiting for the map markers', () => document.querySelectorAll('#map a[data-station]').length > 0);
  step = 'counting map markers and table rows';
  const counts = await page.evaluate(() => ({
    stations: document.querySelectorAll('#station-table tbody tr').length,
    markers: document.querySelectorAll('#map a[data-station]').length,
    cards: document.querySelectorAll('#list-view article[data-station]').length,
  }));
  if (counts.markers < 41 || counts.markers !== counts.stations || counts.cards !== counts.markers) {
    throw new CheckFailed(`expected a marker, a table row and a card per station, got ${JSON.stringify(counts)}`);
  }
  if ((await textOf(page, 'h1')) !== '上海环境质量实时数据') throw new CheckFailed('the page does not open in Chinese');
  await say('READY');

  // 2. A reading published over MQTT shows up: value, AQI on the map, table, card.
  await need('reading');
  const published = Date.now();
  await expectText(page, '[data-station="1141A"] [data-parameter="pm25"]', '62', 'waiting for PM2.5 62 at 1141A');
  await waitFor(
    page,
    'waiting for the 1141A map marker to show AQI 102 at level 3',
    () => {
      const g = document.querySelector('#map a[data-station="1141A"] [data-aqi]');
      return g?.getAttribute('data-aqi') === '102' && g.getAttribute('data-level') === '3' && g.textContent.includes('102');
    },
    null,
    UPDATE_MS,
  );
  await say(`METRIC mqtt_to_page_ms=${Date.now() - published}`);
  await waitFor(
    page,
    'waiting for the wusongkou marker to show class IV',
    () => document.querySelector('#map a[data-station="wusongkou"] [data-water-class]')?.getAttribute('data-water-class') === '4',
    null,
    UPDATE_MS,
  );
  await expectText(page, '#station-table tr[data-row="1141A"]', '轻度污染', 'waiting for the table row of 1141A to say 轻度污染');
  // Flagged data is said in words: on the card, next to the value, in the table.
  await expectText(page, '[data-station="wusongkou"] .flag-note', '超出合理范围', 'waiting for the flagged-data note of wusongkou');
  await expectText(page, '[data-station="wusongkou"] [data-parameter="turbidity"] + .flag', '超出合理范围', 'checking the flag next to the value');
  await expectText(page, '#station-table tr[data-row="wusongkou"]', '1 项带质量标记', 'checking the table says a value is flagged');
  await expectText(page, '[data-station="wusongkou"] .verdict-category', '未达标', 'checking wusongkou misses its target class');
  // A radiation station: its dose rate against its natural background, the rain named.
  await waitFor(
    page,
    'waiting for the Xuhui radiation marker to show the hour above the background',
    () => document.querySelector('#map a[data-station="rad-xuhui"] [data-radiation]')?.getAttribute('data-radiation') === 'above',
    null,
    UPDATE_MS,
  );
  await expectText(page, '[data-station="rad-xuhui"] .verdict-category', '125 nGy/h，高于天然本底', 'checking the radiation card says above the background');
  await expectText(page, '[data-station="rad-xuhui"] .verdict-facts', '降雨', 'checking the radiation card names the rain');
  const label = await page.getAttribute('#map a[data-station="1141A"]', 'aria-label');
  if (!/普陀.*AQI 102.*轻度污染/.test(label ?? '')) throw new CheckFailed(`marker label is "${label}"`);
  if (await page.locator('#station-table tr[data-row="1141A"]').textContent().then((t) => t.includes('过时'))) {
    throw new CheckFailed('a reading of this hour is called stale');
  }

  // 3. An alert notice appears as a banner in its level's colour.
  await need('notice');
  await expectText(page, `#alerts [data-notice="${NOTICE_ID}"]`, '重污染天气橙色预警', 'waiting for the notice banner');
  step = 'checking the banner';
  const banner = await page.evaluate((id) => {
    const node = document.querySelector(`#alerts [data-notice="${id}"]`);
    const chip = node.querySelector('.alert-chip');
    return {
      visible: !document.getElementById('alerts').hidden,
      severity: node.dataset.severity,
      chip: chip.textContent,
      chipBg: getComputedStyle(chip).backgroundColor,
      text: node.textContent,
    };
  }, NOTICE_ID);
  if (!banner.visible || banner.severity !== 'orange' || banner.chip !== '橙色预警' || banner.chipBg !== 'rgb(242, 140, 0)') {
    throw new CheckFailed(`banner: ${JSON.stringify(banner)}`);
  }
  if (!banner.text.includes('普陀区')) throw new CheckFailed(`banner does not name its area: ${banner.text}`);
  await expectText(page, '#announcer', '重污染天气橙色预警', 'waiting for the screen-reader announcement of the notice');

  // 4. Filters: river sections only, then everything again.
  step = 'filtering';
  await page.locator('input[name="kind"][value="air"]').uncheck();
  await page.locator('input[name="kind"][value="source"]').uncheck();
  await page.locator('input[name="kind"][value="plant"]').uncheck();
  await page.locator('input[name="kind"][value="tap"]').uncheck();
  await page.locator('input[name="kind"][value="radiation"]').uncheck();
  const filtered = await page.evaluate(() => ({
    air: document.querySelectorAll('#map a.kind-air').length,
    river: document.querySelectorAll('#map a.kind-river').length,
    source: document.querySelectorAll('#map a.kind-source').length,
    rows: document.querySelectorAll('#station-table tbody tr').length,
  }));
  if (filtered.air !== 0 || filtered.source !== 0 || filtered.river < 1 || filtered.rows !== filtered.river) {
    throw new CheckFailed(`river filter: ${JSON.stringify(filtered)}`);
  }
  await page.locator('input[name="kind"][value="air"]').check();
  await page.locator('input[name="kind"][value="source"]').check();
  await page.locator('input[name="kind"][value="plant"]').check();
  await page.locator('input[name="kind"][value="tap"]').check();
  await page.locator('input[name="kind"][value="radiation"]').check();

  // 5. The station's details, by keyboard: verdict, advice, chart, data, embed.
  step = 'opening 1141A from the map with the keyboard';
  await page.focus('#map a[data-station="1141A"]');
  await page.keyboard.press('Enter');
  await waitFor(page, 'waiting for the detail dialog', () => document.getElementById('detail').open);
  await expectText(page, '#detail-title', '普陀', 'checking the dialog title');
  await expectText(page, '#detail [data-aqi="102"]', '102', 'checking the AQI in the dialog');
  await expectText(page, '#detail .verdict-category', '轻度污染', 'checking the category in the dialog');
  await expectText(page, '#detail .verdict-facts', 'PM2.5', 'checking the primary pollutant in the dialog');
  await expectText(page, '#detail [data-parameter="pm25"]', '62', 'checking PM2.5 in the dialog');
  const advice = await textOf(page, '#detail .advice-text');
  if (!advice || advice.length < 10) throw new CheckFailed(`no advice in the dialog: "${advice}"`);
  const latest = await page.getAttribute('#detail .data-links a', 'href');
  if (!latest?.endsWith('/api/v1/stations/1141A/latest')) throw new CheckFailed(`data link is ${latest}`);
  const latestBody = await (await fetch(latest)).json();
  if (latestBody.station !== '1141A' || latestBody.readings?.pm25?.value !== 62) {
    throw new CheckFailed(`the data link gives ${JSON.stringify(latestBody).slice(0, 200)}`);
  }
  const embed = await page.inputValue('#embed-iframe');
  const embedSrc = /src="([^"]+)"/.exec(embed)?.[1];
  if (embedSrc !== `${new URL(pageUrl).origin}/embed/station/1141A?lang=zh`) throw new CheckFailed(`embed code: ${embed}`);
  const embedStatus = (await fetch(embedSrc)).status;
  const history = await page.getAttribute('#detail .data-links a[href*="/readings?parameter=pm25"]', 'href');
  const historyStatus = history ? (await fetch(history)).status : 0;
  await say(`METRIC embed_route_status=${embedStatus} history_route_status=${historyStatus}`);
  if (historyStatus !== 200) throw new CheckFailed(`the PM2.5 history link ${history} answers ${historyStatus}`);
  if (embedStatus !== 200) throw new CheckFailed(`the embed code's page ${embedSrc} answers ${embedStatus}`);
  const chartSrc = await page.getAttribute('#detail .chart img', 'src');
  if (!chartSrc?.includes('/api/v1/charts/station/1141A/aqi.svg?range=24h&lang=zh&theme=light&width=640&height=260')) {
    throw new CheckFailed(`chart URL: ${chartSrc}`);
  }
  const chartStatus = (await fetch(chartSrc)).status;
  if (chartStatus !== 200) allowed.push(/Failed to load resource.*\/api\/v1\/charts\//);
  const want = chartStatus === 200 ? 'loaded' : 'unavailable';
  await waitFor(page, `waiting for the chart to be ${want} (the server answers ${chartStatus})`, (w) => document.querySelector('#detail .detail-chart')?.dataset.chart === w, want);
  if (want === 'unavailable' && !(await page.isVisible('#detail .chart-fallback'))) throw new CheckFailed('no chart fallback text');
  await say(`METRIC chart_route_status=${chartStatus} chart_shown=${want}`);
  await axeCheck(page, 'detail');
  await page.setViewportSize({ width: 360, height: 740 });
  await shot(page, 'phone-detail.png');
  await page.setViewportSize({ width: 1366, height: 900 });
  step = 'closing the dialog with Escape';
  await page.keyboard.press('Escape');
  await waitFor(page, 'waiting for the dialog to close', () => !document.getElementById('detail').open);
  const focusBack = await page.evaluate(() => document.activeElement?.getAttribute('data-station'));
  if (focusBack !== '1141A') throw new CheckFailed(`focus after closing is on ${focusBack}, not the marker`);
  // The dialog's close event (which leaves the #station/ address) follows its closing as a task of its own.
  await waitFor(page, 'waiting for the address to leave the station', () => location.hash === '');

  // 6. Accessibility and screenshots of both views at both sizes.
  await axeCheck(page, 'map');
  await shot(page, 'desktop.png');
  await noOverflow(page, 'desktop');
  await page.click('[data-view="list"]');
  await axeCheck(page, 'list');
  await shot(page, 'desktop-list.png');
  await page.setViewportSize({ width: 360, height: 740 });
  await shot(page, 'phone-list.png');
  await noOverflow(page, 'phone list');
  await page.click('[data-view="map"]');
  await settle(page);
  await shot(page, 'phone.png');
  await noOverflow(page, 'phone map');
  await axeCheck(page, 'phone');
  await page.setViewportSize({ width: 1366, height: 900 });

  // 7. English, remembered after a reload.
  step = 'switching to English';
  await page.click('[data-set-lang="en"]');
  await waitFor(page, 'waiting for lang="en"', () => document.documentElement.lang === 'en');
  await expectText(page, 'h1', 'Shanghai environmental quality', 'checking the English title');
  await expectText(page, `#alerts [data-notice="${NOTICE_ID}"]`, 'Orange alert: heavy pollution', 'checking the English notice');
  await expectText(page, '#station-table tr[data-row="1141A"]', 'Lightly Polluted', 'checking the English category');
  step = 'reloading';
  await page.reload({ waitUntil: 'domcontentloaded', timeout: STEP_MS });
  await waitFor(page, 'waiting for the snapshot after reload', () => document.body.dataset.ready === 'true');
  if ((await page.evaluate(() => document.documentElement.lang)) !== 'en') throw new CheckFailed('English was not remembered');
  await expectText(page, 'h1', 'Shanghai environmental quality', 'checking the English title after reload');
  await expectText(page, '#map a[data-station="1141A"] [data-aqi]', '102', 'checking AQI 102 after reload');
  await expectText(page, `#alerts [data-notice="${NOTICE_ID}"]`, 'Orange alert', 'checking the notice after reload (from the snapshot)');
  const untranslated = await page.evaluate(() => {
    // Han characters outside elements marked lang="zh-CN" (station names the registry has only in Chinese).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const host = n.parentElement;
      if (!host || host.closest('[lang="zh-CN"], [hidden], script, noscript, .lang-switch')) continue;
      if (/[\u4e00-\u9fff]/.test(n.textContent)) found.push(n.textContent.trim().slice(0, 40));
    }
    return found;
  });
  if (untranslated.length) throw new CheckFailed(`Chinese text left on the English page: ${untranslated.slice(0, 5).join(' | ')}`);
  await shot(page, 'desktop-en.png');
  await axeCheck(page, 'english');
  await page.click('[data-set-lang="zh-CN"]');
  await waitFor(page, 'waiting for lang="zh-CN"', () => document.documentElement.lang === 'zh-CN');
  await waitFor(page, 'waiting for the connection after the reload', () => document.querySelector('#connection')?.dataset.state === 'open');

  // 8. A dropped socket: reconnects and resumes (no fresh snapshot).
  step = 'dropping the live socket from the page';
  const snapshotsBefore = await page.evaluate(() => document.querySelector('#connection').dataset.snapshots);
  await page.evaluate(() => window.envmon.dropConnection());
  await waitFor(page, 'waiting for "reconnecting"', () => document.querySelector('#connection')?.dataset.state === 'closed');
  await expectText(page, '#connection', '正在重连', 'checking the reconnecting text');
  await waitFor(page, 'waiting for the socket to reopen', () => document.querySelector('#connection')?.dataset.state === 'open', null, RECOVER_MS);
  await need('reading2');
  await expectText(page, '[data-station="1141A"] [data-parameter="pm25"]', '75', 'waiting for PM2.5 75 after the resume');
  const snapshotsAfter = await page.evaluate(() => document.querySelector('#connection').dataset.snapshots);
  if (snapshotsAfter !== snapshotsBefore) {
    throw new CheckFailed(`the reconnect got a fresh snapshot (${snapshotsBefore} -> ${snapshotsAfter}) instead of resuming`);
  }

  // 9. The server goes away and comes back: "reconnecting", then live again.
  await need('stop');
  allowed.push(/WebSocket connection to .* failed/, /Failed to load resource.*ERR_CONNECTION_REFUSED/);
  await waitFor(page, 'waiting for "reconnecting" while the publisher is down', () => document.querySelector('#connection')?.dataset.state === 'closed');
  await expectText(page, '#connection', '正在重连', 'checking the reconnecting text');
  const down = Date.now();
  await need('start');
  await waitFor(page, 'waiting for the page to reconnect to the restarted publisher', () => document.querySelector('#connection')?.dataset.state === 'open', null, RECOVER_MS);
  await expectText(page, '[data-station="1141A"] [data-parameter="pm25"]', '80', 'waiting for the reading published during the outage');
  await say(`METRIC outage_recovered_ms=${Date.now() - down}`);
  allowed.splice(-2);
  await expectText(page, `#alerts [data-notice="${NOTICE_ID}"]`, '重污染天气橙色预警', 'checking the notice survived the restart');

  // 10. The same page on a slow connection (Chrome's "Slow 3G": 400 ms, 500 kbit/s), empty cache.
  step = 'loading over an emulated slow connection';
  const slowContext = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const slow = await slowContext.newPage();
  watch(slow);
  const cdp = await slowContext.newCDPSession(slow);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: (500 * 1024) / 8,
    uploadThroughput: (500 * 1024) / 8,
  });
  await slow.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: 30_000 });
  await waitFor(slow, 'waiting for the first snapshot on the slow connection', () => document.body.dataset.ready === 'true', null, 30_000);
  const slowFirst = await slow.evaluate(() => performance.getEntriesByName('envmon:first-snapshot')[0]?.startTime ?? -1);
  const slowValue = await slow.evaluate(() => performance.getEntriesByName('envmon:first-value')[0]?.startTime ?? -1);
  const slowWeight = await slow.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].reduce((n, e) => n + e.transferSize, 0),
  );
  await say(`METRIC slow3g_first_value_ms=${Math.round(slowValue)} slow3g_first_update_ms=${Math.round(slowFirst)} slow3g_bytes_transferred=${slowWeight}`);
  await slowContext.close();
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
clearTimeout(watchdog);
process.exitCode = exitCode;
process.exit(exitCode);
