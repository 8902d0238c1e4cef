// The official verdicts in words: the HJ 633 AQI of an air station and the
// GB 3838-2002 class of a water site, each with the reasons behind it.

import {
  AQI_LEVELS,
  hasString,
  isEn,
  joinList,
  pick,
  pollutantName,
  t,
  waterClassName,
  waterClassShort,
  waterItemName,
  waterItemUnit,
} from './i18n.js';
import {
  asArray,
  classNumber,
  el,
  formatMultiple,
  formatShortTime,
  formatValue,
  isObject,
  paintLevel,
  withUnit,
} from './format.js';

/** The level texts of an AQI, from the report or the fallback table. */
export function aqiLevelInfo(aqi) {
  const level = classNumber(aqi?.level) ?? classNumber(aqi?.report?.level?.level);
  if (level == null) return null;
  const fromReport = isObject(aqi?.report?.level) ? aqi.report.level : {};
  const fallback = AQI_LEVELS[level];
  return {
    level,
    category: pick(fromReport.category_zh || fallback.zh, fromReport.category_en || fallback.en),
    levelZh: fromReport.level_zh || '',
    hex: /^#[0-9a-f]{6}$/i.test(fromReport.hex ?? '') ? fromReport.hex : fallback.hex,
    advice: pick(fromReport.advice_zh, fromReport.advice_en),
    health: pick(fromReport.health_effects_zh, fromReport.health_effects_en),
  };
}


export function airVerdict(aqi) {
  const report = isObject(aqi.report) ? aqi.report : {};
  const value = Number.isInteger(aqi.aqi) ? aqi.aqi : null;
  const info = value == null ? null : aqiLevelInfo(aqi);
  const hour = formatShortTime(aqi.hour_end);

  const badge = el(
    'p',
    {
      class: value == null ? 'aqi-badge is-na' : 'aqi-badge',
      'data-aqi': value ?? '',
      'data-level': info?.level ?? null,
    },
    el('span', { class: 'badge-label', text: t('aqiLabel') }),
    ' ',
    el('span', { class: 'badge-value', text: value == null ? t('aqiNa') : String(value) }),
  );
  if (info) paintLevel(badge, info.hex);

  const main = el('div', { class: 'verdict-main' });
  const details = el('p', { class: 'verdict-facts' });
  if (value == null) {
    main.append(el('p', { class: 'verdict-category', text: t('aqiNaLong') }));
    main.append(el('p', { class: 'verdict-reason', text: naReason(report.not_published, true) }));
  } else {
    const category = el('p', { class: 'verdict-category' });
    if (info) {
      category.append(el('strong', { lang: info.category.lang, text: info.category.text }));
      if (!isEn() && info.levelZh) category.append(' ', el('span', { class: 'verdict-level', text: `（${info.levelZh}）` }));
      if (isEn()) category.append(' ', el('span', { class: 'verdict-level', text: `(level ${info.level})` }));
    }
    main.append(category);
    const primary = asArray(aqi.primary).length ? asArray(aqi.primary) : asArray(report.primary);
    details.append(
      el('span', {
        text: primary.length ? t('primary', joinList(primary.map(pollutantName))) : t('noPrimary'),
      }),
    );
  }
  if (hour) {
    details.append(
      el(
        'span',
        {},
        el('time', { datetime: aqi.hour_end, text: t('hourOf', hour) }),
      ),
    );
  }
  if (details.childElementCount) main.append(details);

  const out = [el('div', { class: 'verdict' }, badge, main)];
  if (info?.advice.text) {
    out.push(el('p', { class: 'verdict-advice', lang: info.advice.lang, text: info.advice.text }));
  }
  return out;
}

/** Why an AQI is NA (envmon_core::aqi::report NA_*), in words. */
function naReason(text, short = false) {
  if (typeof text !== 'string' || text === '' || /5\.3/.test(text)) return t(short ? 'na.short' : 'na.missing');
  if (/no pollutant has a valid/i.test(text)) return t('na.nodata');
  return text;
}

