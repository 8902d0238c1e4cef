// Browser check of the dashboard's city section: the headline (AQI, level,
// primary pollutant, advice), the districts ranked by their current AQI, this
// year's good-day ratio against last year's, the calendar image and the water
// month, in both languages, on a desktop and a phone, with axe-core and no
// Content-Security-Policy violation.
//
// usage: node areas.mjs <page-url> <screenshot-dir>
//
// The caller (tests/system/area_charts.rs) has stored the areas' latest hour
// and some daily statistics. The expectations come from the same API the
// page reads, so the check is about the page, not about the numbers: the
// colours and words must be the ones in each AQI's report.
// Exits 0 when every check passed; 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STEP_MS = 15_000;
const [pageUrl, screenshotDir] = process.argv.slice(2);
if (!pageUrl || !screenshotDir) {
  process.stderr.write('usage: node areas.mjs <page-url> <screenshot-dir>\n');
  process.exit(2);
}
// axe-core goes in through DevTools: the page's policy refuses inline scripts.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

class CheckFailed extends Error {}
const problems = [];
let step = 'launching Chromium';

const api = async (p) => {
  const response = await fetch(new URL(p, pageUrl));
  if (!response.ok) throw new CheckFailed(`${p}: HTTP ${response.status}`);
  return response.json();
};

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error while ${step}: ${msg.text()} ${msg.location()?.url ?? ''}`);
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
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  process.stdout.write(`METRIC axe_${label}_serious=${bad.length} axe_${label}_other=${violations.length - bad.length}\n`);
  for (const v of bad) problems.push(`axe ${label}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

/** "#FF7E00" as the computed style writes it. */
function rgbOf(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

/** Every area's latest hour, as the page loads it. */
async function latestHours() {
  const areas = (await api('api/v1/areas')).items;
  const from = new Date(Date.now() - 6 * 3600 * 1000).toISOString();
  const out = new Map();
  for (const area of areas) {
    const items = (await api(`api/v1/areas/${area.id}/aqi?period=hourly&from=${encodeURIComponent(from)}`)).items;
    out.set(area.id, { area, hour: items[items.length - 1] ?? null });
  }
  return out;
}

async function checkCity(page, hours, lang) {
  const city = hours.get('shanghai');
  const level = city.hour.report.level;
  const category = lang === 'en' ? level.category_en : level.category_zh;
  const advice = lang === 'en' ? level.advice_en : level.advice_zh;
  await waitFor(
    page,
    `the city headline in ${lang}`,
    ([aqi, words]) => {
      const node = document.getElementById('city-headline');
      return node?.dataset.aqi === String(aqi) && node.textContent.includes(words);
    },
    [city.hour.aqi, category],
  );
  const headline = await page.evaluate(() => {
    const node = document.getElementById('city-headline');
    const badge = node.querySelector('.headline-badge');
    return {
      text: node.textContent,
      background: getComputedStyle(badge).backgroundColor,
      before: node.closest('#city').compareDocumentPosition(document.getElementById('overview')),
    };
  });
  expect(headline.background === rgbOf(level.hex), `the headline is ${headline.background}, its report says ${level.hex}`);
  expect(headline.text.includes(advice), `the headline lacks the report's advice: ${headline.text}`);
  expect(headline.text.includes('PM2.5'), `the headline lacks the primary pollutant: ${headline.text}`);
  expect(headline.before & 4 /* DOCUMENT_POSITION_FOLLOWING */, 'the city comes before the station overview');

  // Districts: cleanest first, each in its report's colour and words.
  const expected = [...hours.values()]
    .filter((h) => h.area.kind === 'district' && Number.isInteger(h.hour?.aqi))
    .sort((a, b) => a.hour.aqi - b.hour.aqi || a.area.id.localeCompare(b.area.id));
  // The districts render when their hours have loaded, which may come after the headline.
  await waitFor(
    page,
    `the districts ranked in ${lang}`,
    ([first, ranked]) => {
      const rows = [...document.querySelectorAll('#district-list > li')];
      return rows[0]?.dataset.district === first && rows.filter((li) => li.dataset.rank !== '').length === ranked;
    },
    [expected[0]?.area.id, expected.length],
  );
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('#district-list > li')].map((li) => ({
      id: li.dataset.district,
      rank: li.dataset.rank,
      text: li.textContent,
      background: getComputedStyle(li.querySelector('.aqi-badge')).backgroundColor,
    })),
  );
  expect(shown.length === 16, `16 districts listed, not ${shown.length}`);
  expected.forEach((h, index) => {
    const row = shown[index];
    const words = lang === 'en' ? h.hour.report.level.category_en : h.hour.report.level.category_zh;
    expect(row.id === h.area.id, `rank ${index + 1} should be ${h.area.id}, is ${row.id}`);
    expect(row.background === rgbOf(h.hour.report.level.hex), `${row.id} is ${row.background}, not ${h.hour.report.level.hex}`);
    expect(row.text.includes(words) && row.text.includes(String(h.hour.aqi)), `${row.id} reads "${row.text}"`);
  });
  expect(shown.slice(expected.length).every((r) => r.rank === ''), 'districts without an AQI are unranked, last');
}

