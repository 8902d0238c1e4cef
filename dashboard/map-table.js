// The map's accessible alternatives and key: the table of every shown
// station with its result (the same content as the map), and the legend.

import { AQI_LEVELS, isEn, pick, t } from './i18n.js';
import { el, formatShortTime } from './format.js';
import { state } from './store.js';
import { aqiLevelInfo } from './verdict.js';
import { flaggedReadings, isStale, stationName, verdictText } from './station.js';
import { markerLook, SUPPLY_HEX, WATER_HEX } from './map-markers.js';

/** station code -> its table row */
export const rows = new Map();


function resultCell(code) {
  const look = markerLook(code);
  const cell = el('td', { class: 'result-cell' });
  const swatch = el('span', { class: look.stale ? 'swatch is-stale' : 'swatch', 'aria-hidden': 'true' });
  swatch.style.setProperty('--swatch', look.fill === '#ffffff' ? look.stroke : look.fill);
  cell.append(swatch, el('span', { text: verdictText(code) }));
  return cell;
}

function statusText(code) {
  const v = state.verdicts.get(code);
  if (v?.updatedAt == null) return t('status.none');
  const parts = [];
  if (isStale(code)) parts.push(t('status.stale'));
  const flagged = flaggedReadings(code).length;
  if (flagged) parts.push(t('status.flagged', flagged));
  return parts.length ? parts.join(isEn() ? '; ' : '；') : t('status.ok');
}

function tableRow(station) {
  const code = station.code;
  const name = stationName(station);
  const district = pick(station.district_zh, station.district_en);
  const updated = state.verdicts.get(code)?.updatedAt;
  return el(
    'tr',
    { 'data-row': code, class: isStale(code) ? 'is-stale' : null },
    el('th', { scope: 'row' }, el('a', { href: `#station/${encodeURIComponent(code)}`, lang: name.lang, text: name.text })),
    el('td', { text: t(`kindShort.${station.kind}`) }),
    el('td', { lang: district.lang, text: district.text }),
    resultCell(code),
    el('td', { class: 'time-cell' }, updated ? el('time', { datetime: updated, text: formatShortTime(updated) }) : '—'),
    el('td', { text: statusText(code) }),
  );
}

export function renderTable() {
  const host = document.getElementById('station-table');
  if (!host) return;
  rows.clear();
  const tbody = el('tbody');
  for (const station of state.stations) {
    if (!state.filters.has(station.kind)) continue;
    const row = tableRow(station);
    rows.set(station.code, row);
    tbody.append(row);
  }
  const head = el(
    'tr',
    {},
    ...['station', 'kind', 'district', 'result', 'time', 'status'].map((k) => el('th', { scope: 'col', text: t(`table.${k}`) })),
  );
  host.replaceChildren(
    el('table', { class: 'station-table' }, el('caption', { class: 'visually-hidden', text: t('table.caption') }), el('thead', {}, head), tbody),
  );
}

/** A station's state changed: its table row. */
export function updateRow(code) {
  const row = rows.get(code);
  const station = state.stationByCode.get(code);
  if (row && station) {
    // Keep keyboard focus on the station's link when its row is redrawn.
    const hadFocus = row.contains(document.activeElement);
    const fresh = tableRow(station);
    row.replaceWith(fresh);
    rows.set(code, fresh);
    if (hadFocus) fresh.querySelector('a')?.focus();
  }
}

export function renderLegend() {
  const host = document.getElementById('map-legend');
  if (!host) return;
  const aqi = el('ul', { class: 'legend-list' });
  for (let level = 1; level <= 6; level += 1) {
    const info = aqiLevelInfo({ level });
    const sw = el('span', { class: 'swatch round', 'aria-hidden': 'true' });
    sw.style.setProperty('--swatch', AQI_LEVELS[level].hex);
    aqi.append(el('li', {}, sw, el('span', { lang: info.category.lang, text: info.category.text })));
  }
  const water = el('ul', { class: 'legend-list' });
  for (let cls = 1; cls <= 6; cls += 1) {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.setProperty('--swatch', WATER_HEX[cls]);
    water.append(el('li', {}, sw, el('span', { text: t('waterClass', cls) })));
  }
  const supply = el('ul', { class: 'legend-list' });
  for (const [key, hex] of Object.entries(SUPPLY_HEX)) {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.setProperty('--swatch', hex);
    supply.append(el('li', {}, sw, el('span', { text: t(`map.legendSupply.${key}`) })));
  }
  host.replaceChildren(
    el('h3', { class: 'legend-title', text: t('map.legend') }),
    el('p', { class: 'legend-head', text: t('map.legendAqi') }),
    aqi,
    el('p', { class: 'legend-head', text: t('map.legendWater') }),
    water,
    el('p', { class: 'legend-head', text: t('map.legendSupply') }),
    supply,
    el('p', { class: 'legend-head', text: t('map.legendOther') }),
    el('p', { class: 'legend-head', text: t('map.legendDistricts') }),
  );
}

