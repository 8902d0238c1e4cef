// The drinking-water view (#drinking, or #drinking/2026-Q3 for a quarter):
// every source, each plant's outlet and its network points, with the latest
// online verdict and the latest published laboratory sample (its date,
// whether it complies, which items failed, by how much, against which
// limit); which items were tested in which month of the quarter; what the
// key items mean, in plain words; and the quarterly reports. Loaded only
// when the view is opened, with its own texts, so the first page stays light.

import { isEn, pick, t, waterItemName } from './i18n.js';
import { asArray, el, formatShortTime, formatValue, isObject } from './format.js';
import { state } from './store.js';
import {
  exceedanceText,
  failingItems,
  learntItems,
  supplyItemName,
  supplyItemUnit,
  supplyLimitText,
  supplyText,
  supplyValueText,
} from './supply.js';

const TEXT = {
  'zh-CN': {
    title: '饮用水：从水源到龙头',
    intro:
      '上海的自来水取自长江和黄浦江上游的水源地，经水厂处理后通过管网送到用户。这里列出每个水源地、每座水厂的出厂水和它的管网水监测点：在线仪表的最新判定，以及最近一次经实验室检测并发布的结果。',
    reports: '季度报告（可打印）',
    report: (label) => `${label}报告`,
    labPeriod: (label, n) => `实验室数据：${label}，共 ${n} 个水样。`,
    labNone: (label) => `${label}暂无已发布的实验室检测结果。`,
    loading: '正在加载饮用水数据…',
    loadError: '暂时无法加载饮用水数据。',
    sources: '饮用水水源地',
    sourcesNote: '按 GB 3838-2002 评价（二级保护区Ⅲ类及集中式生活饮用水地表水源地补充项目）。',
    plants: '水厂出厂水与管网水',
    plantsNote: '按 GB 5749-2022《生活饮用水卫生标准》评价。',
    outlet: '出厂水',
    network: '管网水（末梢水）',
    online: '在线监测',
    onlineNone: '暂无在线数据',
    lab: '最近一次实验室检测',
    labNoneSite: '暂无已发布的检测结果',
    compliant: '合格',
    notCompliant: '不合格',
    notJudged: '无法判定',
    sourceOk: '达到水源地标准',
    sourceFail: '未达到水源地标准',
    failed: '不合格指标：',
    failure: (name, value, limit, by) => `${name} ${value}，限值 ${limit}${by ? ` ${by}` : ''}`,
    sampleOf: (date, id, lab) => `${date} 采样（样品 ${id}，${lab}）`,
    schedule: '哪些指标在何时检测',
    scheduleNote: '每格为当月检测该指标的水样数；“—”表示当月未检测。',
    scheduleCaption: (stage) => `${stage}：各月检测的指标`,
    colItem: '指标',
    month: (m) => `${m}月`,
    explain: '这些指标是什么意思',
    quarterFailures: (label) => `${label}不合格的检测结果`,
    noFailures: '本季度已发布的检测结果全部合格。',
    stage: { source: '水源水', outlet: '出厂水', network: '管网水' },
    plantWord: '水厂',
    points: (n) => `${n} 个管网监测点`,
  },
  en: {
    title: 'Drinking water, from source to tap',
    intro:
      "Shanghai's tap water is drawn from sources on the Yangtze and the upper Huangpu, treated at water plants and carried to homes through the network. Here is every source, every plant's outlet and its network points: the online instruments' latest verdict, and the latest laboratory result that was published.",
    reports: 'Quarterly reports (printable)',
    report: (label) => `Report for ${label}`,
    labPeriod: (label, n) => `Laboratory data: ${label}, ${n} samples.`,
    labNone: (label) => `No laboratory results were published for ${label}.`,
    loading: 'Loading drinking-water data…',
    loadError: 'The drinking-water data could not be loaded.',
    sources: 'Drinking-water sources',
    sourcesNote: 'Judged by GB 3838-2002 (class III of the second-level protection zone, and the supplementary items for drinking-water sources).',
    plants: 'Plant outlets and their networks',
    plantsNote: 'Judged by GB 5749-2022, Standards for drinking water quality.',
    outlet: 'Plant outlet',
    network: 'Network (tap) water',
    online: 'Online monitoring',
    onlineNone: 'no online data yet',
    lab: 'Latest laboratory sample',
    labNoneSite: 'no published result yet',
    compliant: 'compliant',
    notCompliant: 'not compliant',
    notJudged: 'cannot be judged',
    sourceOk: 'meets the source standard',
    sourceFail: 'does not meet the source standard',
    failed: 'Failing items:',
    failure: (name, value, limit, by) => `${name} ${value}, limit ${limit}${by ? ` ${by}` : ''}`,
    sampleOf: (date, id, lab) => `sampled ${date} (sample ${id}, ${lab})`,
    schedule: 'Which items were tested when',
    scheduleNote: 'Each cell is the number of samples in which the item was tested that month; “—”: not tested that month.',
    scheduleCaption: (stage) => `${stage}: items tested each month`,
    colItem: 'Item',
    month: (m) => new Date(Date.UTC(2000, m - 1, 15)).toLocaleString('en', { month: 'short', timeZone: 'UTC' }),
    explain: 'What these items mean',
    quarterFailures: (label) => `Results that failed in ${label}`,
    noFailures: 'Every result published for this quarter complied.',
    stage: { source: 'Source water', outlet: 'Plant outlets', network: 'Network water' },
    plantWord: 'Plant',
    points: (n) => `${n} network points`,
  },
};

