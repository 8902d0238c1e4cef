// Formatting (numbers, Beijing time, contrast-safe colours) and the small DOM
// builder every view uses.

import { displayUnit, pick } from './i18n.js';

const TIME_ZONE = 'Asia/Shanghai';
const HIGHLIGHT_MS = 1600;

const numberFormat = new Intl.NumberFormat('en-US', {
  maximumFractionDigits: 3,
  useGrouping: false,
});

const timeParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Builds an element: `class`, `text`, attributes (null and false left out), children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(child);
  }
  return node;
}

export function localizedEl(tag, attrs, zh, en) {
  const { text, lang } = pick(zh, en);
  return el(tag, { ...attrs, lang, text });
}

export const isObject = (v) => v != null && typeof v === 'object' && !Array.isArray(v);
export const asArray = (v) => (Array.isArray(v) ? v : []);
export const classNumber = (v) => (Number.isInteger(v) && v >= 1 && v <= 6 ? v : null);

export function formatValue(value) {
  const n = typeof value === 'number' ? value : Number.parseFloat(value);
  if (!Number.isFinite(n)) return '—';
  const s = numberFormat.format(n);
  return s === '-0' ? '0' : s;
}

/** Exceedance multiples: always two decimals, as GB 3838 reports them. */
export function formatMultiple(value) {
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(2) : '—';
}

export function withUnit(value, unit) {
  const u = displayUnit(unit);
  return u ? `${formatValue(value)} ${u}` : formatValue(value);
}

export function shanghaiParts(iso) {
  const date = new Date(iso);
  if (iso == null || Number.isNaN(date.getTime())) return null;
  const parts = {};
  for (const p of timeParts.formatToParts(date)) parts[p.type] = p.value;
  return parts;
}

/** "11-25 18:00" in Asia/Shanghai time. */
export function formatShortTime(iso) {
  const p = shanghaiParts(iso);
  return p ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

export function formatFullTime(iso) {
  const p = shanghaiParts(iso);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

export function timeMs(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** WCAG relative luminance of "#RRGGBB", or null. */
export function luminance(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(hex ?? ''));
  if (!m) return null;
  const [r, g, b] = m.slice(1).map((h) => {
    const c = Number.parseInt(h, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const DARK_TEXT = '#111111';
const LIGHT_TEXT = '#ffffff';

/** Black or white text, whichever contrasts more with the background. */
export function textColorOn(hex) {
  const l = luminance(hex);
  if (l == null) return null;
  const darkL = luminance(DARK_TEXT);
  const withDark = (l + 0.05) / (darkL + 0.05);
  const withLight = 1.05 / (l + 0.05);
  return withDark >= withLight ? DARK_TEXT : LIGHT_TEXT;
}

export function paintLevel(node, hex) {
  const fg = textColorOn(hex);
  if (!fg) return;
  node.style.setProperty('--level-bg', hex);
  node.style.setProperty('--level-fg', fg);
}

/** Highlights a value that just changed (the highlight is decorative; no motion). */
export function flash(node) {
  node.classList.add('is-changed');
  setTimeout(() => node.classList.remove('is-changed'), HIGHLIGHT_MS);
}

