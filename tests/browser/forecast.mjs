// Browser check of forecasts: the city's next days under its headline, in
// both languages; a forecast forged by a compromised relay (put into the
// page's snapshot) shown nowhere; an approver publishing a reviewed draft in
// the staff console, the page and the widget then showing it live (it
// supersedes the earlier forecast); an operator drafting a one-day district
// forecast with the console's form; no Content-Security-Policy violation and
// no serious axe-core finding on the forecast.
//
// usage: node forecast.mjs <base-url> <operator> <approver> <password> <fixtures.json> <screenshot-dir>
//
// The fixtures (written by tests/system/forecasts.rs): the published
// forecast's id and first range, the draft's id and first range, and a forged
// forecast (signed by a key nobody trusts).
// Exits 0 when every check passed; 1 with the reasons on stderr.

import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const STEP_MS = 15_000;
const [base, operator, approver, password, fixturesFile, screenshotDir] = process.argv.slice(2);
if (!base || !operator || !approver || !password || !fixturesFile || !screenshotDir) {
  process.stderr.write('usage: node forecast.mjs <base-url> <operator> <approver> <password> <fixtures.json> <screenshot-dir>\n');
  process.exit(2);
}
const fixtures = JSON.parse(await readFile(fixturesFile, 'utf8'));
// axe-core goes in through DevTools: the page's policy refuses inline scripts.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

class CheckFailed extends Error {}
const problems = [];
const warnings = [];
let step = 'launching Chromium';
let browser;
let exitCode = 0;
const watchdog = setTimeout(() => {
  process.stderr.write(`FAIL: overall time limit passed while ${step}\n`);
  process.exit(1);
}, 100_000);
watchdog.unref();

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function watch(page, name) {
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(`${name}: ${message.text()}`);
    const favicon = /\/favicon\.ico$/.test(message.location()?.url ?? '');
    // The console asks who is signed in before anyone is: a 401 then is its answer.
    const signedOut = name === 'console' && message.text().includes('status of 401');
    if (message.type() === 'error' && !favicon && !signedOut) problems.push(`${name} console error while ${step}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${name} page error while ${step}: ${error.message}`));
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