/** Plain-language notes on the key items: [heading, text] per language. */
const EXPLAIN = {
  'zh-CN': [
    ['游离氯（余氯）', '水厂用氯消毒，消毒后留在水中的一小部分就是游离氯。它在输水途中继续抑制细菌生长。GB 5749 要求出厂水至少 0.3 mg/L、管网末梢至少 0.05 mg/L，最高 2 mg/L。管网里偏低，说明这段管道的持续消毒保护不足（常见于用水少、水流停滞的末端或老旧管道），需要冲洗管网或补充加氯并复测。自来水略有“漂白水”味正是余氯，煮沸后即散去。'],
    ['浑浊度', '反映水中悬浮颗粒的多少，单位 NTU。清澈的自来水一般在 0.1–0.5 NTU，限值 1 NTU。浑浊度升高可能来自处理不足或管道扰动；颗粒还会“掩护”微生物躲过消毒。'],
    ['总大肠菌群、大肠埃希氏菌：“未检出”', '这些细菌指示水是否受到粪便等污染。标准要求“不应检出”，所以合格结果写作“未检出”（每 100 mL 水样中没有发现）。一旦检出，即为不合格，需要立即复测和排查。'],
    ['氯化物与长江口咸潮', '青草沙、陈行、东风西沙水库位于长江口。枯水期海水沿江上溯（咸潮），取水口的氯化物会升高。水源地标准限值为 250 mg/L。超过时水库停止取水、动用库存“避咸蓄淡”，等咸潮退去。氯化物对健康影响不大，主要影响口感。'],
    ['“<0.002”是什么意思', '表示低于检测方法的检出限：实验室的方法最低能测到 0.002 mg/L，样品里的含量比这还低，但无法说出确切数值。这不是“零”，也不是超标；只要检出限低于限值，就判为合格。'],
  ],
  en: [
    ['Free chlorine (residual chlorine)', 'Plants disinfect with chlorine; the small amount left in the water afterwards is free chlorine. It keeps bacteria from growing on the way to the tap. GB 5749 asks for at least 0.3 mg/L leaving the plant and at least 0.05 mg/L at the far end of the network, and at most 2 mg/L. A low value in the network means that stretch of pipe has lost this protection (often at dead ends where water stands, or in old pipes); the supplier flushes the mains or adds chlorine and tests again. The faint “pool” smell of tap water is this residual; boiling drives it off.'],
    ['Turbidity', 'How cloudy the water is, from particles in it, in NTU. Clear tap water is usually 0.1–0.5 NTU; the limit is 1 NTU. A rise can come from incomplete treatment or disturbed pipes, and particles can shield microbes from the disinfectant.'],
    ['Total coliforms and E. coli: “not detected”', 'These bacteria show whether water has been contaminated, for instance by sewage. The standard says they must not be detected, so a compliant result reads “not detected” (none found in 100 mL). Any detection fails the sample and calls for re-sampling and an investigation at once.'],
    ['Chloride and salt tides in the Yangtze estuary', 'The Qingcaosha, Chenhang and Dongfeng Xisha reservoirs lie in the Yangtze estuary. In the dry season sea water pushes up the river (a salt tide) and chloride rises at the intakes. The source limit is 250 mg/L; above it the reservoirs stop drawing water and supply from storage until the tide recedes. Chloride matters little for health; it changes the taste.'],
    ['What “<0.002” means', 'Below the detection limit: the laboratory method can measure down to 0.002 mg/L and the sample held less than that, but no exact number can be given. It is not “zero” and not a failure: when the detection limit is below the limit, the result complies.'],
  ],
};

