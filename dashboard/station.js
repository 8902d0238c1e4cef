// One station: its card in the list view, and the detail dialog with the
// verdict, every latest value, advice, the 24-hour chart, links to its data
// and the code to embed it.

import {
  displayUnit,
  isEn,
  joinList,
  pick,
  qualityText,
  readingLabel,
  t,
  waterClassName,
} from './i18n.js';
import {
  classNumber,
  el,
  flash,
  formatFullTime,
  formatShortTime,
  formatValue,
  isObject,
  localizedEl,
  timeMs,
} from './format.js';
import { state } from './store.js';
import { aqiLevelInfo, airVerdict, airWhy, waterVerdict, waterWhy } from './verdict.js';
import { isSupplyKind, supplyText, supplyVerdict, supplyWhy } from './supply.js';
import { isRadiationKind, radiationText, radiationVerdict, radiationWhy } from './radiation.js';

/** Usual interval between observations when none has been seen yet. */
const DEFAULT_CADENCE_MS = {
  air: 60 * 60 * 1000,
  river: 4 * 60 * 60 * 1000,
  source: 4 * 60 * 60 * 1000,
  plant: 60 * 60 * 1000,
  tap: 60 * 60 * 1000,
  radiation: 5 * 60 * 1000,
};
/** A learned interval shorter than this is taken as this (bursts, replays). */
const MIN_CADENCE_MS = 60 * 1000;
const AIR_CHART_PARAMS = ['aqi', 'pm25', 'pm10', 'o3', 'no2', 'so2', 'co'];
const CHART_W = 640;
const CHART_H = 260;

export const isWaterKind = (kind) => kind === 'river' || kind === 'source' || isSupplyKind(kind);

/** The station's usual interval between observations. */
export function cadenceOf(code) {
  const learned = state.cadence.get(code);
  const kind = state.stationByCode.get(code)?.kind;
  const base = learned ?? DEFAULT_CADENCE_MS[kind] ?? DEFAULT_CADENCE_MS.air;
  return Math.max(MIN_CADENCE_MS, base);
}

/** Data older than twice the station's usual interval is stale. */
export function isStale(code) {
  const updated = state.verdicts.get(code)?.updatedAt ?? null;
  if (updated == null) return false;
  return Date.now() - timeMs(updated) > 2 * cadenceOf(code);
}

/** Readings whose quality flag is not "valid", by parameter code. */
export function flaggedReadings(code) {
  const out = [];
  for (const [param, reading] of state.readings.get(code) ?? []) {
    if (reading.quality != null && reading.quality !== 'valid') out.push([param, reading]);
  }
  return out;
}

export function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 120) return t('dur.s', s);
  const min = Math.round(s / 60);
  if (min < 120) return t('dur.min', min);
  return t('dur.h', Math.round(min / 60));
}

export function stationName(station) {
  return pick(station.name_zh, station.name_en);
}

/** The station's verdict in a few words: "AQI 102 轻度污染", "Ⅲ类 达标". */
export function verdictText(code) {
  const station = state.stationByCode.get(code);
  const v = state.verdicts.get(code);
  if (!station) return '';
  if (station.kind === 'air') {
    if (!isObject(v?.aqi)) return t('map.markerNone');
    if (!Number.isInteger(v.aqi.aqi)) return t('aqiNaLong');
    const info = aqiLevelInfo(v.aqi);
    return `AQI ${v.aqi.aqi}${info ? ` ${info.category.text}` : ''}`;
  }
  // Plant outlets and network points: a GB 5749-2022 verdict, no GB 3838 class.
  if (isSupplyKind(station.kind)) return supplyText(v?.water);
  if (isRadiationKind(station.kind)) return radiationText(v?.radiation);
  const cls = classNumber(v?.water?.class);
  if (cls == null) return t('map.markerNone');
  const meets = v.water.meets_target;
  const verdict = meets === true ? t('meets') : meets === false ? t('notMeets') : '';
  const target = classNumber(Number(station.target_class));
  return `${waterClassName(cls)}${verdict && target ? `${isEn() ? ', ' : '，'}${t('target', target)} ${verdict}` : ''}`;
}