export function waterVerdict(station, water) {
  const report = isObject(water.report) ? water.report : {};
  const cls = classNumber(water.class) ?? classNumber(report.class);
  const target = classNumber(report.target) ?? classNumber(Number(station.target_class));
  const meets = typeof water.meets_target === 'boolean' ? water.meets_target : null;

  const badge = el(
    'p',
    {
      class: cls == null ? 'water-badge is-none' : 'water-badge',
      'data-water-class': cls ?? null,
    },
    el('span', { class: 'badge-label', text: t('waterLabel') }),
    ' ',
    el('span', {
      class: cls === 6 ? 'badge-value is-long' : 'badge-value',
      text: cls == null ? t('noWaterClass') : t('waterClass', cls),
    }),
  );

  const main = el('div', { class: 'verdict-main' });
  if (target != null) {
    const line = el('p', { class: 'verdict-category' });
    line.append(el('span', { text: `${t('target', target)} · ` }));
    let verdictText = t('meetsUnknown');
    let verdictClass = 'verdict-unknown';
    if (cls != null && meets === true) {
      verdictText = t('meets');
      verdictClass = 'verdict-ok';
    } else if (cls != null && meets === false) {
      verdictText = t('notMeets');
      verdictClass = 'verdict-bad';
    }
    line.append(el('strong', { class: verdictClass, text: verdictText }));
    main.append(line);
  }
  const determining = asArray(report.determining);
  if (cls != null && determining.length) {
    main.append(
      el('p', { class: 'verdict-facts' }, el('span', { text: t('determinedBy', joinList(determining.map(waterItemName))) })),
    );
  }

  const out = [el('div', { class: 'verdict' }, badge, main)];
  const compliance = isObject(report.source_compliance) ? report.source_compliance : null;
  if (station.kind === 'source' && compliance) {
    const failures = asArray(compliance.failures);
    const required = classNumber(compliance.required);
    const basis = required ? el('span', { class: 'verdict-level', text: t('sourceRequired', required) }) : null;
    let node;
    if (compliance.compliant === true) {
      node = el('p', { class: 'verdict-source' }, el('strong', { class: 'verdict-ok', text: t('sourceOk') }), basis);
    } else if (compliance.compliant === false) {
      const names = [...new Set(failures.map((f) => f?.item).filter(Boolean))].map(waterItemName);
      node = el(
        'p',
        { class: 'verdict-source' },
        el('strong', { class: 'verdict-bad', text: t('sourceFail') }),
        names.length ? t('sourceFailItems', joinList(names)) : null,
        basis,
      );
    } else {
      node = el('p', { class: 'verdict-source', text: t('sourceUnknown') });
    }
    out.push(node);
  }
  return out;
}

function note(text, cls = 'why-note', lang = null) {
  return el('p', { class: cls, lang, text });
}

