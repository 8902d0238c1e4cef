// Browser check of the embeds as a newsroom uses them: a blank article page
// with the iframe code from the oEmbed answer (Chinese and English) and the
// chart images, opened from a file in Chromium.
//
// usage: node embed_widget.mjs <base-url> <station-code> <expected-aqi> <screenshot-dir>
//
// Prints READY once both widgets have their first snapshot and an open
// connection; the caller then publishes a reading whose AQI is
// <expected-aqi>. Succeeds when both widgets show that AQI with its level
// and category in their language, their sparklines have a point, both chart
// images loaded (naturalWidth > 0), and no cookie was set.
// Exit 0 on success; exit 1 with the reason on stderr on any failure,
// including any console error or uncaught page error.

import { chromium } from 'playwright-core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const DEADLINE_MS = 20_000;
const USAGE = 'usage: node embed_widget.mjs <base-url> <station-code> <expected-aqi> <screenshot-dir>\n';
const [base, station, expectedAqi, screenshotDir] = process.argv.slice(2);
if (!base || !station || !/^\d{1,3}$/.test(expectedAqi ?? '') || !screenshotDir) {
  process.stderr.write(USAGE);
  process.exit(2);
}

// HJ 633 level III category names (HJ 633 Table 1/2; the English one is
// the common wording), as the widget must show them for AQI 101-150.
const CATEGORY = { zh: '轻度污染', en: 'Lightly Polluted' };

class CheckFailed extends Error {}

function say(line) {
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

async function oembedHtml(lang) {
  const url = `${base}/station/${station}?lang=${lang}`;
  const response = await fetch(`${base}/api/v1/oembed?url=${encodeURIComponent(url)}&format=json`);
  if (!response.ok) throw new CheckFailed(`oEmbed for ${url} answered ${response.status}`);
  const answer = await response.json();
  if (answer.type !== 'rich' || !answer.html.startsWith('<iframe')) {
    throw new CheckFailed(`oEmbed answer is not a rich iframe: ${JSON.stringify(answer)}`);
  }
  return answer.html;
}

const problems = [];
let browser;
let dir;
let exitCode = 0;
let step = 'fetching the embed codes';
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 120_000);
watchdog.unref();

try {
  const [zh, en] = [await oembedHtml('zh'), await oembedHtml('en')];
  const article = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>A newsroom article</title></head>
<body>
<h1>今日空气</h1>
<p>Copied from the station page: the widget and the chart, in Chinese and in English.</p>
<div id="widget-zh">${zh}</div>
<img id="chart-zh" src="${base}/api/v1/charts/station/${station}/aqi.png?lang=zh&range=24h" alt="AQI">
<div id="widget-en">${en}</div>
<img id="chart-en" src="${base}/api/v1/charts/station/${station}/pm25.svg?lang=en&range=7d" alt="PM2.5">
</body></html>
`;
  dir = await mkdtemp(path.join(os.tmpdir(), 'envmon-embed-'));
  const file = path.join(dir, 'article.html');
  await writeFile(file, article);

  step = 'launching Chromium';
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: { width: 900, height: 1600 } });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location()?.url ?? ''})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message}`));

  step = `opening file://${file}`;
  await page.goto(`file://${file}`, { waitUntil: 'load', timeout: DEADLINE_MS });

  const frames = {};
  for (const lang of ['zh', 'en']) {
    step = `finding the ${lang} widget frame`;
    const handle = await page.waitForSelector(`#widget-${lang} iframe`, { timeout: DEADLINE_MS });
    const frame = await handle.contentFrame();
    if (!frame) throw new CheckFailed(`the ${lang} iframe has no frame`);
    step = `waiting for the ${lang} widget's first snapshot and open connection`;
    await frame.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: DEADLINE_MS });
    await frame.waitForSelector('#connection[data-state="open"]', { state: 'attached', timeout: DEADLINE_MS });
    frames[lang] = frame;
  }
  await say('READY');

  for (const lang of ['zh', 'en']) {
    step = `waiting for the ${lang} widget to show AQI ${expectedAqi} (${CATEGORY[lang]})`;
    await frames[lang].waitForFunction(
      ([aqi, category]) => {
        const verdict = document.querySelector('[data-station] [data-verdict]');
        return (
          verdict?.getAttribute('data-aqi') === aqi &&
          /^[1-6]$/.test(verdict.getAttribute('data-level') ?? '') &&
          verdict.textContent.includes(aqi) &&
          verdict.textContent.includes(category)
        );
      },
      [expectedAqi, CATEGORY[lang]],
      { timeout: DEADLINE_MS, polling: 100 },
    );
    step = `waiting for the ${lang} sparkline to draw the new hour`;
    await frames[lang].waitForFunction(
      () => Number(document.querySelector('[data-spark] svg')?.dataset.points ?? 0) >= 1,
      null,
      { timeout: DEADLINE_MS, polling: 100 },
    );
    step = `checking the ${lang} widget names its source and links back`;
    const foot = await frames[lang].evaluate(() => ({
      source: document.querySelector('[data-source]').textContent,
      more: document.querySelector('[data-more]').href,
    }));
    if (!foot.source.includes('envmon')) throw new CheckFailed(`${lang} widget source: "${foot.source}"`);
    if (!foot.more.includes(`/station/${station}`)) throw new CheckFailed(`${lang} widget link: ${foot.more}`);
  }

  step = 'waiting for both chart images to load';
  await page.waitForFunction(
    () => [...document.images].every((image) => image.complete && image.naturalWidth > 0),
    null,
    { timeout: DEADLINE_MS, polling: 100 },
  );
  const sizes = await page.evaluate(() => [...document.images].map((i) => `${i.id}:${i.naturalWidth}`));
  await say(`IMAGES ${sizes.join(' ')}`);

  const cookies = await context.cookies();
  if (cookies.length > 0) throw new CheckFailed(`the embeds set cookies: ${JSON.stringify(cookies)}`);

  step = 'taking the screenshot';
  await page.screenshot({ path: path.join(screenshotDir, 'embed-article.png'), fullPage: true });
} catch (err) {
  exitCode = 1;
  const reason = err instanceof CheckFailed ? err.message : `${step}: ${err.message.split('\n')[0]}`;
  process.stderr.write(`FAIL: ${reason}\n`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
}

if (problems.length > 0) {
  exitCode = 1;
  process.stderr.write(`FAIL: ${problems.length} browser error(s):\n`);
  for (const problem of problems) process.stderr.write(`  ${problem}\n`);
}
clearTimeout(watchdog);
process.exitCode = exitCode;
