// Browser check of the drinking-water view and the quarterly report.
//
// usage: node drinking.mjs <page-url> <screenshot-dir>
//
// The caller (tests/system/browser_drinking.rs) has published the
// simulator's 2026-Q3 laboratory quarter (one failing free-chlorine result
// in the network) and live records of qingcaosha-shuiku (compliant),
// plant-yangshupu (free chlorine 0.2: fails at the outlet) and
// tap-yangshupu-1 (the same value passes in the network).
//
// Checks, on a desktop in Chinese and a phone in English: the view is
// reached from the navigation, lists every site, shows the failing network
// sample with its item, value and limit, the live verdicts, the schedule and
// the explanations; axe-core finds nothing serious; the phone does not
// scroll sideways. The live map and table give the plant its GB 5749
// verdict. The report's figures equal /api/v1/drinking/compliance; a
// quarter without samples says "无数据", not 100 %; printing hides the
// navigation. No request goes to another origin. Exits 0 when every check
// passed, 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STEP_MS = 20_000;
const PERIOD = '2026-Q3';
const [pageUrl, screenshotDir] = process.argv.slice(2);
if (!pageUrl || !screenshotDir) {
  process.stderr.write('usage: node drinking.mjs <page-url> <screenshot-dir>\n');
  process.exit(2);
}
const origin = new URL(pageUrl).origin;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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

async function api(pathAndQuery) {
  const response = await fetch(new URL(pathAndQuery, pageUrl));
  expect(response.ok, `${pathAndQuery}: HTTP ${response.status}`);
  return response.json();
}

const percent = (rate) => (rate.judged ? `${((100 * rate.passing) / rate.judged).toFixed(1)} %` : null);

// ------------------------------------------------------------ the view

const VIEW = {
  'zh-CN': { title: '饮用水：从水源到龙头', item: '游离氯', nav: '饮用水', salt: '咸潮', report: '2026年第三季度报告' },
  en: { title: 'Drinking water, from source to tap', item: 'Free chlorine', nav: 'Drinking water', salt: 'salt tide', report: 'Report for Q3 2026' },
};