export function airWhy(aqi) {
  const report = isObject(aqi.report) ? aqi.report : {};
  const value = Number.isInteger(aqi.aqi) ? aqi.aqi : null;
  const info = value == null ? null : aqiLevelInfo(aqi);
  const subs = asArray(report.sub_indices).filter(isObject);
  const primary = new Set(asArray(aqi.primary).length ? aqi.primary : asArray(report.primary));
  const out = [];

  if (value == null) {
    out.push(note(naReason(report.not_published), 'why-lead'));
    out.push(note(t('whyAirNa', Number.isInteger(report.computed_aqi) ? report.computed_aqi : null)));
  } else if (info) {
    const cat = info.category.text;
    out.push(
      note(
        primary.size
          ? t('whyAirLead', value, joinList([...primary].map(pollutantName)), cat)
          : t('whyAirLeadLow', value, cat),
        'why-lead',
      ),
    );
  }

  if (subs.length) {
    const tbody = el('tbody');
    for (const s of subs) {
      const isPrimary = primary.has(s.pollutant);
      const name = el('th', { scope: 'row' }, pollutantName(s.pollutant));
      if (isPrimary) name.append(' ', el('span', { class: 'tag', text: t('primaryTag') }));
      tbody.append(
        el(
          'tr',
          { class: isPrimary ? 'is-primary' : null },
          name,
          el('td', { class: 'num-cell', text: withUnit(s.concentration, s.unit) }),
          el('td', { class: 'num-cell', text: Number.isFinite(Number(s.iaqi)) ? String(s.iaqi) : '—' }),
        ),
      );
    }
    out.push(
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'why-table' },
          el('caption', { class: 'visually-hidden', text: t('airTableCaption') }),
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { scope: 'col', text: t('colPollutant') }),
              el('th', { scope: 'col', class: 'num-cell', text: t('colConcentration') }),
              el('th', { scope: 'col', class: 'num-cell', text: t('colIaqi') }),
            ),
          ),
          tbody,
        ),
      ),
    );

    // Averaging periods, and PM indexed against another period's breakpoints.
    const avgs = [...new Set(subs.map((s) => s.averaging).filter(Boolean))];
    if (avgs.length === 1 && hasString(`avg.${avgs[0]}`)) {
      out.push(note(t('averagingNote', t(`avg.${avgs[0]}`))));
    }
    const crossed = new Map();
    for (const s of subs) {
      const m = /_(1h|8h|24h)$/.exec(String(s.breakpoints ?? ''));
      if (m && s.averaging && m[1] !== s.averaging) {
        if (!crossed.has(m[1])) crossed.set(m[1], []);
        crossed.get(m[1]).push(pollutantName(s.pollutant));
      }
    }
    for (const [avg, names] of crossed) {
      out.push(note(t('pmBreakpointNote', joinList(names), t(`avg.${avg}`))));
    }
    for (const s of subs) {
      if (s.special_case) {
        const special = specialCase(s.special_case);
        out.push(note(special.text, 'why-note', special.lang));
      }
    }
  }

  const missing = asArray(report.missing).filter(isObject);
  if (missing.length) {
    const list = missing.map((m) =>
      hasString(`avg.${m.averaging}`)
        ? t('missingItem', pollutantName(m.pollutant), t(`avg.${m.averaging}`))
        : pollutantName(m.pollutant),
    );
    out.push(note(t('missing', joinList(list)), 'why-note why-missing'));
  }
  const exceeding = asArray(report.exceeding);
  if (exceeding.length) out.push(note(t('exceeding', joinList(exceeding.map(pollutantName)))));
  for (const g of asArray(report.sensitive_groups).filter(isObject)) {
    const groups = pick(asArray(g.groups_zh).join('、'), asArray(g.groups_en).join(', '));
    if (groups.text) out.push(note(t('sensitive', pollutantName(g.pollutant), groups.text), 'why-note', groups.lang));
  }
  if (info?.health.text) out.push(note(t('health', info.health.text), 'why-note', info.health.lang));

  const edition = aqi.edition || (report.edition === 'hj633_2012' ? 'HJ 633-2012' : 'HJ 633-2026');
  out.push(note(t('edition', edition, formatShortTime(aqi.hour_end)), 'why-basis'));
  return out;
}

/** The server's special-case notes (envmon_core::aqi::iaqi NOTE_*) in words. */
function specialCase(text) {
  const s = String(text);
  let key = null;
  if (/IAQI 500/i.test(s) || /capped at 500/i.test(s)) key = 'special.cap500';
  else if (/2026/.test(s) && /SO2/.test(s)) key = 'special.so2_2026';
  else if (/2026/.test(s) && /O3/.test(s)) key = 'special.o3_2026';
  else if (/2012/.test(s) && /SO2/.test(s)) key = 'special.so2_2012';
  else if (/2012/.test(s) && /O3/.test(s)) key = 'special.o3_2012';
  return key ? { text: t(key), lang: null } : { text: s, lang: isEn() ? null : 'en' };
}

function formatLimit(limit) {
  if (!isObject(limit)) return '—';
  if (limit.at_most != null) return `≤ ${formatValue(limit.at_most)}`;
  if (limit.at_least != null) return `≥ ${formatValue(limit.at_least)}`;
  if (Array.isArray(limit.within) && limit.within.length === 2) {
    return `${formatValue(limit.within[0])}–${formatValue(limit.within[1])}`;
  }
  return '—';
}

function formatExceedance(exceedance) {
  if (isObject(exceedance) && exceedance.multiple != null) return t('over', formatMultiple(exceedance.multiple));
  return t('overNa');
}