// ------------------------------------------------------------ readings

function readingSignature(reading) {
  if (!reading) return '';
  return `${formatValue(reading.value)}|${reading.unit ?? ''}|${reading.quality ?? ''}`;
}

/** Returns the parameter codes whose displayed value differs between the two maps. */
export function changedCodes(before, after) {
  const changed = new Set();
  for (const [code, reading] of after) {
    const old = before?.get(code);
    if (old && readingSignature(old) !== readingSignature(reading)) changed.add(code);
  }
  return changed;
}

function orderedParameterCodes(readings) {
  const codes = [];
  for (const p of state.parameters) if (readings.has(p.code)) codes.push(p.code);
  const extra = [...readings.keys()].filter((c) => !state.paramByCode.has(c)).sort();
  return codes.concat(extra);
}

/**
 * The station's latest values as a definition list. `changed` holds the
 * parameter codes to highlight; `fullTime` writes the date in full.
 */
function readingsList(code, changed, fullTime) {
  const readings = state.readings.get(code) ?? new Map();
  if (readings.size === 0) return el('p', { class: 'no-data', text: t('noData') });
  const list = el('dl', { class: 'readings' });
  for (const paramCode of orderedParameterCodes(readings)) {
    const reading = readings.get(paramCode);
    const param = state.paramByCode.get(paramCode);
    const unit = displayUnit(reading.unit ?? param?.unit);
    const flag = qualityText(reading.quality);
    const name = readingLabel(paramCode, param);
    const valueEl = el(
      'span',
      { class: 'value', 'data-parameter': paramCode, 'data-quality': reading.quality ?? null },
      el('data', {
        class: 'num',
        value: Number.isFinite(Number(reading.value)) ? reading.value : null,
        text: formatValue(reading.value),
      }),
      unit ? el('span', { class: 'unit', text: ` ${unit}` }) : null,
    );
    if (changed?.has(paramCode)) flash(valueEl);
    const dd = el('dd', {}, valueEl);
    if (flag) dd.append(el('span', { class: 'flag', text: flag }));
    const shown = fullTime ? formatFullTime(reading.observed_at) : formatShortTime(reading.observed_at);
    if (shown) {
      dd.append(
        el(
          'time',
          {
            class: 'observed',
            datetime: reading.observed_at,
            title: `${t('observedAt')} ${formatFullTime(reading.observed_at)}${t('timeSuffix')}`,
          },
          el('span', { class: 'visually-hidden', text: `${t('observedAt')} ` }),
          shown,
        ),
      );
    }
    list.append(
      el(
        'div',
        { class: flag ? 'reading is-flagged' : 'reading' },
        el('dt', { lang: name.lang, text: name.text }),
        dd,
      ),
    );
  }
  return list;
}

/** The stale and flagged notes, in words; empty when the data is current and valid. */
function statusNotes(code) {
  const out = [];
  if (isStale(code)) {
    const updated = state.verdicts.get(code)?.updatedAt;
    out.push(
      el(
        'p',
        { class: 'stale-note' },
        el('strong', { text: t('stale') }),
        ' ',
        el('span', { text: t('staleCadence', formatFullTime(updated), formatDuration(cadenceOf(code))) }),
      ),
    );
  }
  const flagged = flaggedReadings(code);
  if (flagged.length) {
    const names = flagged.map(([param, reading]) => {
      const label = readingLabel(param, state.paramByCode.get(param)).text;
      return `${label} ${qualityText(reading.quality)}`;
    });
    out.push(el('p', { class: 'flag-note', text: t('flaggedSummary', flagged.length, joinList(names)) }));
  }
  return out;
}

