// A radiation station's latest hour, as ingest sends it live
// (`radiation`: the hour's mean gamma dose rate against the station's
// natural background): in a few words, as a verdict box, and the plain
// words behind it in both languages (what nGy/h is, what the natural range
// is, why rain raises it).

import { isEn, t } from './i18n.js';
import { el, formatValue, isObject } from './format.js';

export const isRadiationKind = (kind) => kind === 'radiation';

const STATE_KEY = {
  within: 'radiation.within',
  above: 'radiation.above',
  below: 'radiation.below',
  no_background: 'radiation.noBackground',
  invalid: 'radiation.invalid',
};

/** "78.4 nGy/h, within the natural background". */
export function radiationText(radiation) {
  if (!isObject(radiation)) return t('map.markerNone');
  const value = Number.isFinite(radiation.mean) ? `${formatValue(radiation.mean)} nGy/h` : '—';
  const state = t(STATE_KEY[radiation.state] ?? 'radiation.invalid');
  return `${value}${isEn() ? ', ' : '，'}${state}`;
}

/** Whether the marker should show a warning: above the background. */
export const radiationAbove = (radiation) => isObject(radiation) && radiation.state === 'above';

export function radiationVerdict(radiation) {
  const report = isObject(radiation.report) ? radiation.report : {};
  const above = radiation.state === 'above';
  const badge = el(
    'p',
    { class: above ? 'water-badge supply-bad' : 'water-badge supply-ok', 'data-radiation': String(radiation.state) },
    el('span', { class: 'badge-label', text: 'nGy/h' }),
    ' ',
    el('span', { class: 'badge-value', text: Number.isFinite(radiation.mean) ? formatValue(radiation.mean) : '—' }),
  );
  const explanation = isEn() ? report.explanation_en : report.explanation_zh;
  const main = el(
    'div',
    { class: 'verdict-main' },
    el('p', { class: 'verdict-category' }, el('strong', { class: above ? 'verdict-bad' : 'verdict-ok', text: radiationText(radiation) })),
    typeof explanation === 'string' ? el('p', { class: 'verdict-facts', text: explanation }) : '',
  );
  return [el('div', { class: 'verdict' }, badge, main)];
}

/** The plain words: what the number means and why it moves. */
export function radiationWhy() {
  return [
    el('p', { text: t('radiation.explainUnit') }),
    el('p', { text: t('radiation.explainRange') }),
    el('p', { text: t('radiation.explainRain') }),
  ];
}