const tx = (key, ...args) => {
  const value = TEXT[state.lang]?.[key] ?? TEXT['zh-CN'][key];
  return typeof value === 'function' ? value(...args) : value;
};

const beijingDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
const dayOf = (iso) => {
  const t0 = Date.parse(iso);
  return Number.isNaN(t0) ? '—' : beijingDate.format(new Date(t0));
};

/** A quarter as { year, quarter }, its code and labels. */
const quarterOf = (day) => ({ year: Number(day.slice(0, 4)), quarter: Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1 });
const previousQuarter = (q) => (q.quarter === 1 ? { year: q.year - 1, quarter: 4 } : { year: q.year, quarter: q.quarter - 1 });
const quarterCode = (q) => `${q.year}-Q${q.quarter}`;
const parseQuarter = (code) => {
  const m = /^(\d{4})-Q([1-4])$/.exec(code ?? '');
  return m ? { year: Number(m[1]), quarter: Number(m[2]) } : null;
};
function quarterLabel(q) {
  if (isEn()) return `Q${q.quarter} ${q.year}`;
  return `${q.year}年第${['一', '二', '三', '四'][q.quarter - 1]}季度`;
}

/** What was loaded: the sites, and the samples of one quarter. */
const data = { sites: null, quarter: null, samples: [], error: false };
let loadedFor = null;

/**
 * Loads the sites and a quarter's samples: `wanted` (2026-Q3), or the
 * quarter of the newest published sample, or this quarter.
 */
export async function loadDrinking(fetchJson, wanted) {
  const key = wanted ?? 'latest';
  if (loadedFor === key && data.sites) return;
  data.error = false;
  try {
    const sites = asArray((await fetchJson('api/v1/drinking/sites'))?.sites).filter((s) => isObject(s) && typeof s.code === 'string');
    const newest = sites.map((s) => s.laboratory?.sampled_at).filter(Boolean).sort().pop();
    const quarter = parseQuarter(wanted) ?? quarterOf(newest ? dayOf(newest) : beijingDate.format(new Date()));
    const body = await fetchJson(`api/v1/drinking/samples?period=${quarterCode(quarter)}`);
    data.sites = sites;
    data.quarter = quarter;
    data.samples = asArray(body?.samples).filter(isObject);
    for (const s of data.samples) {
      for (const r of asArray(s.results)) {
        if (isObject(r) && !learntItems.has(r.item)) learntItems.set(r.item, [r.name_zh, r.name_en, r.unit]);
      }
    }
    loadedFor = key;
  } catch (err) {
    console.warn('envmon: the drinking-water data could not be loaded', err);
    data.error = true;
  }
}

// ------------------------------------------------------------ one site