function verdictNodes(station) {
  const v = state.verdicts.get(station.code);
  if (station.kind === 'air' && isObject(v?.aqi)) return airVerdict(v.aqi);
  if (isSupplyKind(station.kind) && isObject(v?.water)) return supplyVerdict(station, v.water);
  if (isRadiationKind(station.kind) && isObject(v?.radiation)) return radiationVerdict(v.radiation);
  if (isWaterKind(station.kind) && isObject(v?.water)) return waterVerdict(station, v.water);
  return null;
}

function whyNodes(station) {
  const v = state.verdicts.get(station.code);
  if (station.kind === 'air' && isObject(v?.aqi)) return airWhy(v.aqi);
  if (isSupplyKind(station.kind) && isObject(v?.water)) return supplyWhy(station, v.water);
  if (isRadiationKind(station.kind)) return radiationWhy();
  if (isWaterKind(station.kind) && isObject(v?.water)) return waterWhy(station, v.water);
  return null;
}

function verdictSignature(code) {
  const v = state.verdicts.get(code);
  if (isObject(v?.aqi)) return `aqi|${v.aqi.aqi}|${v.aqi.level}`;
  if (isObject(v?.water)) return `water|${v.water.class}|${v.water.meets_target}`;
  if (isObject(v?.radiation)) return `radiation|${v.radiation.hour_end}|${v.radiation.mean}|${v.radiation.state}`;
  return '';
}

function whyDisclosure(station) {
  const body = el('div', { class: 'why-body' });
  const why = el('details', { class: 'why', hidden: true }, el('summary', {}, el('span', { text: t('why') })), body);
  why.open = state.openWhy.has(station.code);
  why.addEventListener('toggle', () => {
    if (why.open) state.openWhy.add(station.code);
    else state.openWhy.delete(station.code);
  });
  return { why, body };
}

function stationHead(station, level) {
  const head = el('header', { class: 'station-head' });
  const titleRow = el('div', { class: 'station-title' });
  titleRow.append(localizedEl(level, { class: 'station-name', id: level === 'h2' ? 'detail-title' : null }, station.name_zh, station.name_en));
  head.append(titleRow);
  const meta = el('p', { class: 'station-meta' });
  if (level === 'h2') meta.append(el('span', { text: t(`kindOne.${station.kind}`) }));
  const district = pick(station.district_zh, station.district_en);
  if (district.text) meta.append(el('span', { lang: district.lang, text: district.text }));
  meta.append(
    el('span', { class: 'station-code' }, el('span', { class: 'visually-hidden', text: `${t('stationCode')} ` }), station.code),
  );
  head.append(meta);
  if (isWaterKind(station.kind)) {
    const water = el('p', { class: 'station-water' });
    const body = pick(station.water_body_zh, station.water_body_en);
    const basin = pick(station.basin_zh, station.basin_en);
    if (body.text) water.append(el('span', { lang: body.lang, text: body.text }));
    if (station.water_body_type === 'river' || station.water_body_type === 'lake') {
      water.append(el('span', { text: t(`waterType.${station.water_body_type}`) }));
    }
    if (basin.text) water.append(el('span', { lang: basin.lang, text: basin.text }));
    if (water.childElementCount > 0) head.append(water);
  }
  return head;
}

// ------------------------------------------------------------ list cards

/** Builds the list view's card of a station; `renderCard` fills it. */
export function buildCard(station) {
  const status = el('div', { class: 'station-status' });
  const verdict = el('div', { class: 'station-verdict', hidden: true });
  const body = el('div', { class: 'station-body' });
  const { why, body: whyBody } = whyDisclosure(station);
  const name = stationName(station).text;
  const more = el(
    'a',
    { class: 'card-more', href: `#station/${encodeURIComponent(station.code)}`, 'aria-label': t('detailsOf', name) },
    t('details'),
  );
  const article = el(
    'article',
    { class: `station station-${station.kind}`, 'data-station': station.code },
    stationHead(station, 'h3'),
    status,
    verdict,
    body,
    why,
    el('p', { class: 'card-foot' }, more),
  );
  return { article, station, status, verdict, body, why, whyBody, verdictSignature: null };
}