async function checkView(page, lang, figures, sites) {
  const words = VIEW[lang];
  const failure = figures.failures[0];
  step = `opening the drinking-water view from the navigation (${lang})`;
  const link = page.locator('[data-nav="drinking"]');
  expect((await link.textContent()).trim() === words.nav, `the navigation link reads ${await link.textContent()}`);
  await link.click();
  await waitFor(page, `the drinking-water view (${lang})`, () => document.getElementById('drinking')?.dataset.ready === 'true');
  expect(new URL(page.url()).hash === '#drinking', `the address is ${page.url()}`);
  const seen = await page.evaluate(() => ({
    title: document.getElementById('drinking-title')?.textContent,
    current: document.querySelector('[data-nav][aria-current="page"]')?.dataset.nav,
    mapShown: document.getElementById('map-view')?.checkVisibility() ? `${document.body.dataset.page} ${getComputedStyle(document.getElementById('map-view')).display}` : false,
    sites: [...document.querySelectorAll('#drinking .drink-site')].map((n) => n.dataset.site),
    failing: [...document.querySelectorAll('#drinking [data-lab="false"]')].map((n) => n.closest('[data-site]').dataset.site),
    compliant: document.querySelectorAll('#drinking [data-lab="true"]').length,
    quarterFailures: [...document.querySelectorAll('#drinking .drink-quarter-failures li')].map((li) => [li.dataset.site, li.dataset.item, li.textContent]),
    schedules: [...document.querySelectorAll('#drinking table.drink-schedule')].map((n) => n.dataset.stage),
    explain: document.querySelector('#drinking .drink-explain')?.textContent ?? '',
    reports: [...document.querySelectorAll('#drinking a[data-report]')].map((a) => [a.dataset.report, a.textContent, a.getAttribute('href')]),
    online: Object.fromEntries(
      ['plant-yangshupu', 'tap-yangshupu-1', 'qingcaosha-shuiku'].map((code) => [code, document.querySelector(`#drinking [data-site="${code}"] [data-online]`)?.dataset.online]),
    ),
  }));
  expect(seen.title === words.title, `the view's title is ${seen.title}`);
  expect(seen.current === 'drinking', 'the navigation does not mark the drinking-water page as current');
  expect(!seen.mapShown, `the live map is still shown under the drinking-water view (${seen.mapShown})`);
  const expected = sites.map((s) => s.code).sort();
  expect(JSON.stringify([...seen.sites].sort()) === JSON.stringify(expected), `sites shown: ${seen.sites.length}, expected ${expected.length}`);
  expect(expected.length === 29, `the API lists ${expected.length} sites`);
  // Each site's latest sample, as the API has it.
  const latestFailing = sites.filter((s) => s.laboratory?.compliant === false).map((s) => s.code);
  const latestCompliant = sites.filter((s) => s.laboratory?.compliant === true).length;
  expect(JSON.stringify(seen.failing) === JSON.stringify(latestFailing), `failing latest samples shown at ${seen.failing.join(', ')}, the API has ${latestFailing.join(', ')}`);
  expect(seen.compliant === latestCompliant && latestCompliant + latestFailing.length === 29, `${seen.compliant} compliant latest samples shown, the API has ${latestCompliant}`);
  // The quarter's one failing network sample, with its item.
  expect(seen.quarterFailures.length === 1, `the quarter's failures: ${JSON.stringify(seen.quarterFailures)}`);
  const [site, itemCode, item] = seen.quarterFailures[0];
  expect(site === failure.station && itemCode === 'free_chlorine', `the failure shown is ${site} ${itemCode}`);
  const date = new Date(Date.parse(failure.sampled_at) + 8 * 3600 * 1000).toISOString().slice(0, 10);
  expect(item.includes(date), `the failure "${item}" does not give its date ${date}`);
  for (const part of [words.item, failure.result.value_text, failure.result.limit_text]) {
    expect(item.includes(part), `the failing item reads "${item}", without "${part}"`);
  }
  expect(/0\.02/.test(item), `the failing item does not say by how much (0.02 mg/L short): "${item}"`);
  expect(seen.online['plant-yangshupu'] === 'false', `plant-yangshupu online: ${seen.online['plant-yangshupu']}`);
  expect(seen.online['tap-yangshupu-1'] === 'true', `tap-yangshupu-1 online: ${seen.online['tap-yangshupu-1']}`);
  expect(seen.online['qingcaosha-shuiku'] === 'true', `qingcaosha-shuiku online: ${seen.online['qingcaosha-shuiku']}`);
  expect(JSON.stringify(seen.schedules) === JSON.stringify(['source', 'outlet', 'network']), `schedules: ${seen.schedules}`);
  expect(seen.explain.includes('<0.002') && seen.explain.includes(words.salt), 'the explanations lack "<0.002" or the salt tide');
  const q3 = seen.reports.find(([code]) => code === PERIOD);
  expect(q3 && q3[1] === words.report, `no link to the ${PERIOD} report: ${JSON.stringify(seen.reports)}`);
  expect(seen.reports.some(([code]) => code === '2026-Q4'), `no link to the current quarter's report: ${JSON.stringify(seen.reports)}`);
  return q3[2];
}

async function checkLiveMarkers(page) {
  step = 'going back to the live page';
  await page.locator('[data-nav="live"]').click();
  await waitFor(page, 'the live page again', () => document.getElementById('drinking').hidden && document.getElementById('map-view').checkVisibility());
  await waitFor(page, 'the plant marker with its GB 5749 verdict', () => document.querySelector('#map a[data-station="plant-yangshupu"] [data-supply="false"]'));
  await waitFor(page, 'the network marker with its GB 5749 verdict', () => document.querySelector('#map a[data-station="tap-yangshupu-1"] [data-supply="true"]'));
  const row = await page.locator('#station-table tr[data-row="plant-yangshupu"]').textContent();
  expect(row.includes('GB 5749 不合格') && row.includes('游离氯'), `the table row of plant-yangshupu reads "${row}"`);
  expect(!row.includes('类'), `the plant row gives a GB 3838 class: "${row}"`);
  step = 'opening the plant in the detail dialog';
  await page.evaluate(() => {
    location.hash = '#station/plant-yangshupu';
  });
  await waitFor(page, 'the plant detail with its verdict', () => document.querySelector('#detail[open] [data-supply="false"]'));
  const why = await page.locator('#detail tr[data-item="free_chlorine"]').first().textContent();
  expect(why.includes('0.2') && why.includes('≥ 0.3'), `the detail's free chlorine row reads "${why}"`);
  await page.keyboard.press('Escape');
}