function onlineLine(site) {
  const live = state.verdicts.get(site.code)?.water ?? site.online;
  const line = el('p', { class: 'drink-online' }, el('span', { class: 'drink-label', text: `${tx('online')}：` }));
  if (!isObject(live)) {
    line.append(el('span', { class: 'muted', text: tx('onlineNone') }));
    return line;
  }
  let text;
  let ok;
  if (site.kind === 'source') {
    ok = live.report?.source_compliance?.compliant ?? live.compliant;
    text = ok === true ? tx('sourceOk') : ok === false ? tx('sourceFail') : tx('notJudged');
  } else {
    ok = live.report?.supply?.compliant;
    text = supplyText(live);
  }
  line.append(
    el('strong', { class: ok === true ? 'verdict-ok' : ok === false ? 'verdict-bad' : null, 'data-online': String(ok ?? 'none'), text }),
    ' ',
    el('time', { datetime: live.observed_at, class: 'muted', text: formatShortTime(live.observed_at) }),
  );
  return line;
}

/** A sample's failing results from its stored results: item, value, limit, by how much. */
function resultFailures(sample) {
  const exceedances = new Map(failingItems(sample?.verdict?.supply).map((f) => [f.item, f]));
  return asArray(sample?.results)
    .filter((r) => isObject(r) && r.outcome === 'fail')
    .map((r) => {
      const unit = r.unit && r.unit !== '1' ? ` ${r.unit}` : '';
      const by = exceedances.has(r.item) ? exceedanceText(exceedances.get(r.item).exceedance, r.unit) : '';
      return { item: r.item, text: tx('failure', pick(r.name_zh, r.name_en).text, `${r.value_text}${unit}`, r.limit_text ?? '—', by) };
    });
}

/** The failing results of a site's latest sample, in words. */
function failureTexts(site, sample) {
  const lab = site.laboratory;
  const exceedances = new Map(failingItems(lab?.verdict?.supply).map((f) => [f.item, f]));
  const fromResults = resultFailures(sample);
  if (fromResults.length) return fromResults;
  // The sample is older than the quarter shown: from its verdict alone.
  if (exceedances.size) {
    return [...exceedances.values()].map((f) => {
      const unit = supplyItemUnit(f.item);
      return {
        item: f.item,
        text: tx('failure', supplyItemName(f.item), `${supplyValueText(f.value)} ${unit}`.trim(), supplyLimitText(f.limit, lab.verdict.supply.point, unit), exceedanceText(f.exceedance, unit)),
      };
    });
  }
  return asArray(lab?.verdict?.surface?.source?.failures)
    .filter(isObject)
    .map((f) => {
      const limit = f.limit?.at_most != null ? `≤ ${formatValue(f.limit.at_most)}` : f.limit?.at_least != null ? `≥ ${formatValue(f.limit.at_least)}` : '—';
      return { item: f.item, text: tx('failure', waterItemName(f.item), formatValue(f.value), limit, '') };
    });
}

function labBlock(site) {
  const lab = site.laboratory;
  const box = el('div', { class: 'drink-lab' }, el('p', { class: 'drink-label', text: tx('lab') }));
  if (!isObject(lab)) {
    box.append(el('p', { class: 'muted', text: tx('labNoneSite') }));
    return box;
  }
  const ok = lab.compliant;
  box.append(
    el(
      'p',
      {},
      el('strong', {
        class: ok === true ? 'verdict-ok' : ok === false ? 'verdict-bad' : null,
        'data-lab': String(ok ?? 'none'),
        text: ok === true ? tx('compliant') : ok === false ? tx('notCompliant') : tx('notJudged'),
      }),
      ' · ',
      el('span', {}, el('time', { datetime: dayOf(lab.sampled_at), text: tx('sampleOf', dayOf(lab.sampled_at), lab.sample_id ?? '—', lab.laboratory ?? '—') })),
    ),
  );
  if (ok === false) {
    const sample = data.samples.find((s) => s.station === site.code && s.sample_id === lab.sample_id);
    const list = el('ul', { class: 'drink-failures' });
    for (const f of failureTexts(site, sample)) list.append(el('li', { 'data-item': f.item, text: f.text }));
    box.append(el('p', { class: 'drink-label', text: tx('failed') }), list);
  }
  return box;
}

