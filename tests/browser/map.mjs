// Browser check of the dashboard's map of Shanghai: the 16 districts and the
// coast drawn (SVG hit tests and screenshot pixels at known places: the
// islands of Chongming, Changxing and Hengsha, the Yangtze between them,
// the sea, inland districts), districts filled with their AQI level colour,
// pan and zoom by keyboard, "near me" with an emulated location and by a
// click on the map, both languages on a desktop and a phone, axe-core, no
// request to any other origin, and the page's weight and time to its first
// live value on an emulated Slow 3G.
//
// usage: node map.mjs <page-url> <screenshot-dir> [<page-url-with-a-basemap>]
//
// The caller (tests/system/browser_map.rs) has published an hour of air
// data for every air station, so districts have an AQI. Prints METRIC
// lines; exits 0 when every check passed, 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STEP_MS = 20_000;
/** Budgets of the issue: first load with the map, and the first live value on Slow 3G. */
const MAX_BYTES = 250 * 1024;
const [pageUrl, screenshotDir, basemapUrl] = process.argv.slice(2);
if (!pageUrl || !screenshotDir) {
  process.stderr.write('usage: node map.mjs <page-url> <screenshot-dir>\n');
  process.exit(2);
}
const origin = new URL(pageUrl).origin;
/** Tiles of the test's tile server are solid magenta. */
const TILE_RGB = [0xff, 0x00, 0xff];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** People's Square: the nearest site is the Zhejiang Road Bridge section (1.46 km), then Shiwuchang (1142A, 2.92 km). */
const PEOPLES_SQUARE = { longitude: 121.4737, latitude: 31.2304 };
/** WGS-84 places and what the map must show there. */
const PLACES = [
  { name: 'Chongming island', lon: 121.5788, lat: 31.6365, district: 'chongming' },
  { name: 'Changxing island', lon: 121.6931, lat: 31.4028, district: 'chongming' },
  { name: 'Hengsha island', lon: 121.9607, lat: 31.3206, district: 'chongming' },
  { name: 'Qingpu', lon: 121.1, lat: 31.15, district: 'qingpu' },
  { name: 'Jinshan', lon: 121.2, lat: 30.85, district: 'jinshan' },
  { name: 'the Yangtze between the islands', lon: 121.6, lat: 31.5, district: null },
  { name: 'the East China Sea', lon: 122.1, lat: 31.0, district: null },
];
const SEA = [0xea, 0xf2, 0xf8];

class CheckFailed extends Error {}
const problems = [];
const foreign = [];
let step = 'launching Chromium';

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error while ${step}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error while ${step}: ${err.stack || err.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin) foreign.push(url);
  });
}

/** Counts geolocation requests, to check the page asks only after the click. */
function countGeolocation() {
  window.__geolocationAsked = 0;
  const geo = navigator.geolocation;
  if (!geo) return;
  const original = geo.getCurrentPosition.bind(geo);
  geo.getCurrentPosition = (...args) => {
    window.__geolocationAsked += 1;
    return original(...args);
  };
}

async function waitFor(page, what, fn, arg) {
  step = what;
  await page.waitForFunction(fn, arg, { timeout: STEP_MS, polling: 50 });
}