/** axe-core's serious and critical findings on the forecast block. */
async function axeCheck(page, label) {
  step = `running axe-core (${label})`;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const bad = await page.evaluate(async () => {
    const r = await window.axe.run({ include: [['#city-forecast']] }, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`);
  });
  for (const v of bad) problems.push(`axe ${label}: ${v}`);
}

/** Puts the forged forecast into every snapshot the page receives (over HTTP or the socket), as a compromised relay could. */
async function interpose(page) {
  await page.route(/\/api\/v1\/live\/snapshot/, async (route) => {
    const response = await route.fetch();
    const msg = await response.json();
    msg.forecasts = [...(msg.forecasts ?? []), fixtures.forged];
    await route.fulfill({ response, json: msg });
  });
  await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (typeof message === 'string') {
        const msg = JSON.parse(message);
        if (msg.type === 'snapshot') {
          msg.forecasts = [...(msg.forecasts ?? []), fixtures.forged];
          ws.send(JSON.stringify(msg));
          return;
        }
      }
      ws.send(message);
    });
    ws.onMessage((message) => server.send(message));
  });
}

/** What the page shows of the city's forecast. */
function shown() {
  const host = document.getElementById('city-forecast');
  const block = host?.querySelector('[data-forecast]');
  return {
    hidden: host?.hidden ?? true,
    afterHeadline: host?.previousElementSibling?.id === 'city-headline',
    id: block?.dataset.forecast ?? null,
    days: [...(block?.querySelectorAll('.forecast-day') ?? [])].map((d) => ({
      day: d.dataset.day,
      levels: d.dataset.levels,
      text: d.textContent,
    })),
    title: block?.querySelector('.forecast-title')?.textContent ?? '',
    anyForged: document.body.innerHTML.includes(window.__forged),
  };
}

async function checkPage(page, lang, id, range) {
  await waitFor(page, `the ${lang} page shows ${id}`, (want) => {
    const block = document.querySelector('#city-forecast [data-forecast]');
    return block?.dataset.forecast === want;
  }, id);
  const seen = await page.evaluate(shown);
  expect(!seen.hidden && seen.afterHeadline, `the forecast sits under the headline: ${JSON.stringify(seen)}`);
  expect(seen.days.length === 3, `three days shown: ${JSON.stringify(seen.days)}`);
  expect(!seen.anyForged, 'the forged forecast shows nowhere on the page');
  const [low, high] = range;
  if (lang === 'zh') {
    expect(seen.title.includes('预报'), `Chinese title: ${seen.title}`);
    expect(seen.days[0].text.includes('明天'), `first day is tomorrow: ${seen.days[0].text}`);
    expect(seen.days[0].text.includes(`AQI ${low}～${high}`), `range in Chinese: ${seen.days[0].text}`);
    expect(seen.days[0].text.includes('良') || seen.days[0].text.includes('轻度污染'), `level names: ${seen.days[0].text}`);
  } else {
    expect(seen.title.includes('forecast'), `English title: ${seen.title}`);
    expect(seen.days[0].text.includes('Tomorrow'), `first day is tomorrow: ${seen.days[0].text}`);
    expect(seen.days[0].text.includes(`AQI ${low}–${high}`), `range in English: ${seen.days[0].text}`);
    expect(/Good|Lightly Polluted/.test(seen.days[0].text), `level names: ${seen.days[0].text}`);
  }
  const violations = await page.evaluate(() => window.__violations);
  expect(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
}

try {
  await mkdir(screenshotDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  await context.addInitScript(recordViolations);
  await context.addInitScript((forged) => { window.__forged = forged; }, fixtures.forged.id);

  // The public page, in Chinese: the published forecast, not the forged one.
  const page = await context.newPage();
  watch(page, 'page');
  await interpose(page);
  step = 'opening the page';
  await page.goto(new URL('/', base).href);
  await checkPage(page, 'zh', fixtures.published.id, fixtures.published.range);
  expect(
    warnings.some((w) => w.includes(fixtures.forged.id) && w.includes('not shown')),
    `the forged forecast is refused with a console warning: ${warnings.join(' | ')}`,
  );
  await axeCheck(page, 'forecast_zh');
  await page.screenshot({ path: path.join(screenshotDir, 'forecast-zh.png'), fullPage: false });

  // The staff console: the approver reviews the draft and publishes it.
  const staff = await context.newPage();
  watch(staff, 'console');
  step = 'signing in to the console';
  await staff.goto(new URL('/staff/', base).href);
  await staff.waitForSelector('#login-form', { state: 'visible', timeout: STEP_MS });
  await staff.fill('#login-form input[name=username]', approver);
  await staff.fill('#login-form input[name=password]', password);
  await staff.click('#login-form button[type=submit]');
  step = 'finding the draft in the console';
  const item = staff.locator(`#forecasts [data-forecast-id="${fixtures.draft.id}"]`);
  await item.waitFor({ timeout: STEP_MS });
  await staff.waitForSelector('#forecasts [data-part="summary"]:not(:empty)', { timeout: STEP_MS });
  await item.locator('[data-action="review"]').click();
  step = 'approving the reviewed draft';
  await staff.waitForSelector('#forecasts [data-part="review"]:not([hidden]) tr[data-day]', { timeout: STEP_MS });
  await staff.screenshot({ path: path.join(screenshotDir, 'forecast-console-review.png'), fullPage: true });
  await staff.click('#forecasts [data-action="approve-forecast"]');
  await waitFor(staff, 'the console saying it is published', () => document.getElementById('message').textContent.includes('已发布'));

  // The page shows the newer forecast without a reload, then in English.
  await checkPage(page, 'zh', fixtures.draft.id, fixtures.draft.range);
  step = 'switching to English';
  await page.click('[data-set-lang="en"]');
  await waitFor(page, 'the English forecast', () =>
    document.querySelector('#city-forecast .forecast-title')?.textContent.includes('forecast'));
  await checkPage(page, 'en', fixtures.draft.id, fixtures.draft.range);
  await axeCheck(page, 'forecast_en');
  await page.screenshot({ path: path.join(screenshotDir, 'forecast-en.png'), fullPage: false });

  // The widget shows the same forecast.
  const widget = await context.newPage();
  watch(widget, 'widget');
  step = 'opening the widget';
  await widget.goto(new URL('/embed/station/1141A?lang=en', base).href);
  await waitFor(widget, 'the widget forecast', (id) => {
    const node = document.querySelector('[data-forecast]');
    return node && !node.hidden && node.dataset.forecast === id && node.querySelectorAll('li').length === 3;
  }, fixtures.draft.id);
  const widgetText = await widget.evaluate(() => document.querySelector('[data-forecast]').textContent);
  expect(widgetText.includes(`${fixtures.draft.range[0]}–${fixtures.draft.range[1]}`), `widget range: ${widgetText}`);
  expect(widgetText.includes('Tomorrow'), `widget in English: ${widgetText}`);

  // An operator (a browser of their own) drafts a district forecast with the form.
  const operatorContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await operatorContext.addInitScript(recordViolations);
  const form = await operatorContext.newPage();
  watch(form, 'console');
  step = 'signing in as the operator';
  await form.goto(new URL('/staff/', base).href);
  await form.waitForSelector('#login-form', { state: 'visible', timeout: STEP_MS });
  await form.fill('#login-form input[name=username]', operator);
  await form.fill('#login-form input[name=password]', password);
  await form.click('#login-form button[type=submit]');
  step = 'drafting with the form';
  await form.click('#new-forecast', { timeout: STEP_MS });
  const editor = '#forecasts [data-part="form"]';
  await form.waitForSelector(`${editor} [name=low_0]`, { state: 'visible', timeout: STEP_MS });
  await form.selectOption(`${editor} [name=area]`, 'pudong');
  await form.selectOption(`${editor} [name=part_0]`, 'morning');
  await form.fill(`${editor} [name=low_0]`, '40');
  await form.fill(`${editor} [name=high_0]`, '60');
  await form.fill(`${editor} [name=primary_0]`, 'pm25');
  await form.fill(`${editor} [name=zh_0]`, '上午优至良');
  await form.fill(`${editor} [name=en_0]`, 'Excellent to good in the morning');
  await form.uncheck(`${editor} [name=use_1]`);
  await form.uncheck(`${editor} [name=use_2]`);
  await form.click(`${editor} button[type=submit]`);
  await waitFor(form, 'the draft saved', () => document.getElementById('message').textContent.includes('草稿已保存'));
  const formViolations = await form.evaluate(() => window.__violations);
  expect(formViolations.length === 0, `console CSP violations: ${formViolations.join('; ')}`);

  step = 'collecting problems';
  expect(problems.length === 0, problems.join('\n'));
  process.stdout.write(`OK forecasts shown: ${fixtures.published.id} then ${fixtures.draft.id}\n`);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`FAIL while ${step}: ${error instanceof CheckFailed ? error.message : error.stack}\n`);
  if (problems.length) process.stderr.write(`${problems.join('\n')}\n`);
} finally {
  await browser?.close();
  process.exit(exitCode);
}