function siteCard(site, heading = 'h4') {
  const name = pick(site.name_zh, site.name_en);
  const district = pick(site.district_zh, site.district_en);
  return el(
    'article',
    { class: `drink-site drink-${site.kind}`, 'data-site': site.code },
    el(heading, { class: 'drink-name' }, el('a', { href: `#station/${encodeURIComponent(site.code)}`, lang: name.lang, text: name.text })),
    el('p', { class: 'drink-meta muted' }, el('span', { text: t(`kindOne.${site.kind}`) }), ' · ', el('span', { lang: district.lang, text: district.text })),
    onlineLine(site),
    labBlock(site),
  );
}

/** Every failing sample of the quarter shown, newest first. */
function failuresSection(label) {
  const failing = data.samples.filter((s) => s.compliant === false).reverse();
  const list = el('ul', { class: 'drink-failures drink-quarter-failures' });
  for (const s of failing) {
    const name = pick(s.name_zh, s.name_en);
    for (const f of resultFailures(s)) {
      list.append(
        el(
          'li',
          { 'data-site': s.station, 'data-item': f.item, 'data-sample': s.sample_id },
          el('a', { href: `#station/${encodeURIComponent(s.station)}`, lang: name.lang, text: name.text }),
          ` · ${t(`kindOne.${s.kind}`)} · `,
          el('time', { datetime: dayOf(s.sampled_at), text: dayOf(s.sampled_at) }),
          `${isEn() ? ': ' : '：'}${f.text}`,
        ),
      );
    }
  }
  return el(
    'section',
    { class: 'drink-stage', 'aria-labelledby': 'drink-quarter-failures' },
    el('h3', { id: 'drink-quarter-failures', text: tx('quarterFailures', label) }),
    list.childElementCount ? list : el('p', { class: 'muted', text: tx('noFailures') }),
  );
}

// ------------------------------------------------------------ schedule

const STAGE_OF = { source: 'source', plant: 'outlet', tap: 'network' };

function scheduleTable(stage) {
  const first = (data.quarter.quarter - 1) * 3 + 1;
  const months = [first, first + 1, first + 2];
  const counts = new Map();
  for (const s of data.samples) {
    if (STAGE_OF[s.kind] !== stage) continue;
    const month = Number(dayOf(s.sampled_at).slice(5, 7));
    for (const r of asArray(s.results)) {
      if (!isObject(r)) continue;
      if (!counts.has(r.item)) counts.set(r.item, { name: pick(r.name_zh, r.name_en), months: new Map() });
      const row = counts.get(r.item).months;
      row.set(month, (row.get(month) ?? 0) + 1);
    }
  }
  if (!counts.size) return null;
  const stageName = tx('stage')[stage];
  const tbody = el('tbody');
  for (const [item, row] of counts) {
    tbody.append(
      el(
        'tr',
        { 'data-item': item },
        el('th', { scope: 'row', lang: row.name.lang, text: row.name.text }),
        ...months.map((m) => el('td', { class: 'num-cell', text: row.months.get(m) ? String(row.months.get(m)) : '—' })),
      ),
    );
  }
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'why-table drink-schedule', 'data-stage': stage },
      el('caption', { text: tx('scheduleCaption', stageName) }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: tx('colItem') }), ...months.map((m) => el('th', { scope: 'col', class: 'num-cell', text: tx('month', m) })))),
      tbody,
    ),
  );
}

// ------------------------------------------------------------ the view