/** Redraws a card; `changed` holds parameter codes to highlight, or null. */
export function renderCard(card, changed) {
  const { station } = card;
  const stale = isStale(station.code);
  card.article.toggleAttribute('data-stale', stale);
  card.status.replaceChildren(...statusNotes(station.code));
  const content = verdictNodes(station);
  card.verdict.hidden = content == null;
  card.verdict.replaceChildren(...(content ?? []));
  const signature = verdictSignature(station.code);
  if (changed != null && content && card.verdictSignature && card.verdictSignature !== signature) {
    const main = card.verdict.querySelector('.verdict-main');
    if (main) flash(main);
  }
  card.verdictSignature = content ? signature : null;
  card.body.replaceChildren(readingsList(station.code, changed, false));
  const why = whyNodes(station);
  card.why.hidden = why == null;
  card.whyBody.replaceChildren(...(why ?? []));
}

/** Only the time-dependent part: whether the data became stale. */
export function renderCardStatus(card) {
  card.article.toggleAttribute('data-stale', isStale(card.station.code));
  card.status.replaceChildren(...statusNotes(card.station.code));
}

// ------------------------------------------------------------ detail dialog

const detail = { code: null, parts: null, opener: null, signature: null };

function apiUrl(path) {
  return new URL(path, document.baseURI).href;
}

const langParam = () => (isEn() ? 'en' : 'zh');

/** The chart contract: `/api/v1/charts/station/{code}/{parameter}.svg?range=24h&lang=&theme=`. */
export function chartUrl(code, param, ext = 'svg') {
  const c = encodeURIComponent(code);
  const p = encodeURIComponent(param);
  return apiUrl(
    `api/v1/charts/station/${c}/${p}.${ext}?range=24h&lang=${langParam()}&theme=light&width=${CHART_W}&height=${CHART_H}`,
  );
}

export function embedUrl(code) {
  return apiUrl(`embed/station/${encodeURIComponent(code)}?lang=${langParam()}`);
}

function chartParams(station) {
  const readings = state.readings.get(station.code) ?? new Map();
  if (station.kind === 'air') return AIR_CHART_PARAMS.filter((p) => p === 'aqi' || readings.has(p));
  const determining = state.verdicts.get(station.code)?.water?.report?.determining;
  const first = Array.isArray(determining) ? determining.filter((p) => readings.has(p)) : [];
  return [...new Set([...first, ...orderedParameterCodes(readings)])];
}

function chartParamName(param) {
  if (param === 'aqi') return t('chart.aqi');
  return readingLabel(param, state.paramByCode.get(param)).text;
}

function chartSection(station) {
  const params = chartParams(station);
  const section = el('section', { class: 'detail-chart', 'aria-labelledby': 'detail-chart-title' });
  section.append(el('h3', { id: 'detail-chart-title', text: t('detail.chart') }));
  if (params.length === 0) {
    section.append(el('p', { class: 'muted', text: t('noData') }));
    return section;
  }
  const figure = el('figure', { class: 'chart' });
  const fallback = el('p', { class: 'chart-fallback', hidden: true, text: t('detail.chartFallback') });
  const img = el('img', { width: CHART_W, height: CHART_H, decoding: 'async' });
  img.addEventListener('error', () => {
    img.hidden = true;
    fallback.hidden = false;
    section.dataset.chart = 'unavailable';
  });
  img.addEventListener('load', () => {
    img.hidden = false;
    fallback.hidden = true;
    section.dataset.chart = 'loaded';
  });
  const name = stationName(station).text;
  const show = (param) => {
    section.dataset.chart = 'loading';
    img.alt = t('detail.chartAlt', name, chartParamName(param));
    img.src = chartUrl(station.code, param);
  };
  if (params.length > 1) {
    const select = el('select', { id: 'detail-chart-param' });
    for (const p of params) select.append(el('option', { value: p, text: chartParamName(p) }));
    select.addEventListener('change', () => show(select.value));
    section.append(
      el('p', { class: 'chart-pick' }, el('label', { for: 'detail-chart-param', text: `${t('detail.chartParam')} ` }), select),
    );
  }
  figure.append(img, fallback);
  section.append(figure);
  show(params[0]);
  return section;
}