// ------------------------------------------------------------ the report

async function cellFigures(page, selector) {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(`${sel} td[data-judged]`)].map((td) => ({
        judged: Number(td.dataset.judged),
        passing: Number(td.dataset.passing),
        text: td.textContent,
      })),
    selector,
  );
}

function sameRate(label, cell, rate) {
  expect(cell, `${label}: no cell`);
  expect(cell.judged === rate.judged && cell.passing === rate.passing, `${label}: report ${cell.passing}/${cell.judged}, API ${rate.passing}/${rate.judged}`);
  const shown = percent(rate);
  if (shown) expect(cell.text.includes(shown), `${label}: "${cell.text}" does not show ${shown}`);
  else expect(cell.text.includes('无数据') || cell.text.includes('—'), `${label}: "${cell.text}" should say no data`);
}

async function checkReport(context, href, figures) {
  const page = await context.newPage();
  watch(page);
  step = 'opening the report from the view';
  await page.goto(new URL(href, pageUrl).href);
  expect(new URL(page.url()).pathname === `/drinking/report/${PERIOD}`, `the report link goes to ${page.url()}`);
  // Every figure against the API.
  for (const stage of ['source', 'outlet', 'network']) {
    const [samples, results] = await cellFigures(page, `tr[data-group="city"][data-stage="${stage}"]`);
    sameRate(`city ${stage} samples`, samples, figures.city[stage].samples);
    sameRate(`city ${stage} results`, results, figures.city[stage].results);
  }
  const network = await cellFigures(page, 'tr[data-group="city"][data-stage="network"]');
  expect(network[0].judged === 60 && network[0].passing === 59 && network[0].text.includes('98.3 %'), `the network's 水样合格率 reads "${network[0].text}"`);
  for (const p of figures.plants) {
    for (const stage of ['outlet', 'network']) {
      const [samples, results] = await cellFigures(page, `tr[data-plant="${p.plant}"][data-stage="${stage}"]`);
      sameRate(`${p.plant} ${stage} samples`, samples, p[stage].samples);
      sameRate(`${p.plant} ${stage} results`, results, p[stage].results);
    }
  }
  for (const s of figures.sources) {
    const [samples] = await cellFigures(page, `#source-figures tr[data-site="${s.station}"]`);
    sameRate(`${s.station} samples`, samples, s.rates.samples);
  }
  const items = await page.evaluate(() => document.querySelectorAll('#item-figures tbody tr').length);
  expect(items === figures.items.length, `the report lists ${items} item rows, the API ${figures.items.length}`);
  const failure = figures.failures[0];
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('li.failure')].map((li) => ({
      site: li.dataset.site,
      item: li.dataset.item,
      value: li.querySelector('.value')?.textContent,
      limit: li.querySelector('.limit')?.textContent,
      note: li.querySelector('.note')?.textContent ?? '',
    })),
  );
  expect(shown.length === figures.failures.length, `${shown.length} failures in the report, ${figures.failures.length} in the API`);
  expect(shown[0].site === failure.station && shown[0].item === failure.result.item, `the failure is ${JSON.stringify(shown[0])}`);
  expect(shown[0].value.startsWith('0.03') && shown[0].limit === failure.result.limit_text, `value "${shown[0].value}", limit "${shown[0].limit}"`);
  expect(shown[0].note.includes('余氯'), `the failure's note: "${shown[0].note}"`);
  const basis = await page.locator('#basis-title').locator('..').textContent();
  for (const needed of ['GB 3838-2002', 'GB 5749-2022', ...figures.laboratories]) {
    expect(basis.includes(needed), `the report's basis does not name ${needed}`);
  }
  const csv = await page.evaluate(() => [...document.querySelectorAll('.data-links a')].map((a) => a.href));
  for (const url of csv.filter((u) => u.includes('format=csv'))) {
    const response = await fetch(url);
    expect(response.ok && (response.headers.get('content-type') ?? '').startsWith('text/csv'), `${url}: ${response.status}`);
  }
  expect(csv.filter((u) => u.includes('format=csv')).length === 2, `CSV links: ${csv.join(', ')}`);
  await axeCheck(page, 'report_zh');

  // Printed: no navigation, A4.
  step = 'printing the report';
  await page.emulateMedia({ media: 'print' });
  const navDisplay = await page.evaluate(() => getComputedStyle(document.querySelector('.report-nav')).display);
  expect(navDisplay === 'none', `the navigation prints (display: ${navDisplay})`);
  await page.pdf({ path: path.join(screenshotDir, 'drinking-report-print.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  expect((await page.evaluate(() => getComputedStyle(document.querySelector('.report-nav')).display)) !== 'none', 'the navigation is hidden on screen');

  // In English, the same figures.
  step = 'the report in English';
  await page.goto(new URL(`drinking/report/${PERIOD}?lang=en`, pageUrl).href);
  expect((await page.evaluate(() => document.documentElement.lang)) === 'en', 'the English report is not lang=en');
  const title = await page.locator('h1').textContent();
  expect(title.includes('Shanghai drinking-water quality report') && title.includes('Q3 2026'), `the English title is ${title}`);
  const [enNetwork] = await cellFigures(page, 'tr[data-group="city"][data-stage="network"]');
  expect(enNetwork.text.includes('98.3 %'), `the English network rate reads "${enNetwork.text}"`);
  await axeCheck(page, 'report_en');

  // A quarter without samples: no data, never 100 %.
  step = 'a quarter without samples';
  await page.goto(new URL('drinking/report/2026-Q4?lang=zh', pageUrl).href);
  const empty = await cellFigures(page, 'tr[data-group="city"]');
  expect(empty.length === 6 && empty.every((c) => c.judged === 0 && c.text.includes('无数据') && !c.text.includes('100')), `empty quarter: ${JSON.stringify(empty)}`);
  await page.close();
}

// ------------------------------------------------------------ run

let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 180_000);
watchdog.unref();

try {
  const figures = await api(`api/v1/drinking/compliance?period=${PERIOD}`);
  const sites = (await api('api/v1/drinking/sites')).sites;
  expect(figures.failures.length === 1 && figures.failures[0].result.item === 'free_chlorine', `the seeded quarter's failures: ${JSON.stringify(figures.failures)}`);
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
    const context = await browser.newContext(contextOptions);
    await context.addInitScript((l) => localStorage.setItem('envmon.lang', l), lang);
    const page = await context.newPage();
    watch(page);
    step = `opening the page (${label})`;
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
    await waitFor(page, `the first snapshot (${label})`, () => document.body.dataset.ready === 'true');
    await waitFor(page, `the page in ${lang}`, (l) => document.documentElement.lang === l, lang);
    const reportHref = await checkView(page, lang, figures, sites);
    await axeCheck(page, `view_${label.replace('-', '_')}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 1, `the view scrolls sideways by ${overflow}px (${label})`);
    await page.screenshot({ path: path.join(screenshotDir, `drinking-${label}.png`), fullPage: true });
    if (label === 'desktop-zh') {
      // The other language, switched in place.
      step = 'switching the view to English';
      await page.locator('[data-set-lang="en"]').click();
      await waitFor(page, 'the view in English', (title) => document.getElementById('drinking-title')?.textContent === title, VIEW.en.title);
      const li = await page.locator('#drinking .drink-quarter-failures li').textContent();
      expect(li.includes(VIEW.en.item), `after switching, the failing item reads "${li}"`);
      await page.locator('[data-set-lang="zh-CN"]').click();
      await waitFor(page, 'the view in Chinese again', () => document.getElementById('drinking-title')?.textContent === '饮用水：从水源到龙头');
      await checkLiveMarkers(page);
      await checkReport(context, reportHref, figures);
      // The view is reachable by its address too.
      step = 'opening #drinking directly';
      const direct = await context.newPage();
      watch(direct);
      await direct.goto(new URL('#drinking', pageUrl).href);
      await waitFor(direct, 'the view from its address', () => document.getElementById('drinking')?.dataset.ready === 'true' && !document.getElementById('drinking').hidden);
      await direct.close();
    }
    await context.close();
  }
  expect(foreign.length === 0, `requests to other origins: ${foreign.join(', ')}`);
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
if (exitCode === 0) process.stdout.write('drinking-water check passed\n');
process.exit(exitCode);
