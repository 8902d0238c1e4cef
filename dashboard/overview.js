// "Right now": how many stations are at each AQI level and water class; the
// city and its districts; the year so far and the month's water.

import { renderForecast } from './forecast.js';
import { isEn, joinList, pick, pollutantName, t, waterClassName } from './i18n.js';
import { asArray, classNumber, el, formatShortTime, isObject, paintLevel } from './format.js';
import { CITY, state } from './store.js';
import { aqiLevelInfo } from './verdict.js';
import { isStale } from './station.js';

export function renderOverview() {
  const section = document.getElementById('overview');
  if (!section) return;
  if (!state.metaLoaded || !state.snapshotSeen) {
    section.hidden = true;
    return;
  }
  section.hidden = false;

  const air = state.stations.filter((s) => s.kind === 'air');
  const water = state.stations.filter((s) => s.kind === 'river' || s.kind === 'source');

  const airCounts = new Map();
  let airNa = 0;
  let airStale = 0;
  let airNone = 0;
  for (const s of air) {
    const aqi = state.verdicts.get(s.code)?.aqi;
    if (isStale(s.code)) airStale += 1;
    else if (!isObject(aqi)) airNone += 1;
    else if (!Number.isInteger(aqi.aqi)) airNa += 1;
    else {
      const level = aqiLevelInfo(aqi)?.level;
      if (level != null) airCounts.set(level, (airCounts.get(level) ?? 0) + 1);
      else airNone += 1;
    }
  }
  const airChips = [];
  for (let level = 1; level <= 6; level += 1) {
    const n = airCounts.get(level);
    if (!n) continue;
    const info = aqiLevelInfo({ level });
    const chip = el(
      'li',
      { class: 'chip chip-level', 'data-chip-level': level },
      el('span', { class: 'chip-name', text: info.category.text }),
      ' ',
      el('span', { class: 'chip-count', text: String(n) }),
    );
    paintLevel(chip, info.hex);
    airChips.push(chip);
  }
  if (airNa) airChips.push(neutralChip(t('overview.na'), airNa));
  if (airStale) airChips.push(neutralChip(t('overview.stale'), airStale, 'chip-stale'));
  if (airNone) airChips.push(neutralChip(t('overview.none'), airNone));

  const waterCounts = new Map();
  let waterStale = 0;
  let waterNone = 0;
  let assessed = 0;
  let meeting = 0;
  for (const s of water) {
    const w = state.verdicts.get(s.code)?.water;
    const cls = classNumber(w?.class);
    if (isStale(s.code)) waterStale += 1;
    else if (cls == null) waterNone += 1;
    else {
      waterCounts.set(cls, (waterCounts.get(cls) ?? 0) + 1);
      if (typeof w.meets_target === 'boolean') {
        assessed += 1;
        if (w.meets_target) meeting += 1;
      }
    }
  }
  const waterChips = [];
  for (let cls = 1; cls <= 6; cls += 1) {
    const n = waterCounts.get(cls);
    if (!n) continue;
    waterChips.push(
      el(
        'li',
        { class: 'chip chip-water', 'data-chip-class': cls },
        el('span', { class: 'chip-name', text: t('waterClass', cls) }),
        ' ',
        el('span', { class: 'chip-count', text: String(n) }),
      ),
    );
  }
  if (waterStale) waterChips.push(neutralChip(t('overview.stale'), waterStale, 'chip-stale'));
  if (waterNone) waterChips.push(neutralChip(t('overview.none'), waterNone));

  fillOverviewRow('air', air.length ? t('overview.airHint', air.length) : '', airChips, null);
  fillOverviewRow(
    'water',
    water.length ? t('overview.waterHint', water.length) : '',
    waterChips,
    assessed ? t('overview.meets', meeting, assessed) : null,
  );
}

function neutralChip(name, n, extra = '') {
  return el(
    'li',
    { class: `chip chip-neutral ${extra}`.trim() },
    el('span', { class: 'chip-name', text: name }),
    ' ',
    el('span', { class: 'chip-count', text: String(n) }),
  );
}

function fillOverviewRow(kind, hint, chips, extra) {
  const row = document.querySelector(`[data-overview="${kind}"]`);
  if (!row) return;
  row.hidden = chips.length === 0;
  const hintEl = row.querySelector('.overview-hint');
  if (hintEl) hintEl.textContent = hint;
  const list = row.querySelector('.chips');
  if (list) {
    list.setAttribute('aria-label', t(kind === 'air' ? 'overview.chipsAir' : 'overview.chipsWater'));
    list.replaceChildren(...chips);
  }
  const extraEl = row.querySelector('.overview-extra');
  if (extraEl) {
    extraEl.textContent = extra ?? '';
    extraEl.hidden = !extra;
  }
}

// ---------------------------------------------------------------- the city

// The city headline and the districts ranked by their current AQI; this
// year's good-day ratio against last year's, the calendar of daily AQI
// colours (the image newsrooms embed, /api/v1/charts/area/{id}/calendar.svg)
// and the month's river sections by class with their compliance. Level
// colours and words come from each AQI's report (HJ 633, written by the
// server), never from a copy kept in the page.

