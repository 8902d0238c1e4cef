// The GB 5749-2022 verdict of a plant's outlet or a network point, as ingest
// sends it live (report `{"standard": "GB 5749-2022", "supply": SampleVerdict}`)
// and as a laboratory sample carries it: in a few words, as a verdict box,
// and item by item with the limit each result was judged against.

import { isEn, joinList, t } from './i18n.js';
import { asArray, el, formatShortTime, formatValue, isObject } from './format.js';
import { state } from './store.js';

export const isSupplyKind = (kind) => kind === 'plant' || kind === 'tap';

// GB 5749-2022 items shown live or explained, when the parameter list
// does not name them: Chinese, English, unit.
const SUPPLY_ITEMS = {
  free_chlorine: ['游离氯', 'Free chlorine', 'mg/L'],
  turbidity: ['浑浊度', 'Turbidity', 'NTU'],
  ph: ['pH', 'pH', ''],
  total_coliforms: ['总大肠菌群', 'Total coliforms', 'MPN/100mL'],
  e_coli: ['大肠埃希氏菌', 'E. coli', 'MPN/100mL'],
  total_bacteria: ['菌落总数', 'Total bacteria', 'MPN/mL'],
  chloride: ['氯化物', 'Chloride', 'mg/L'],
  permanganate_index: ['高锰酸盐指数', 'Permanganate index', 'mg/L'],
  colour: ['色度', 'Colour', '度'],
};

/** Names learnt from laboratory results (code -> [zh, en, unit]), added by the drinking view. */
export const learntItems = new Map();

export function supplyItemName(code) {
  const known = learntItems.get(code) ?? SUPPLY_ITEMS[code];
  const param = state.paramByCode.get(code);
  if (isEn()) return known?.[1] || param?.name_en || String(code);
  return known?.[0] || param?.name_zh || String(code);
}

export function supplyItemUnit(code) {
  return (learntItems.get(code) ?? SUPPLY_ITEMS[code])?.[2] ?? state.paramByCode.get(code)?.unit ?? '';
}

const withUnit = (text, unit) => (unit && unit !== '1' ? `${text} ${unit}` : text);

/** A result as given: "0.03", "<0.002", "未检出", "无". */
export function supplyValueText(value) {
  if (typeof value === 'string') {
    if (value === 'not_detected') return t('supply.notDetected');
    if (value === 'detected') return t('supply.detected');
    return value;
  }
  if (!isObject(value)) return '—';
  if (value.measured != null) return formatValue(value.measured);
  if (isObject(value.below_detection)) return `<${formatValue(value.below_detection.limit)}`;
  if (value.observation != null) return value.observation === 'none' ? t('supply.none') : t('supply.observed');
  return '—';
}

/** The limit a result was judged by, at `point` (outlet or network). */
export function supplyLimitText(limit, point, unit = '') {
  if (limit === 'not_detected') return t('supply.mustNotDetect');
  if (limit === 'absent') return t('supply.none');
  if (!isObject(limit)) return '—';
  if (limit.max != null) return withUnit(`≤ ${formatValue(limit.max)}`, unit);
  if (isObject(limit.range)) return `${formatValue(limit.range.min)}–${formatValue(limit.range.max)}`;
  if (limit.guidance != null) return withUnit(t('supply.guidance', formatValue(limit.guidance)), unit);
  if (isObject(limit.disinfectant)) {
    const d = limit.disinfectant;
    const min = point === 'outlet' ? d.outlet_min : d.network_min;
    return withUnit(`≥ ${formatValue(min)}${isEn() ? ', ' : '，'}≤ ${formatValue(d.max)}`, unit);
  }
  return '—';
}

/** How far a failing result is from its limit, in words. */
export function exceedanceText(exceedance, unit = '') {
  if (!isObject(exceedance)) {
    if (exceedance === 'detected') return t('supply.exDetected');
    if (exceedance === 'observed') return t('supply.exObserved');
    return '';
  }
  if (exceedance.multiple != null) return t('supply.exMultiple', formatValue(exceedance.multiple));
  if (exceedance.below_minimum != null) return t('supply.exBelow', withUnit(formatValue(exceedance.below_minimum), unit));
  if (exceedance.outside_range != null) return t('supply.exOutside', formatValue(exceedance.outside_range));
  return '';
}

