// The offline map: an SVG schematic drawn from the stations' own
// coordinates (no tiles, no outline of the city we do not have), each marker
// coloured by AQI level or water class with the number or class written on
// it, and the same content as a table.

import { AQI_LEVELS, isEn, pick, ROMAN, ROMAN_ZH, t } from './i18n.js';
import { classNumber, el, formatShortTime, isObject, textColorOn } from './format.js';
import { KINDS, state } from './store.js';
import { aqiLevelInfo } from './verdict.js';
import { flaggedReadings, isStale, isWaterKind, stationName, verdictText } from './station.js';

const SVG = 'http://www.w3.org/2000/svg';
/**
 * Water-class marker colours: envmon's own choice (GB 3838 sets none), the
 * stripe colours of the cards; black or white text is picked for contrast.
 */
const WATER_HEX = { 1: '#4fa3c4', 2: '#3b6fb0', 3: '#3f8f52', 4: '#b8951c', 5: '#cc7a2c', 6: '#b8453a' };
const NONE_FILL = '#e5e7eb';
const NONE_TEXT = '#1b2430';

const view = { markers: new Map(), rows: new Map(), width: 0 };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

/** What a marker shows: fill, text colour, the short text on it, and data attributes. */
function markerLook(code) {
  const station = state.stationByCode.get(code);
  const v = state.verdicts.get(code);
  const stale = isStale(code);
  let fill = NONE_FILL;
  let label = '–';
  let data = {};
  if (station.kind === 'air' && isObject(v?.aqi)) {
    const value = Number.isInteger(v.aqi.aqi) ? v.aqi.aqi : null;
    const info = value == null ? null : aqiLevelInfo(v.aqi);
    if (value != null && info) {
      fill = info.hex;
      label = String(value);
      data = { 'data-aqi': value, 'data-level': info.level };
    } else {
      label = 'NA';
      data = { 'data-aqi': '' };
    }
  } else if (isWaterKind(station.kind)) {
    const cls = classNumber(v?.water?.class);
    if (cls != null) {
      fill = WATER_HEX[cls];
      label = cls === 6 ? (isEn() ? '>V' : '劣Ⅴ') : isEn() ? ROMAN[cls] : ROMAN_ZH[cls];
      data = { 'data-water-class': cls };
    }
  }
  if (stale && fill !== NONE_FILL) {
    return { fill: '#ffffff', stroke: fill, text: NONE_TEXT, label, data, stale: true };
  }
  return { fill, stroke: fill === NONE_FILL ? '#6b7280' : '#1b2430', text: fill === NONE_FILL ? NONE_TEXT : textColorOn(fill), label, data, stale };
}

/** The marker's accessible name; it contains the text shown on the marker. */
function markerAria(code, shown) {
  const station = state.stationByCode.get(code);
  const verdict = verdictText(code);
  const parts = [stationName(station).text, t(`kindOne.${station.kind}`), verdict.includes(shown) || shown === '–' ? verdict : `${verdict} (${shown})`];
  if (isStale(code)) parts.push(t('map.markerStale'));
  if (station.coordinates_approximate) parts.push(t('map.approx'));
  return parts.join(isEn() ? ', ' : '，');
}

function shapeFor(kind, r) {
  if (kind === 'air') return svg('circle', { class: 'marker-shape', r });
  if (kind === 'source') {
    const d = r * 1.3;
    return svg('path', { class: 'marker-shape', d: `M0 ${-d}L${d} 0L0 ${d}L${-d} 0Z` });
  }
  return svg('rect', { class: 'marker-shape', x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 3 });
}

/** Pushes overlapping markers apart, each pulled back towards its true place. */
function relax(points, minDist, width, height, pad) {
  for (let round = 0; round < 80; round += 1) {
    let moved = false;
    for (let i = 0; i < points.length; i += 1) {
      for (let j = i + 1; j < points.length; j += 1) {
        const a = points[i];
        const b = points[j];
        let dx = b.x - a.x;
        let dy = b.y - a.y;
        let d = Math.hypot(dx, dy);
        if (d >= minDist) continue;
        if (d < 0.01) {
          dx = Math.cos(i + j);
          dy = Math.sin(i + j);
          d = 1;
        }
        const push = (minDist - d) / 2;
        a.x -= (dx / d) * push;
        a.y -= (dy / d) * push;
        b.x += (dx / d) * push;
        b.y += (dy / d) * push;
        moved = true;
      }
    }
    for (const p of points) {
      p.x += (p.ax - p.x) * 0.04;
      p.y += (p.ay - p.y) * 0.04;
      p.x = Math.min(width - pad, Math.max(pad, p.x));
      p.y = Math.min(height - pad, Math.max(pad, p.y));
    }
    if (!moved) break;
  }
}

function niceKm(maxKm) {
  for (const km of [50, 20, 10, 5, 2, 1]) if (km <= maxKm) return km;
  return 1;
}