/** The level of an area AQI as its report states it, or null. */
export function reportLevel(aqi) {
  const level = aqi?.report?.level;
  if (!isObject(level) || !Number.isInteger(aqi?.aqi)) return null;
  return {
    level: Number.isInteger(level.level) ? level.level : aqi.level,
    category: pick(level.category_zh, level.category_en),
    levelZh: typeof level.level_zh === 'string' ? level.level_zh : '',
    hex: /^#[0-9a-f]{6}$/i.test(level.hex ?? '') ? level.hex : null,
    advice: pick(level.advice_zh, level.advice_en),
  };
}

export const areaName = (area) => pick(area.nameZh, area.nameEn);

function aqiBadge(aqi, info, extraClass) {
  const value = Number.isInteger(aqi?.aqi) ? aqi.aqi : null;
  const badge = el(
    'p',
    {
      class: `${extraClass} ${value == null ? 'is-na' : ''}`.trim(),
      'data-aqi': value ?? '',
      'data-level': info?.level ?? null,
    },
    el('span', { class: 'badge-label', text: t('aqiLabel') }),
    ' ',
    el('span', { class: 'badge-value', text: value != null ? String(value) : aqi ? t('aqiNa') : '—' }),
  );
  if (info?.hex) paintLevel(badge, info.hex);
  return badge;
}

function primaryText(aqi) {
  const primary = asArray(aqi?.primary).length ? asArray(aqi.primary) : asArray(aqi?.report?.primary);
  return primary.length ? t('primary', joinList(primary.map(pollutantName))) : t('noPrimary');
}

function renderHeadline() {
  const node = document.getElementById('city-headline');
  const city = state.areas.get(CITY);
  if (!node || !city) return;
  const aqi = city.aqi;
  // The headline is a live region: redraw it only when what it says changes.
  const key = `${state.lang} ${aqi?.hour_end ?? ''} ${aqi?.aqi ?? ''} ${city.stations}`;
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  const info = reportLevel(aqi);
  node.dataset.area = city.id;
  node.dataset.aqi = Number.isInteger(aqi?.aqi) ? String(aqi.aqi) : '';
  const main = el('div', { class: 'headline-main' });
  if (!aqi) {
    main.append(el('p', { class: 'headline-category', text: t('city.noData') }));
  } else if (!info) {
    main.append(el('p', { class: 'headline-category', text: t('aqiNaLong') }));
  } else {
    const category = el('p', { class: 'headline-category' });
    category.append(el('strong', { lang: info.category.lang, text: info.category.text }));
    if (info.levelZh && state.lang !== 'en') category.append(' ', el('span', { text: `（${info.levelZh}）` }));
    if (state.lang === 'en' && info.level) category.append(' ', el('span', { text: `(level ${info.level})` }));
    main.append(category, el('p', { class: 'headline-primary', text: primaryText(aqi) }));
  }
  if (aqi?.hour_end) {
    main.append(
      el(
        'p',
        { class: 'headline-time' },
        el('time', { datetime: aqi.hour_end, text: t('city.hour', formatShortTime(aqi.hour_end), city.stations) }),
      ),
    );
  }
  const parts = [el('div', { class: 'headline-verdict' }, aqiBadge(aqi, info, 'aqi-badge headline-badge'), main)];
  if (info?.advice.text) {
    parts.push(el('p', { class: 'headline-advice', lang: info.advice.lang, text: info.advice.text }));
  }
  node.replaceChildren(...parts);
}

/** Districts by current AQI, cleanest first; ties share a rank; no AQI last, unranked. */
export function rankDistricts(areas) {
  const districts = areas.filter((a) => a.kind === 'district');
  const value = (a) => (Number.isInteger(a.aqi?.aqi) ? a.aqi.aqi : null);
  districts.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va == null || vb == null) return (va == null) - (vb == null) || a.id.localeCompare(b.id);
    return va - vb || a.id.localeCompare(b.id);
  });
  let rank = 0;
  let previous = null;
  return districts.map((area, index) => {
    const v = value(area);
    if (v != null && v !== previous) rank = index + 1;
    previous = v;
    return { area, rank: v == null ? null : rank };
  });
}

function renderDistricts() {
  const list = document.getElementById('district-list');
  if (!list) return;
  const items = rankDistricts([...state.areas.values()]).map(({ area, rank }) => {
    const info = reportLevel(area.aqi);
    const name = areaName(area);
    return el(
      'li',
      { class: 'district', 'data-district': area.id, 'data-rank': rank ?? '' },
      el('span', { class: 'district-rank', text: rank == null ? '—' : String(rank) }),
      el('span', { class: 'district-name', lang: name.lang, text: name.text }),
      aqiBadge(area.aqi, info, 'aqi-badge district-badge'),
      el('span', {
        class: 'district-category',
        lang: info?.category.lang ?? null,
        text: info ? info.category.text : t(area.aqi ? 'aqiNa' : 'city.noData'),
      }),
    );
  });
  list.replaceChildren(...items);
}