function dataSection(station) {
  const code = encodeURIComponent(station.code);
  const links = [[`api/v1/stations/${code}/latest`, t('detail.dataLatest')]];
  if (station.kind === 'air') {
    links.push([`api/v1/aqi?station=${code}&period=hourly`, t('detail.dataAqi')]);
    links.push([`api/v1/aqi?station=${code}&period=daily`, t('detail.dataAqiDaily')]);
  } else {
    links.push([`api/v1/water?station=${code}`, t('detail.dataWater')]);
  }
  links.push([`api/v1/stations/${code}/completeness`, t('detail.dataCompleteness')]);
  const list = el('ul', { class: 'data-links' });
  for (const [href, label] of links) list.append(el('li', {}, el('a', { href: apiUrl(href), text: label })));
  // Each parameter's hourly history (the last 7 days by default), as JSON and CSV.
  for (const param of chartParams(station).filter((p) => p !== 'aqi')) {
    const name = chartParamName(param);
    const base = `api/v1/stations/${code}/readings?parameter=${encodeURIComponent(param)}&aggregate=hourly`;
    list.append(
      el(
        'li',
        {},
        `${t('detail.dataHistory', name)} `,
        el('a', { href: apiUrl(base), 'aria-label': `${t('detail.dataHistory', name)} JSON`, text: 'JSON' }),
        ' · ',
        el('a', { href: apiUrl(`${base}&format=csv`), 'aria-label': `${t('detail.dataHistory', name)} CSV`, text: 'CSV' }),
      ),
    );
  }
  return el('section', { class: 'detail-data', 'aria-labelledby': 'detail-data-title' }, el('h3', { id: 'detail-data-title', text: t('detail.data') }), list);
}

function copyField(id, label, value, rows) {
  const area = el('textarea', { id, readonly: true, rows, spellcheck: 'false' });
  area.value = value;
  const button = el('button', { type: 'button', class: 'copy', text: t('detail.copy') });
  const status = el('span', { class: 'copy-status', role: 'status' });
  button.addEventListener('click', async () => {
    area.select();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      document.execCommand?.('copy');
    }
    status.textContent = t('detail.copied');
    setTimeout(() => {
      status.textContent = '';
    }, 2000);
  });
  return el('div', { class: 'copy-field' }, el('label', { for: id, text: label }), area, el('p', { class: 'copy-row' }, button, status));
}

function embedSection(station) {
  const name = stationName(station).text;
  const iframe = `<iframe src="${embedUrl(station.code)}" title="${name.replace(/"/g, '&quot;')}" width="360" height="240" style="border:0" loading="lazy"></iframe>`;
  const param = chartParams(station)[0] ?? (station.kind === 'air' ? 'aqi' : 'do');
  const images = `${chartUrl(station.code, param, 'svg')}\n${chartUrl(station.code, param, 'png')}`;
  return el(
    'details',
    { class: 'detail-embed' },
    el('summary', {}, el('span', { text: t('detail.embed') })),
    el('p', { class: 'muted', text: t('detail.embedIntro') }),
    copyField('embed-iframe', t('detail.embedIframe'), iframe, 4),
    copyField('embed-images', t('detail.embedImage'), images, 3),
  );
}

