// "Right now": how many stations are at each AQI level and water class.

import { t } from './i18n.js';
import { classNumber, el, isObject, paintLevel } from './format.js';
import { state } from './store.js';
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