/** The verdict's failing items: [{ item, value, limit, exceedance }]. */
export function failingItems(verdict) {
  return asArray(verdict?.items)
    .filter((i) => isObject(i) && isObject(i.outcome) && isObject(i.outcome.fail))
    .map((i) => ({ item: i.item, value: i.value, limit: i.limit, exceedance: i.outcome.fail.exceedance }));
}

/** "GB 5749 合格" / "GB 5749 不合格：游离氯" / "暂无结果". */
export function supplyText(water) {
  const verdict = water?.report?.supply;
  if (!isObject(verdict)) return t('map.markerNone');
  if (verdict.compliant === true) return t('supply.ok');
  if (verdict.compliant === false) {
    return t('supply.fail', joinList([...new Set(failingItems(verdict).map((f) => supplyItemName(f.item)))]));
  }
  return t('supply.unknown');
}

export function supplyVerdict(station, water) {
  const verdict = isObject(water.report?.supply) ? water.report.supply : {};
  const ok = verdict.compliant;
  const badge = el(
    'p',
    { class: ok === true ? 'water-badge supply-ok' : ok === false ? 'water-badge supply-bad' : 'water-badge is-none', 'data-supply': String(ok ?? 'none') },
    el('span', { class: 'badge-label', text: 'GB 5749' }),
    ' ',
    el('span', { class: 'badge-value', text: ok === true ? t('supply.okShort') : ok === false ? t('supply.failShort') : '—' }),
  );
  const main = el(
    'div',
    { class: 'verdict-main' },
    el('p', { class: 'verdict-category' }, el('strong', { class: ok === true ? 'verdict-ok' : ok === false ? 'verdict-bad' : 'verdict-unknown', text: supplyText(water) })),
    el('p', { class: 'verdict-facts', text: t(station.kind === 'plant' ? 'supply.atOutlet' : 'supply.atNetwork') }),
  );
  return [el('div', { class: 'verdict' }, badge, main)];
}

/** Every judged item of a verdict as a table: item, value, limit, outcome. */
export function supplyTable(verdict, caption) {
  const point = verdict?.point;
  const tbody = el('tbody');
  for (const i of asArray(verdict?.items).filter(isObject)) {
    const unit = supplyItemUnit(i.item);
    const fail = isObject(i.outcome) && isObject(i.outcome.fail);
    const outcome = fail
      ? `${t('supply.failShort')} ${exceedanceText(i.outcome.fail.exceedance, unit)}`.trim()
      : i.outcome === 'pass'
        ? t('supply.okShort')
        : t('supply.notJudged');
    tbody.append(
      el(
        'tr',
        { class: fail ? 'is-over' : null, 'data-item': i.item },
        el('th', { scope: 'row', text: supplyItemName(i.item) }),
        el('td', { class: 'num-cell', text: withUnit(supplyValueText(i.value), unit) }),
        el('td', { class: 'num-cell', text: supplyLimitText(i.limit, point, unit) }),
        el('td', { class: fail ? 'verdict-bad' : null, text: outcome }),
      ),
    );
  }
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'why-table' },
      el('caption', { class: 'visually-hidden', text: caption }),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col', text: t('colItem') }),
          el('th', { scope: 'col', class: 'num-cell', text: t('colValue') }),
          el('th', { scope: 'col', class: 'num-cell', text: t('supply.colLimit') }),
          el('th', { scope: 'col', text: t('supply.colOutcome') }),
        ),
      ),
      tbody,
    ),
  );
}

export function supplyWhy(station, water) {
  const verdict = isObject(water.report?.supply) ? water.report.supply : {};
  const out = [];
  const explanation = isEn() ? verdict.explanation_en : verdict.explanation_zh;
  if (typeof explanation === 'string' && explanation) out.push(el('p', { class: 'why-lead', text: explanation }));
  out.push(supplyTable(verdict, t('supply.caption')));
  out.push(el('p', { class: 'why-basis', text: t('supply.basis', formatShortTime(water.observed_at)) }));
  return out;
}