/** Draws the map for the current width, filters and language. */
export function renderMap() {
  const host = document.getElementById('map');
  if (!host) return;
  const stations = state.stations.filter((s) => state.filters.has(s.kind) && Number.isFinite(s.latitude) && Number.isFinite(s.longitude));
  view.markers.clear();
  const width = Math.max(280, Math.round(host.clientWidth || 320));
  view.width = width;
  if (stations.length === 0) {
    host.replaceChildren(el('p', { class: 'muted map-empty', text: t('noneShown') }));
    return;
  }
  // Equirectangular projection about the stations' mean latitude: over a
  // city, distances are right to within a fraction of a per cent.
  const all = state.stations;
  const lat0 = all.reduce((s, x) => s + x.latitude, 0) / all.length;
  const kx = Math.cos((lat0 * Math.PI) / 180);
  const lons = all.map((s) => s.longitude);
  const lats = all.map((s) => s.latitude);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const r = width < 520 ? 12 : 14;
  const pad = r * 2 + 6;
  const spanX = Math.max(0.01, (maxLon - minLon) * kx);
  const spanY = Math.max(0.01, maxLat - minLat);
  const maxHeight = Math.max(360, Math.min(760, Math.round(window.innerHeight * 0.8)));
  let scale = (width - 2 * pad) / spanX;
  // Room at the bottom for the longitude labels and the scale bar.
  const bottom = pad + 14;
  let height = Math.round(spanY * scale + pad + bottom);
  if (height > maxHeight) {
    height = maxHeight;
    scale = (height - pad - bottom) / spanY;
  }
  const offX = (width - spanX * scale) / 2;
  const project = (lon, lat) => [offX + (lon - minLon) * kx * scale, pad + (maxLat - lat) * scale];

  const root = svg('svg', {
    class: 'map-svg',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'group',
    'aria-label': t('map.label', stations.length),
  });

  // Graticule every 0.1 degree, labelled every 0.2 degree.
  const grid = svg('g', { class: 'map-grid', 'aria-hidden': 'true' });
  const deg = (v) => Math.round(v * 10) / 10;
  const [lonA, latA] = [(0 - offX) / (kx * scale) + minLon, maxLat + pad / scale];
  const [lonB, latB] = [(width - offX) / (kx * scale) + minLon, maxLat - (height - pad) / scale];
  // Labels every 0.2 degree, or 0.4 where that would crowd them.
  const labelEvery = 0.2 * kx * scale < (isEn() ? 70 : 90) ? 4 : 2;
  for (let lon = Math.ceil(lonA * 10) / 10; lon <= lonB; lon = deg(lon + 0.1)) {
    const [x] = project(lon, lat0);
    grid.append(svg('line', { x1: x, y1: 0, x2: x, y2: height }));
    if (Math.round(lon * 10) % labelEvery === 0 && x > 30 && x < width - 60) {
      grid.append(svg('text', { x: x + 3, y: height - 4, class: 'grid-label', text: isEn() ? `${lon.toFixed(1)}°E` : `东经${lon.toFixed(1)}°` }));
    }
  }
  for (let lat = Math.ceil(latB * 10) / 10; lat <= latA; lat = deg(lat + 0.1)) {
    const [, y] = project(minLon, lat);
    grid.append(svg('line', { x1: 0, y1: y, x2: width, y2: y }));
    if (Math.round(lat * 10) % labelEvery === 0 && y > 16 && y < height - 24) {
      grid.append(svg('text', { x: 4, y: y - 3, class: 'grid-label', text: isEn() ? `${lat.toFixed(1)}°N` : `北纬${lat.toFixed(1)}°` }));
    }
  }
  root.append(grid);

  // District names at the mean position of their air stations (exact coordinates).
  const districts = new Map();
  for (const s of all) {
    if (s.kind !== 'air' || s.coordinates_approximate) continue;
    const name = pick(s.district_zh, s.district_en).text;
    if (!districts.has(name)) districts.set(name, []);
    districts.get(name).push(project(s.longitude, s.latitude));
  }
  const placed = [];
  const labels = svg('g', { class: 'map-districts', 'aria-hidden': 'true' });
  for (const [name, pts] of districts) {
    const x = pts.reduce((s, p) => s + p[0], 0) / pts.length;
    const y = pts.reduce((s, p) => s + p[1], 0) / pts.length + r + 12;
    if (placed.some(([px, py]) => Math.abs(px - x) < 70 && Math.abs(py - y) < 16)) continue;
    placed.push([x, y]);
    labels.append(svg('text', { x, y, 'text-anchor': 'middle', class: 'district-label', text: name }));
  }
  root.append(labels);

  // Scale bar.
  const kmPerPx = (111.32 * kx) / (kx * scale);
  const km = niceKm((width * 0.25) * kmPerPx);
  const barPx = km / kmPerPx;
  const bx = width - barPx - 12;
  const by = height - 22;
  root.append(
    svg(
      'g',
      { class: 'map-scale', 'aria-hidden': 'true' },
      svg('rect', { x: bx - 6, y: by - 16, width: barPx + 12, height: 26, rx: 3, class: 'scale-bg' }),
      svg('path', { d: `M${bx} ${by - 4}V${by}H${bx + barPx}V${by - 4}` }),
      svg('text', { x: bx + barPx / 2, y: by - 5, 'text-anchor': 'middle', text: t('map.scale', km) }),
    ),
  );

  // Markers, air first so water sites (fewer, spread out) draw on top.
  const order = [...stations].sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  const points = order.map((s) => {
    const [x, y] = project(s.longitude, s.latitude);
    return { s, x, y, ax: x, ay: y };
  });
  relax(points, 2 * r + 3, width, height, r + 2);
  const leaders = svg('g', { class: 'map-leaders', 'aria-hidden': 'true' });
  const marks = svg('g', { class: 'map-markers' });
  for (const p of points) {
    if (Math.hypot(p.x - p.ax, p.y - p.ay) > r * 0.5) {
      leaders.append(svg('line', { x1: p.ax, y1: p.ay, x2: p.x, y2: p.y }));
      leaders.append(svg('circle', { cx: p.ax, cy: p.ay, r: 2 }));
    }
    const shape = shapeFor(p.s.kind, r);
    const text = svg('text', { class: 'marker-text', 'text-anchor': 'middle', dy: '0.35em' });
    const name = stationName(p.s).text;
    const nameW = Math.max(40, name.length * (isEn() ? 7 : 13) + 12);
    const nameTag = svg(
      'g',
      { class: 'marker-name', transform: `translate(0 ${-r * 1.6 - 6})`, 'aria-hidden': 'true' },
      svg('rect', { x: -nameW / 2, y: -11, width: nameW, height: 20, rx: 4 }),
      svg('text', { 'text-anchor': 'middle', dy: '0.35em', text: name }),
    );
    const at = `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`;
    const group = svg('g', { class: 'marker', transform: at }, shape, text);
    const link = svg('a', { href: `#station/${encodeURIComponent(p.s.code)}`, class: `marker-link kind-${p.s.kind}`, 'data-station': p.s.code }, group);
    // The name shows on hover and focus; outside the link, so the link's
    // visible text stays what its accessible name says.
    marks.append(link, svg('g', { class: 'marker-tag', transform: at }, nameTag));
    view.markers.set(p.s.code, { link, group, shape, text, fontSize: r });
    paintMarker(p.s.code);
  }
  root.append(leaders, marks);
  // Keep keyboard focus on the same station across a redraw.
  const focused = host.contains(document.activeElement) ? document.activeElement.getAttribute('data-station') : null;
  host.replaceChildren(root);
  if (focused) view.markers.get(focused)?.link.focus();
}