async function axeCheck(page, label) {
  step = `running axe-core (${label})`;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  process.stdout.write(`METRIC axe_${label}_serious=${bad.length} axe_${label}_other=${violations.length - bad.length}\n`);
  for (const v of bad) problems.push(`axe ${label}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

/** Where a WGS-84 place is on the screen, by the map's own projection and transform. */
async function screenPoints(page, places) {
  await page.locator('#map .map-frame').scrollIntoViewIfNeeded();
  await page.waitForTimeout(50);
  return page.evaluate(async (list) => {
    const { project } = await import(new URL('map-geo.js', document.baseURI).href);
    const world = document.querySelector('#map .map-world');
    const matrix = world.getScreenCTM();
    const svg = world.ownerSVGElement;
    return list.map((p) => {
      const [x, y] = project(p.lon, p.lat);
      const pt = new DOMPoint(x, y).matrixTransform(matrix);
      const hit = document.elementFromPoint(pt.x, pt.y);
      const box = svg.getBoundingClientRect();
      return {
        ...p,
        x: pt.x,
        y: pt.y,
        inside: pt.x > box.left && pt.x < box.right && pt.y > box.top && pt.y < box.bottom,
        hit: hit?.closest('[data-district]')?.dataset.district ?? null,
        onMarker: Boolean(hit?.closest('.marker-link')),
        element: hit ? `${hit.tagName}.${hit.getAttribute('class') ?? ''}` : null,
        fill: hit?.closest('[data-district]')?.getAttribute('fill') ?? null,
      };
    });
  }, places);
}

/** The RGB of screenshot pixels, decoded in a blank page (no CSP there). */
async function pixels(browser, png, points) {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ([b64, pts]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        // A 9 x 9 neighbourhood: a district name or a border may cover the exact pixel.
        return pts.map(([x, y]) => {
          const data = ctx.getImageData(Math.round(x) - 4, Math.round(y) - 4, 9, 9).data;
          const out = [];
          for (let i = 0; i < data.length; i += 4) out.push([data[i], data[i + 1], data[i + 2]]);
          return out;
        });
      },
      [png.toString('base64'), points],
    );
  } finally {
    await page.close();
  }
}

const hexRgb = (hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
const close = (a, b, tol) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

/** Districts and coast where they belong, in SVG and in pixels; the fills are the AQI level colours at 55 %. */
async function checkGeography(browser, page, label) {
  await waitFor(page, `the 16 districts (${label})`, () => document.querySelectorAll('#map path.district').length === 16);
  await waitFor(page, `district fills (${label})`, () =>
    [...document.querySelectorAll('#map path.district')].filter((p) => p.dataset.level !== '').length >= 10,
  );
  const points = await screenPoints(page, PLACES);
  const png = await page.screenshot({ path: path.join(screenshotDir, `map-${label}.png`) });
  const colours = await pixels(browser, png, points.map((p) => [p.x, p.y]));
  points.forEach((p, i) => {
    expect(p.inside, `${label}: ${p.name} is off the map at the first view (${p.x}, ${p.y})`);
    if (p.onMarker) return;
    expect(p.hit === p.district, `${label}: at ${p.name} the map has ${p.hit ?? 'no district'}, not ${p.district ?? 'water'}`);
    const around = colours[i];
    const want = p.district == null ? SEA : hexRgb(p.fill).map((c, k) => Math.round(c * 0.55 + SEA[k] * 0.45));
    const share = around.filter((rgb) => close(rgb, want, 10)).length / around.length;
    expect(share >= 0.5, `${label}: ${p.name} should be ${p.district ? `${p.fill} at 55 %` : 'water'} (${want}); ${Math.round(share * 100)} % of the pixels around are, e.g. ${around[40]}`);
  });
  process.stdout.write(`METRIC ${label}_places_checked=${points.filter((p) => !p.onMarker).length}\n`);
}

async function worldTransform(page) {
  return page.evaluate(() => document.querySelector('#map .map-world').getAttribute('transform'));
}

async function checkKeyboard(page, label) {
  step = `keyboard zoom and pan (${label})`;
  await page.focus('#map .map-frame');
  const before = await worldTransform(page);
  const scale = (m) => Number(/matrix\(([^ ]+)/.exec(m)[1]);
  const shift = (m) => Number(m.split(' ')[4]);
  await page.keyboard.press('+');
  await page.waitForTimeout(100);
  const zoomed = await worldTransform(page);
  expect(scale(zoomed) > scale(before) * 1.4, `${label}: + did not zoom in (${before} -> ${zoomed})`);
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(100);
  const panned = await worldTransform(page);
  expect(shift(panned) < shift(zoomed) - 50, `${label}: ArrowRight did not pan (${zoomed} -> ${panned})`);
  await page.keyboard.press('-');
  await page.waitForTimeout(100);
  expect(scale(await worldTransform(page)) < scale(panned), `${label}: - did not zoom out`);
  await page.keyboard.press('0');
  await page.waitForTimeout(100);
  expect((await worldTransform(page)) === before, `${label}: 0 did not go back to the whole city`);
}

async function checkNearMe(page, label) {
  step = `near me (${label})`;
  expect((await page.evaluate(() => window.__geolocationAsked)) === 0, `${label}: the page asked for the location before the click`);
  await page.click('#near .near-locate');
  await waitFor(page, `the nearest stations to the emulated location (${label})`, () => document.querySelectorAll('#near .near-item').length === 5);
  const items = await page.evaluate(() =>
    [...document.querySelectorAll('#near .near-item')].map((li) => ({ code: li.dataset.near, distance: Number(li.dataset.distance), text: li.textContent })),
  );
  expect(items[0].code === 'zhejiangluqiao' && Math.abs(items[0].distance - 1459) <= 1, `${label}: nearest ${JSON.stringify(items[0])}`);
  expect(items[1].code === '1142A', `${label}: second nearest ${items[1].code}`);
  expect(items.every((x, i) => i === 0 || x.distance >= items[i - 1].distance), `${label}: not in order of distance`);
  expect(/1[.,]5\s?(km|公里)/.test(items[0].text), `${label}: the distance is not written: ${items[0].text}`);
  expect((await page.evaluate(() => window.__geolocationAsked)) === 1, `${label}: one geolocation request`);
  await page.screenshot({ path: path.join(screenshotDir, `map-near-${label}.png`), fullPage: false });
}

/** A click on Pudong, away from the markers: the list narrows to Pudong. */
async function checkMapClick(page, label) {
  step = `clicking Pudong on the map (${label})`;
  // Places well inside Pudong; markers are spread apart to stay readable,
  // so the first one no marker covers at this size is clicked.
  const candidates = await screenPoints(page, [
    { name: 'Pudong', lon: 121.75, lat: 31.1 },
    { name: 'Pudong (Zhangjiang)', lon: 121.62, lat: 31.15 },
    { name: 'Pudong (Nanhui)', lon: 121.78, lat: 30.98 },
    { name: 'Pudong (Chuansha)', lon: 121.7, lat: 31.19 },
  ]);
  const p = candidates.find((c) => c.hit === 'pudong' && !c.onMarker);
  expect(p, `${label}: no Pudong point away from the markers: ${JSON.stringify(candidates.map((c) => [c.name, c.hit, c.element]))}`);
  if (!p) return;
  await page.mouse.click(p.x, p.y);
  await waitFor(page, `the list for Pudong (${label})`, () => document.getElementById('near-district')?.value === 'pudong' && document.querySelectorAll('#near .near-item').length > 0);
  const codes = await page.evaluate(() => [...document.querySelectorAll('#near .near-item')].map((li) => li.dataset.near));
  const pudong = (await (await fetch(new URL('api/v1/stations?district=' + encodeURIComponent('浦东新区'), pageUrl))).json()).stations.map((s) => s.code);
  expect(codes.every((c) => pudong.includes(c)), `${label}: stations outside Pudong listed: ${codes}`);
  expect(await page.evaluate(() => document.querySelector('#map path[data-district="pudong"]').classList.contains('is-chosen')), `${label}: Pudong is not highlighted`);
}

async function firstLoadWeight(page) {
  return page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].reduce((n, e) => n + e.transferSize, 0),
  );
}

let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 170_000);
watchdog.unref();

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
  await mkdir(screenshotDir, { recursive: true });

  for (const [label, options] of [
    ['desktop-zh', { viewport: { width: 1366, height: 900 }, locale: 'zh-CN', lang: 'zh-CN' }],
    ['phone-en', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1, locale: 'en', lang: 'en' }],
  ]) {
    const { lang, ...contextOptions } = options;
    const context = await browser.newContext({ ...contextOptions, geolocation: PEOPLES_SQUARE, permissions: ['geolocation'] });
    await context.addInitScript(countGeolocation);
    await context.addInitScript((l) => localStorage.setItem('envmon.lang', l), lang);
    const page = await context.newPage();
    watch(page);
    step = `opening the page (${label})`;
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
    await waitFor(page, `the first snapshot (${label})`, () => document.body.dataset.ready === 'true');
    await waitFor(page, `the page in ${lang}`, (l) => document.documentElement.lang === l, lang);
    await page.waitForLoadState('load');
    await checkGeography(browser, page, label);
    if (label === 'desktop-zh') {
      const bytes = await firstLoadWeight(page);
      process.stdout.write(`METRIC first_load_bytes_transferred=${bytes} budget=${MAX_BYTES}\n`);
      expect(bytes <= MAX_BYTES, `the first load moved ${bytes} bytes, over the ${MAX_BYTES} budget`);
    }
    await checkKeyboard(page, label);
    await checkNearMe(page, label);
    await checkMapClick(page, label);
    await axeCheck(page, label.replace('-', '_'));
    await page.screenshot({ path: path.join(screenshotDir, `map-page-${label}.png`), fullPage: true });
    await context.close();
  }

  // A live update repaints in place: the frame, the district shapes and the
  // marker stay the same nodes while Putuo's AQI changes (the caller
  // publishes a new reading for 1141A every two seconds).
  {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
    await waitFor(page, 'the districts for the identity check', () => document.querySelectorAll('#map path.district').length === 16);
    await page.evaluate(() => {
      window.__kept = {
        frame: document.querySelector('#map .map-frame'),
        district: document.querySelector('#map path[data-district="putuo"]'),
        marker: document.querySelector('#map a[data-station="1141A"]'),
        aqi: document.querySelector('#map a[data-station="1141A"] [data-aqi]')?.getAttribute('data-aqi'),
      };
    });
    await waitFor(
      page,
      'a live update of 1141A on the map',
      () => document.querySelector('#map a[data-station="1141A"] [data-aqi]')?.getAttribute('data-aqi') !== window.__kept.aqi,
    );
    const kept = await page.evaluate(
      () =>
        window.__kept.frame === document.querySelector('#map .map-frame') &&
        window.__kept.district === document.querySelector('#map path[data-district="putuo"]') &&
        window.__kept.marker === document.querySelector('#map a[data-station="1141A"]'),
    );
    expect(kept, 'a live update re-created the map');

    // Panning at 4x CPU throttling: frames while a drag moves the map.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const box = await page.locator('#map .map-frame').boundingBox();
    await page.evaluate(() => {
      window.__frames = [];
      const tick = (t) => {
        window.__frames.push(t);
        if (window.__frames.length < 400) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    step = 'dragging the map at 4x CPU throttling';
    const startedAt = await page.evaluate(() => performance.now());
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 60; i += 1) await page.mouse.move(box.x + box.width / 2 - i * 4, box.y + box.height / 2 - i * 2);
    await page.mouse.up();
    const frames = await page.evaluate((t0) => window.__frames.filter((t) => t >= t0), startedAt);
    const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)] ?? NaN;
    const p95 = gaps[Math.floor(gaps.length * 0.95)] ?? NaN;
    process.stdout.write(`METRIC pan_cpu4x_frames=${gaps.length} frame_ms_median=${median.toFixed(1)} frame_ms_p95=${p95.toFixed(1)}\n`);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await context.close();
  }

  // Slow 3G (400 ms, 500 kbit/s), empty cache, a phone: time to the first live value.
  {
    step = 'loading over an emulated slow connection';
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    watch(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: (500 * 1024) / 8, uploadThroughput: (500 * 1024) / 8 });
    const socket = [];
    let t0 = null;
    cdp.on('Network.requestWillBeSent', (e) => {
      if (t0 == null) t0 = e.timestamp;
    });
    cdp.on('Network.webSocketCreated', () => socket.push(`created`));
    cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => socket.push(`handshake@${Math.round((e.timestamp - t0) * 1000)}`));
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => socket.push(`open@${Math.round((e.timestamp - t0) * 1000)}`));
    cdp.on('Network.webSocketFrameReceived', (e) => {
      if (socket.length < 8) socket.push(`frame${e.response.payloadData.length}@${Math.round((e.timestamp - t0) * 1000)}`);
    });
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000, polling: 50 });
    const first = await page.evaluate(() => performance.getEntriesByName('envmon:first-value')[0]?.startTime ?? -1);
    const snapshot = await page.evaluate(() => performance.getEntriesByName('envmon:first-snapshot')[0]?.startTime ?? -1);
    await page.waitForFunction(() => document.querySelectorAll('#map path.district').length === 16, null, { timeout: 30_000, polling: 100 });
    const mapDrawn = await page.evaluate(() => performance.now());
    const bytes = await firstLoadWeight(page);
    const heaviest = await page.evaluate(() =>
      [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
        .map((e) => ({ name: new URL(e.name).pathname + new URL(e.name).search.slice(0, 30), bytes: e.transferSize, start: Math.round(e.startTime), end: Math.round(e.responseEnd) }))
        .sort((a, b) => b.bytes - a.bytes),
    );
    process.stdout.write(`METRIC slow3g_socket ${socket.join(' ')}\n`);
    process.stdout.write(`METRIC slow3g_resources ${heaviest.map((e) => `${e.name}=${e.bytes}@${e.start}-${e.end}`).join(' ')}\n`);
    process.stdout.write(`METRIC slow3g_first_live_value_ms=${Math.round(first)} slow3g_first_snapshot_ms=${Math.round(snapshot)} slow3g_map_drawn_ms=${Math.round(mapDrawn)} slow3g_bytes_transferred=${bytes}\n`);
    await context.close();
  }

  expect(foreign.length === 0, `requests to other origins without a basemap: ${foreign.slice(0, 5).join(', ')}`);

  // With a basemap: tiles under the districts, from exactly the configured origin, allowed by the policy.
  if (basemapUrl) {
    step = 'the page with a basemap';
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const tileOrigins = new Set();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error with a basemap: ${msg.text()}`);
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== new URL(basemapUrl).origin) tileOrigins.add(url.origin);
    });
    await page.goto(basemapUrl, { waitUntil: 'domcontentloaded' });
    await waitFor(page, 'the districts over the basemap', () => document.querySelectorAll('#map path.district').length === 16);
    await waitFor(page, 'basemap tiles', () => document.querySelectorAll('#map .map-base image').length > 0);
    await waitFor(page, 'the basemap attribution', () => document.querySelector('#map .map-attribution')?.textContent === 'Tiles: test server');
    await page.waitForTimeout(500);
    const [sea] = await screenPoints(page, [PLACES.find((p) => p.district == null && p.name.includes('Sea'))]);
    const png = await page.screenshot({ path: path.join(screenshotDir, 'map-basemap.png') });
    const [around] = await pixels(browser, png, [[sea.x, sea.y]]);
    const magenta = around.filter((rgb) => close(rgb, TILE_RGB, 6)).length;
    expect(magenta > around.length / 2, `the sea should show the magenta tiles, shows ${around[40]}`);
    const violations = await page.evaluate(() => window.__violations);
    expect(violations.length === 0, `policy violations with a basemap: ${violations.join(', ')}`);
    expect(tileOrigins.size === 1, `requests to other origins than the tile server: ${[...tileOrigins].join(', ')}`);
    process.stdout.write(`METRIC basemap_tiles=${await page.evaluate(() => document.querySelectorAll('#map .map-base image').length)}\n`);
    await context.close();
  }
} catch (err) {
  exitCode = 1;
  const reason = err instanceof CheckFailed ? err.message : `${step}: ${err.message.split('\n')[0]}`;
  process.stderr.write(`FAIL: ${reason}\n`);
} finally {
  await browser?.close();
}
if (problems.length) {
  exitCode = 1;
  for (const p of problems) process.stderr.write(`FAIL: ${p}\n`);
}
if (exitCode === 0) process.stdout.write('map check passed\n');
process.exit(exitCode);