function reportLinks() {
  const current = quarterOf(beijingDate.format(new Date()));
  const quarters = [current, previousQuarter(current)];
  if (data.quarter && !quarters.some((q) => quarterCode(q) === quarterCode(data.quarter))) quarters.push(data.quarter);
  const lang = isEn() ? 'en' : 'zh';
  const list = el('ul', { class: 'drink-reports' });
  for (const q of quarters) {
    list.append(el('li', {}, el('a', { href: `drinking/report/${quarterCode(q)}?lang=${lang}`, 'data-report': quarterCode(q), text: tx('report', quarterLabel(q)) })));
  }
  return el('nav', { class: 'drink-report-nav', 'aria-label': tx('reports') }, el('h3', { text: tx('reports') }), list);
}

/** A site's live state changed: its online line, if the view shows it. */
export function updateDrinkingSite(code) {
  const site = data.sites?.find((s) => s.code === code);
  const line = document.querySelector(`#drinking [data-site="${CSS.escape(code)}"] .drink-online`);
  if (site && line) line.replaceWith(onlineLine(site));
}

/** Draws the view into `host` (the #drinking section). */
export function renderDrinking(host) {
  const head = [el('h2', { id: 'drinking-title', class: 'view-title', text: tx('title') }), el('p', { class: 'drink-intro', text: tx('intro') })];
  if (data.error || !data.sites) {
    host.replaceChildren(...head, el('p', { class: data.error ? 'notice' : 'loading', role: data.error ? 'alert' : null, text: tx(data.error ? 'loadError' : 'loading') }));
    return;
  }
  const sites = data.sites;
  const label = quarterLabel(data.quarter);
  const sources = el(
    'section',
    { class: 'drink-stage', 'aria-labelledby': 'drink-sources' },
    el('h3', { id: 'drink-sources', text: tx('sources') }),
    el('p', { class: 'muted', text: tx('sourcesNote') }),
    el('div', { class: 'drink-grid' }, ...sites.filter((s) => s.kind === 'source').map((s) => siteCard(s))),
  );
  const plants = el(
    'section',
    { class: 'drink-stage', 'aria-labelledby': 'drink-plants' },
    el('h3', { id: 'drink-plants', text: tx('plants') }),
    el('p', { class: 'muted', text: tx('plantsNote') }),
  );
  for (const plant of sites.filter((s) => s.kind === 'plant')) {
    const taps = sites.filter((s) => s.kind === 'tap' && s.plant === plant.code);
    const name = pick(plant.name_zh, plant.name_en);
    plants.append(
      el(
        'section',
        { class: 'drink-plant', 'data-plant': plant.code, 'aria-label': name.text },
        el('h4', { class: 'drink-plant-name', lang: name.lang, text: name.text }),
        el('p', { class: 'drink-label', text: tx('outlet') }),
        el('div', { class: 'drink-grid' }, siteCard(plant, 'h5')),
        el('p', { class: 'drink-label', text: `${tx('network')} · ${tx('points', taps.length)}` }),
        el('div', { class: 'drink-grid' }, ...taps.map((s) => siteCard(s, 'h5'))),
      ),
    );
  }
  const schedule = el(
    'section',
    { class: 'drink-stage', 'aria-labelledby': 'drink-schedule' },
    el('h3', { id: 'drink-schedule', text: tx('schedule') }),
    el('p', { class: 'muted', text: data.samples.length ? `${tx('labPeriod', label, data.samples.length)} ${tx('scheduleNote')}` : tx('labNone', label) }),
    ...['source', 'outlet', 'network'].map(scheduleTable).filter(Boolean),
  );
  const explain = el(
    'section',
    { class: 'drink-stage drink-explain', 'aria-labelledby': 'drink-explain' },
    el('h3', { id: 'drink-explain', text: tx('explain') }),
    el('dl', {}, ...EXPLAIN[state.lang === 'en' ? 'en' : 'zh-CN'].flatMap(([term, text]) => [el('dt', { text: term }), el('dd', { text })])),
  );
  host.replaceChildren(...head, reportLinks(), failuresSection(label), sources, plants, schedule, explain);
}