function adviceNodes(station) {
  const v = state.verdicts.get(station.code);
  let text = null;
  let extra = null;
  let heading = t('detail.advice');
  if (station.kind === 'air' && Number.isInteger(v?.aqi?.aqi)) {
    const info = aqiLevelInfo(v.aqi);
    if (info?.advice.text) text = info.advice;
  } else if (isWaterKind(station.kind)) {
    const cls = classNumber(v?.water?.class);
    if (cls != null) {
      heading = t('detail.waterUse');
      text = { text: t(`use.${cls}`), lang: null };
      extra = el('p', { class: 'why-basis', text: t('use.basis') });
    }
  }
  if (!text) return [];
  return [
    el(
      'section',
      { class: 'detail-advice' },
      el('h3', { text: heading }),
      el('p', { class: 'advice-text', lang: text.lang, text: text.text }),
      extra,
    ),
  ];
}

/** Opens the dialog on a station (from the URL hash); returns false for an unknown code. */
export function openDetail(code) {
  const station = state.stationByCode.get(code);
  const dialog = document.getElementById('detail');
  if (!station || !dialog) return false;
  if (!dialog.open) detail.opener = document.activeElement;
  detail.code = code;
  buildDetail(station);
  if (!dialog.open) dialog.showModal();
  dialog.querySelector('.detail-close')?.focus();
  return true;
}

export function closeDetail() {
  const dialog = document.getElementById('detail');
  const code = detail.code;
  detail.code = null;
  detail.parts = null;
  if (dialog?.open) dialog.close();
  const opener = detail.opener;
  detail.opener = null;
  if (opener && document.contains(opener)) {
    opener.focus();
  } else if (opener && code) {
    // The view was redrawn meanwhile (a resize redraws the map): the same
    // station's link in the same place.
    const where = opener.closest?.('[id]')?.id;
    const selector = `a[href="#station/${CSS.escape(encodeURIComponent(code))}"]`;
    const again = (where && document.getElementById(where)?.querySelector(selector)) ?? document.querySelector(selector);
    again?.focus();
  }
}

export const detailCode = () => detail.code;

function buildDetail(station) {
  const root = document.getElementById('detail-body');
  const { why, body: whyBody } = whyDisclosure(station);
  const parts = {
    status: el('div', { class: 'station-status' }),
    verdict: el('div', { class: 'station-verdict' }),
    advice: el('div'),
    readings: el('div', { class: 'station-body' }),
    why,
    whyBody,
  };
  const coords = el('p', {
    class: 'station-coords',
    text: `${t('detail.coords', station.latitude.toFixed(3), station.longitude.toFixed(3))}${station.coordinates_approximate ? (isEn() ? ` (${t('map.approx')})` : `（${t('map.approx')}）`) : ''}`,
  });
  root.replaceChildren(
    el(
      'article',
      { class: `station station-detail station-${station.kind}`, 'data-station-detail': station.code },
      stationHead(station, 'h2'),
      coords,
      parts.status,
      parts.verdict,
      parts.advice,
      el('section', { class: 'detail-readings', 'aria-labelledby': 'detail-readings-title' }, el('h3', { id: 'detail-readings-title', text: t('detail.readings') }), parts.readings),
      chartSection(station),
      parts.why,
      dataSection(station),
      embedSection(station),
    ),
  );
  detail.parts = parts;
  detail.signature = null;
  renderDetail(null);
}

/** Redraws the dynamic parts of the open detail; returns a short text when its verdict changed. */
export function renderDetail(changed) {
  const station = state.stationByCode.get(detail.code);
  const parts = detail.parts;
  if (!station || !parts) return null;
  parts.status.replaceChildren(...statusNotes(station.code));
  const content = verdictNodes(station);
  parts.verdict.hidden = content == null;
  // The advice has its own heading below; the verdict keeps the essentials.
  parts.verdict.replaceChildren(...(content ?? []).filter((n) => !n.classList.contains('verdict-advice')));
  parts.advice.replaceChildren(...adviceNodes(station));
  parts.readings.replaceChildren(readingsList(station.code, changed, true));
  const why = whyNodes(station);
  parts.why.hidden = why == null;
  parts.whyBody.replaceChildren(...(why ?? []));
  const signature = verdictSignature(station.code);
  const before = detail.signature;
  detail.signature = signature;
  return before != null && before !== signature ? verdictText(station.code) : null;
}
