// The map's station markers: their shape by kind (circle: air, square:
// river section, diamond: drinking-water source, hexagon: water plant's
// outlet, triangle: network point), colour by AQI level, water class or
// GB 5749 verdict with the number, class or ✓/✗ written on, accessible
// names, and how crowded markers are spread out.

import { isEn, ROMAN, ROMAN_ZH, t } from './i18n.js';
import { classNumber, isObject, textColorOn } from './format.js';
import { state } from './store.js';
import { aqiLevelInfo } from './verdict.js';
import { isStale, isWaterKind, stationName, verdictText } from './station.js';
import { isSupplyKind } from './supply.js';
import { isRadiationKind } from './radiation.js';

const SVG = 'http://www.w3.org/2000/svg';
/**
 * Water-class marker colours: envmon's own choice (GB 3838 sets none), the
 * stripe colours of the cards; black or white text is picked for contrast.
 */
export const WATER_HEX = { 1: '#4fa3c4', 2: '#3b6fb0', 3: '#3f8f52', 4: '#b8951c', 5: '#cc7a2c', 6: '#b8453a' };
/** GB 5749 verdict colours of plant and network markers, envmon's choice too. */
export const SUPPLY_HEX = { ok: '#2f7d4a', fail: '#b8453a' };
const NONE_FILL = '#e5e7eb';
const NONE_TEXT = '#1b2430';

export function svg(tag, attrs = {}, ...children) {
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
export function markerLook(code) {
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
  } else if (isSupplyKind(station.kind)) {
    const ok = v?.water?.report?.supply?.compliant;
    if (ok === true || ok === false) {
      fill = ok ? SUPPLY_HEX.ok : SUPPLY_HEX.fail;
      label = ok ? '✓' : '✗';
      data = { 'data-supply': String(ok) };
    }
  } else if (isRadiationKind(station.kind)) {
    const r = v?.radiation;
    if (Number.isFinite(r?.mean) && r.state !== 'invalid') {
      const above = r.state === 'above';
      fill = above ? SUPPLY_HEX.fail : SUPPLY_HEX.ok;
      label = String(Math.round(r.mean));
      data = { 'data-radiation': r.state };
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
export function markerAria(code, shown) {
  const station = state.stationByCode.get(code);
  const verdict = verdictText(code);
  const parts = [stationName(station).text, t(`kindOne.${station.kind}`), verdict.includes(shown) || shown === '–' ? verdict : `${verdict} (${shown})`];
  if (isStale(code)) parts.push(t('map.markerStale'));
  if (station.coordinates_approximate) parts.push(t('map.approx'));
  return parts.join(isEn() ? ', ' : '，');
}

export function shapeFor(kind, r) {
  if (kind === 'air') return svg('circle', { class: 'marker-shape', r });
  if (kind === 'source') {
    const d = r * 1.3;
    return svg('path', { class: 'marker-shape', d: `M0 ${-d}L${d} 0L0 ${d}L${-d} 0Z` });
  }
  if (kind === 'plant') {
    const d = r * 1.2;
    const h = d * 0.866;
    return svg('path', { class: 'marker-shape', d: `M${-d} 0L${-d / 2} ${-h}L${d / 2} ${-h}L${d} 0L${d / 2} ${h}L${-d / 2} ${h}Z` });
  }
  if (kind === 'radiation') {
    // A trefoil would be alarming; an octagon reads as a monitoring post.
    const d = r * 1.15;
    const k = d * 0.414;
    return svg('path', { class: 'marker-shape', d: `M${-k} ${-d}L${k} ${-d}L${d} ${-k}L${d} ${k}L${k} ${d}L${-k} ${d}L${-d} ${k}L${-d} ${-k}Z` });
  }
  if (kind === 'tap') {
    const d = r * 1.35;
    return svg('path', { class: 'marker-shape', d: `M0 ${-d}L${d} ${d * 0.75}L${-d} ${d * 0.75}Z` });
  }
  return svg('rect', { class: 'marker-shape', x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 3 });
}

/**
 * Pushes overlapping markers apart, each pulled back towards its true place;
 * the caller draws a leader line from a moved marker to where it belongs.
 */
export function relax(points, minDist) {
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
    }
    if (!moved) break;
  }
}