export function renderAreas() {
  const section = document.getElementById('city');
  if (!section) return;
  section.hidden = !state.areas.has(CITY) && state.areas.size === 0;
  renderHeadline();
  renderForecast();
  renderDistricts();
}

const ratioText = (r) => (typeof r === 'number' && Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : '—');

function chartUrl(kind, format, year) {
  const lang = isEn() ? 'en' : 'zh';
  return `api/v1/charts/area/${CITY}/${kind}.${format}?year=${year}&lang=${lang}`;
}

function renderGoodDays() {
  const node = document.getElementById('good-days');
  if (!node || !state.year) return;
  const { year, report } = state.year;
  const period = report?.period;
  const before = report?.year_before;
  if (!isObject(period)) {
    node.replaceChildren(el('p', { text: t('year.none') }));
    return;
  }
  const change = before?.good_day_ratio_change_points;
  const changeText =
    typeof change === 'number' && Number.isFinite(change)
      ? t('year.change', change > 0 ? `+${change.toFixed(1)}` : change.toFixed(1))
      : t('year.noChange');
  node.dataset.ratio = String(period.good_day_ratio ?? '');
  node.dataset.previous = String(before?.good_day_ratio ?? '');
  node.replaceChildren(
    el(
      'p',
      { class: 'good-days-this' },
      el('span', { class: 'good-days-label', text: t('year.this', year) }),
      ' ',
      el('strong', { class: 'good-days-value', text: ratioText(period.good_day_ratio) }),
      ' ',
      el('span', { class: 'good-days-count', text: t('year.count', period.good_days, period.valid_days) }),
    ),
    el(
      'p',
      { class: 'good-days-before' },
      el('span', { class: 'good-days-label', text: t('year.before', year - 1) }),
      ' ',
      el('strong', { class: 'good-days-value', text: ratioText(before?.good_day_ratio) }),
      ' ',
      el('span', { class: 'good-days-change', text: changeText }),
    ),
  );
}

function renderCalendar() {
  const figure = document.getElementById('calendar');
  if (!figure || !state.year) return;
  const { year, report } = state.year;
  const img = el('img', {
    class: 'calendar-img',
    src: chartUrl('calendar', 'svg', year),
    width: 960,
    height: 520,
    alt: t('calendar.alt', year, ratioText(report?.period?.good_day_ratio)),
    loading: 'lazy',
    decoding: 'async',
  });
  img.addEventListener('error', () => img.replaceWith(el('p', { class: 'chart-missing', text: t('chartMissing') })), {
    once: true,
  });
  const links = ['calendar', 'good-days', 'annual'].flatMap((kind) =>
    ['svg', 'png'].map((format) =>
      el('li', {}, el('a', { href: chartUrl(kind, format, year), text: t(`calendar.link.${kind}`, format.toUpperCase()) })),
    ),
  );
  figure.replaceChildren(
    img,
    el('figcaption', { text: t('calendar.caption') }),
    el('ul', { class: 'chart-links', 'aria-label': t('calendar.links') }, ...links),
  );
}

function renderWater() {
  const node = document.getElementById('water-month');
  if (!node) return;
  const data = state.waterMonth;
  if (!data) {
    node.replaceChildren(el('p', { text: t('waterMonth.none') }));
    return;
  }
  const counts = asArray(data.city.class_counts).map((n) => (Number.isInteger(n) ? n : 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const bar = el('div', { class: 'class-mix', 'aria-hidden': 'true' });
  const list = el('ul', { class: 'class-mix-list', 'aria-label': t('waterMonth.mix', data.month) });
  counts.forEach((n, index) => {
    const cls = index + 1;
    if (n > 0 && total > 0) {
      const part = el('span', { class: 'class-mix-part', 'data-water-class': cls });
      part.style.setProperty('--share', String(n / total));
      bar.append(part);
    }
    list.append(
      el(
        'li',
        { 'data-chip-class': cls, class: 'class-mix-item', 'data-count': n },
        el('span', { class: 'class-mix-swatch', 'aria-hidden': 'true' }),
        el('span', { text: `${waterClassName(cls)} ${t('waterMonth.sections', n)}` }),
      ),
    );
  });
  const city = data.city;
  node.replaceChildren(
    el('p', { class: 'water-month-title', text: t('waterMonth.of', data.month, city.sections_assessed) }),
    bar,
    list,
    el(
      'dl',
      { class: 'water-figures' },
      el('dt', { text: t('waterMonth.attainment') }),
      el('dd', { 'data-figure': 'attainment', text: ratioText(city.attainment_rate) }),
      el('dt', { text: t('waterMonth.good') }),
      el('dd', { 'data-figure': 'good', text: ratioText(city.good_share) }),
      el('dt', { text: t('waterMonth.worse') }),
      el('dd', { 'data-figure': 'worse', text: ratioText(city.worse_than_v_share) }),
    ),
  );
}

export function renderYear() {
  renderGoodDays();
  renderCalendar();
  renderWater();
}