export function waterWhy(station, water) {
  const report = isObject(water.report) ? water.report : {};
  const cls = classNumber(water.class) ?? classNumber(report.class);
  const target = classNumber(report.target) ?? classNumber(Number(station.target_class));
  const meets = typeof water.meets_target === 'boolean' ? water.meets_target : null;
  const items = asArray(report.items).filter(isObject);
  const determining = asArray(report.determining);
  const out = [];

  if (cls != null) {
    const values = determining.map((code) => {
      const item = items.find((i) => i.item === code);
      return item
        ? `${waterItemName(code)} ${withUnit(item.value, waterItemUnit(code))}`
        : waterItemName(code);
    });
    let lead = t('whyWaterLead', joinList(values), waterClassName(cls));
    if (target != null) lead += `${isEn() ? ' ' : ''}${t('whyWaterTarget', target, meets)}`;
    out.push(note(lead, 'why-lead'));
  } else {
    out.push(note(t('whyWaterNone'), 'why-lead'));
  }

  if (items.length) {
    const tbody = el('tbody');
    let anyNotCounted = false;
    let anyExceedance = false;
    for (const item of items) {
      const over = item.exceeds_target === true;
      const notCounted = item.counted === false;
      anyNotCounted ||= notCounted;
      const nameCell = el('th', { scope: 'row' }, waterItemName(item.item));
      if (determining.includes(item.item)) nameCell.append(' ', el('span', { class: 'tag', text: t('decidesTag') }));
      const classCell = el('td', { class: 'class-cell' }, waterClassShort(classNumber(item.class)));
      if (notCounted) {
        classCell.append(el('span', { class: 'mark', 'aria-hidden': 'true', text: '*' }));
        classCell.append(el('span', { class: 'visually-hidden', text: `（${t('notCounted')}）` }));
      }
      const limitCell = el('td', { class: 'num-cell' }, formatLimit(item.target_limit));
      if (over) {
        anyExceedance ||= isObject(item.exceedance);
        limitCell.append(el('span', { class: 'over', text: formatExceedance(item.exceedance) }));
      }
      tbody.append(
        el(
          'tr',
          { class: over ? 'is-over' : null },
          nameCell,
          el('td', { class: 'num-cell', text: withUnit(item.value, waterItemUnit(item.item)) }),
          classCell,
          limitCell,
        ),
      );
    }
    out.push(
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'why-table why-water' },
          el('caption', { class: 'visually-hidden', text: t('waterTableCaption') }),
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { scope: 'col', text: t('colItem') }),
              el('th', { scope: 'col', class: 'num-cell', text: t('colValue') }),
              el('th', { scope: 'col', class: 'class-cell', text: t('colClass') }),
              el('th', { scope: 'col', class: 'num-cell', text: target != null ? t('colLimit', target) : '' }),
            ),
          ),
          tbody,
        ),
      ),
    );
    if (anyNotCounted) out.push(note(`* ${t('notCounted')}`));
    if (anyExceedance) out.push(note(t('exceedanceNote')));
  }
  const invalid = asArray(report.invalid);
  if (invalid.length) out.push(note(t('invalid', joinList(invalid.map(waterItemName)))));

  const compliance = isObject(report.source_compliance) ? report.source_compliance : null;
  if (station.kind === 'source' && compliance) {
    const required = classNumber(compliance.required) ?? 3;
    const box = el('div', { class: 'why-source' });
    box.append(el('h4', { text: t('sourceHead') }));
    const assessed = asArray(compliance.assessed).length;
    const ok = typeof compliance.compliant === 'boolean' ? compliance.compliant : null;
    box.append(
      el(
        'p',
        { class: 'why-note' },
        `${t('sourceBasis', required, assessed)}${isEn() ? ' ' : ''}`,
        el('strong', { class: ok === true ? 'verdict-ok' : ok === false ? 'verdict-bad' : null, text: t('sourceVerdict', ok) }),
      ),
    );
    const failures = asArray(compliance.failures).filter(isObject);
    if (failures.length) {
      const list = el('ul', { class: 'why-failures' });
      for (const f of failures) {
        const tbl = t('sourceTable', f.table === 'supplementary' ? 2 : 1, required);
        const over = f.exceedance != null ? formatExceedance(f.exceedance) : '';
        list.append(
          el('li', {
            text: t(
              'sourceFailure',
              waterItemName(f.item),
              withUnit(f.value, waterItemUnit(f.item)),
              formatLimit(f.limit),
              tbl,
              over,
            ),
          }),
        );
      }
      box.append(list);
    }
    out.push(box);
  }

  if (isEn()) {
    const texts = [report.explanation, compliance?.explanation].filter((s) => typeof s === 'string' && s);
    if (texts.length) {
      out.push(
        el(
          'div',
          { class: 'why-server' },
          el('h4', { text: t('serverText') }),
          ...texts.map((s) => note(s, 'why-note')),
        ),
      );
    }
  }
  out.push(note(t('waterBasis', formatShortTime(water.observed_at)), 'why-basis'));
  return out;
}