function paintMarker(code) {
  const m = view.markers.get(code);
  if (!m) return;
  const look = markerLook(code);
  m.shape.setAttribute('fill', look.fill);
  m.shape.setAttribute('stroke', look.stroke);
  m.shape.classList.toggle('is-stale', look.stale);
  m.text.textContent = look.label;
  m.text.setAttribute('fill', look.text);
  m.text.setAttribute('font-size', String(look.label.length > 2 ? m.fontSize * 0.78 : m.fontSize * 0.9));
  for (const name of ['data-aqi', 'data-level', 'data-water-class']) m.group.removeAttribute(name);
  for (const [name, value] of Object.entries(look.data)) m.group.setAttribute(name, String(value));
  m.link.setAttribute('aria-label', markerAria(code, look.label));
}

/** Redraws the map if its width changed (phone rotated, window resized). */
export function resizeMap() {
  const host = document.getElementById('map');
  if (host && Math.abs((host.clientWidth || 0) - view.width) > 8) renderMap();
}

// ------------------------------------------------------------ table alternative

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
  view.rows.clear();
  const tbody = el('tbody');
  for (const station of state.stations) {
    if (!state.filters.has(station.kind)) continue;
    const row = tableRow(station);
    view.rows.set(station.code, row);
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

/** A station's state changed: its marker and its table row. */
export function updateStationOnMap(code) {
  paintMarker(code);
  const row = view.rows.get(code);
  const station = state.stationByCode.get(code);
  if (row && station) {
    // Keep keyboard focus on the station's link when its row is redrawn.
    const hadFocus = row.contains(document.activeElement);
    const fresh = tableRow(station);
    row.replaceWith(fresh);
    view.rows.set(code, fresh);
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
  host.replaceChildren(
    el('h3', { class: 'legend-title', text: t('map.legend') }),
    el('p', { class: 'legend-head', text: t('map.legendAqi') }),
    aqi,
    el('p', { class: 'legend-head', text: t('map.legendWater') }),
    water,
    el('p', { class: 'legend-head', text: t('map.legendOther') }),
  );
}

/** Everything the map view draws. */
export function renderMapView() {
  renderMap();
  renderTable();
  renderLegend();
}

/** The stale markers and statuses change with the clock. */
export function tickMap() {
  for (const code of new Set([...view.markers.keys(), ...view.rows.keys()])) updateStationOnMap(code);
}