async function checkYear(page, lang) {
  const year = Number(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()),
  );
  await waitFor(page, 'the year so far', () => document.querySelector('#good-days [class="good-days-this"]') != null);
  const ratio = await page.evaluate(() => document.getElementById('good-days').dataset.ratio);
  const previous = await page.evaluate(() => document.getElementById('good-days').dataset.previous);
  expect(Number(previous) === 1, `last year's same days were all good, the page says ${previous}`);
  expect(Number(ratio) > 0 && Number(ratio) < 1, `three polluted days this year, the page says ${ratio}`);
  const goodText = await page.evaluate(() => document.getElementById('good-days').textContent);
  expect(goodText.includes(`${(Number(ratio) * 100).toFixed(1)}%`) && goodText.includes('100.0%'), goodText);
  await waitFor(page, 'the calendar image', () => {
    const img = document.querySelector('#calendar img');
    return img?.complete && img.naturalWidth > 0;
  });
  const img = await page.evaluate(() => {
    const node = document.querySelector('#calendar img');
    return { src: node.getAttribute('src'), alt: node.alt, links: document.querySelectorAll('#calendar a').length };
  });
  expect(img.src.includes(`calendar.svg?year=${year}&lang=${lang}`), `calendar src ${img.src}`);
  expect(img.alt.includes(String(year)), `calendar alt "${img.alt}"`);
  expect(img.links === 6, `six chart links, not ${img.links}`);
  // The month's water: the caller stored a class II and a class IV section.
  await waitFor(page, 'the water month', () => document.querySelector('#water-month [data-figure="attainment"]') != null);
  const water = await page.evaluate(() => ({
    counts: [...document.querySelectorAll('#water-month [data-chip-class]')].map((li) => Number(li.dataset.count)),
    attainment: document.querySelector('#water-month [data-figure="attainment"]').textContent,
    parts: document.querySelectorAll('#water-month .class-mix-part').length,
  }));
  expect(water.counts.join() === '0,1,0,1,0,0', `sections by class: ${water.counts.join()}`);
  expect(water.attainment === '50.0%', `attainment ${water.attainment}`);
  expect(water.parts === 2, `two classes in the bar, not ${water.parts}`);
}

async function noOverflow(page, label) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) problems.push(`${label}: the page is ${overflow}px wider than the window`);
}

let browser;
let exitCode = 0;
try {
  const hours = await latestHours();
  expect(hours.get('shanghai')?.hour?.report?.level, 'the caller stored the city hour');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    timeout: 30_000,
  });
  await mkdir(screenshotDir, { recursive: true });

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
  await context.addInitScript(recordViolations);
  const page = await context.newPage();
  watch(page);
  step = 'opening the page';
  await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  await checkCity(page, hours, 'zh');
  await checkYear(page, 'zh');
  await axeCheck(page, 'city_zh');
  step = 'taking screenshot';
  await page.locator('#city').screenshot({ path: path.join(screenshotDir, 'city.png') });

  step = 'switching to English';
  await page.click('[data-set-lang="en"]');
  await checkCity(page, hours, 'en');
  await checkYear(page, 'en');
  const han = await page.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.getElementById('city'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('[lang="zh-CN"]')) continue;
      if (/[\u4e00-\u9fff]/.test(n.textContent)) found.push(n.textContent.trim());
    }
    return found;
  });
  expect(han.length === 0, `Chinese left in the English city section: ${han.slice(0, 5).join(' | ')}`);
  await axeCheck(page, 'city_en');
  const violations = await page.evaluate(() => window.__violations);
  expect(violations.length === 0, `CSP violations: ${violations.join(', ')}`);
  await context.close();

  // A phone: the headline is the first thing after the header, and nothing is wider than the screen.
  const phoneContext = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
  const phone = await phoneContext.newPage();
  watch(phone);
  step = 'opening the page on a phone';
  await phone.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  await checkCity(phone, hours, 'zh');
  await checkYear(phone, 'zh');
  const top = await phone.evaluate(() => document.getElementById('city-headline').getBoundingClientRect().top);
  expect(top < 740, `the headline starts below the first screen (${top}px)`);
  await noOverflow(phone, 'phone');
  step = 'taking the phone screenshot';
  await phone.screenshot({ path: path.join(screenshotDir, 'city-phone.png'), fullPage: false });
  await phoneContext.close();
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
