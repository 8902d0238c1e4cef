// Air-quality forecasts (the live protocol's `forecasts` in the snapshot and
// `forecast` messages): the next days of an area, shown under the city's
// headline on the page and in the widget, in the visitor's language. A
// forecast is signed like a notice and shown only once its signature
// verifies (trust.js); an unsigned or forged one is dropped with a console
// warning, shown nowhere. Of an area's forecasts the one issued last that is
// not withdrawn and not over is shown: a newer forecast supersedes an older.

import { AQI_LEVELS, isEn, joinList, pick, pollutantName, t } from './i18n.js';
import { asArray, el, formatShortTime, isObject, paintLevel, timeMs } from './format.js';
import { CITY, beijingDay, state } from './store.js';
import { distrust } from './trust.js';

/** forecast id -> the latest verified version of it. */
state.forecasts = new Map();

/** Forecast messages, checked one after another in arrival order. */
let checking = Promise.resolve();

function inTurn(task) {
  checking = checking.then(task).catch((error) => console.warn('envmon: forecast handling failed', error));
  return checking;
}

async function trusted(forecast) {
  const why = await distrust(forecast);
  if (why) console.warn(`envmon: forecast ${String(forecast?.id ?? '?')} v${String(forecast?.version ?? '?')} not shown: ${why}`);
  return why === null;
}

const valid = (f) => isObject(f) && typeof f.id === 'string' && f.id !== '' && Array.isArray(f.days);

/** Verifies a snapshot's forecasts, then replaces the held ones with those that verify. */
export function receiveForecastSnapshot(list, done) {
  return inTurn(async () => {
    const forecasts = asArray(list).filter(valid);
    const ok = await Promise.all(forecasts.map(trusted));
    state.forecasts = new Map();
    forecasts.forEach((f, i) => {
      if (ok[i]) state.forecasts.set(f.id, f);
    });
    done();
  });
}

/** Verifies one forecast message; if it verifies and is newer, folds it in and calls `done(forecast)`. */
export function receiveForecast(forecast, done) {
  return inTurn(async () => {
    if (!valid(forecast) || !(await trusted(forecast))) return;
    const held = state.forecasts.get(forecast.id);
    if (held && Number(held.version) > Number(forecast.version)) return;
    state.forecasts.set(forecast.id, forecast);
    done(forecast);
  });
}

/** The last day a forecast speaks of, YYYY-MM-DD. */
const lastDay = (f) => asArray(f.days).reduce((last, d) => (String(d.day) > last ? String(d.day) : last), '');

/** The forecast shown for `areaId` today: issued last, not withdrawn, not over; or null. */
export function currentForecast(areaId = CITY, forecasts = state.forecasts) {
  const today = beijingDay();
  let best = null;
  for (const f of forecasts.values()) {
    if (f.area !== areaId || f.status === 'withdrawn' || lastDay(f) < today) continue;
    if (!best || timeMs(f.issued_at) > timeMs(best.issued_at)) best = f;
  }
  return best;
}

/** "Tomorrow" / "明天", or the date, for a forecast day. */
function dayLabel(day) {
  const today = beijingDay();
  for (let n = 0; n <= 3; n += 1) if (beijingDay(n) === day) return t('forecast.dayAhead', n);
  return day < today ? day : day.slice(5);
}

function levelChips(levels) {
  return asArray(levels)
    .filter((l) => Number.isInteger(l) && AQI_LEVELS[l])
    .map((l) => {
      const chip = el('span', { class: 'forecast-level', 'data-level': l, text: isEn() ? AQI_LEVELS[l].en : AQI_LEVELS[l].zh });
      paintLevel(chip, AQI_LEVELS[l].hex);
      return chip;
    });
}

function dayNode(d) {
  const day = String(d.day ?? '');
  const part = ['morning', 'afternoon', 'night'].includes(d.part) ? ` ${t(`forecast.part.${d.part}`)}` : '';
  const text = pick(d.text?.zh, d.text?.en);
  const primary = asArray(d.primary).filter((p) => typeof p === 'string');
  return el(
    'li',
    { class: 'forecast-day', 'data-day': day, 'data-part': d.part ?? '', 'data-levels': asArray(d.levels).join(',') },
    el(
      'span',
      { class: 'forecast-when' },
      el('time', { datetime: day, text: `${dayLabel(day)}${part}` }),
      dayLabel(day) === day.slice(5) ? null : el('span', { class: 'forecast-date', text: ` ${day.slice(5)}` }),
    ),
    el('span', { class: 'forecast-range', text: t('forecast.range', Number(d.aqi_low), Number(d.aqi_high)) }),
    el('span', { class: 'forecast-levels' }, ...levelChips(d.levels)),
    primary.length ? el('span', { class: 'forecast-primary', text: t('forecast.primary', joinList(primary.map(pollutantName))) }) : null,
    text.text ? el('span', { class: 'forecast-text', lang: text.lang, text: text.text }) : null,
  );
}

/** The forecast `f` as a block: title, its days from today on, when it was issued. */
export function forecastNode(f) {
  const today = beijingDay();
  const days = asArray(f.days).filter((d) => String(d.day) >= today);
  const title = el('h3', { class: 'forecast-title', text: t('forecast.title') });
  const issued = el(
    'p',
    { class: 'forecast-issued' },
    el('time', { datetime: f.issued_at, text: t('forecast.issued', formatShortTime(f.issued_at)) }),
    f.status === 'updated' ? ` · ${t('forecast.updated')}` : '',
  );
  return el(
    'section',
    { class: 'forecast', 'data-forecast': f.id, 'data-version': f.version, 'data-area': f.area },
    title,
    el('ol', { class: 'forecast-days' }, ...days.map(dayNode)),
    issued,
  );
}

/** Draws the city's forecast under its headline, or nothing when there is none. */
export function renderForecast() {
  const host = document.getElementById('city-forecast');
  if (!host) return;
  const f = currentForecast(CITY);
  host.replaceChildren(...(f ? [forecastNode(f)] : []));
  host.hidden = !f;
}
