// envmon public dashboard: station list with live readings and the official
// verdicts (HJ 633 AQI for air, GB 3838-2002 class for water), each with the
// reasons behind it. Plain ES module, no dependencies, no build step.

const LANG_KEY = 'envmon.lang';
const LANGS = ['zh-CN', 'en'];
const KINDS = ['air', 'river', 'source'];
const TIME_ZONE = 'Asia/Shanghai';
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 15000;
const META_RETRY_MAX_MS = 30000;
const HIGHLIGHT_MS = 1600;
/** A station whose latest reading is older than this is shown as stale. */
const STALE_AFTER_MS = 2 * 60 * 60 * 1000;
/** How often staleness is re-checked while nothing arrives. */
const CLOCK_TICK_MS = 60 * 1000;

const ROMAN = ['', 'I', 'II', 'III', 'IV', 'V'];
// GB 3838-2002 prints its classes with these Roman numeral characters.
const ROMAN_ZH = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ'];

const STRINGS = {
  'zh-CN': {
    pageTitle: '上海环境质量实时数据',
    description: '上海市空气与水环境质量实时监测数据',
    title: '上海环境质量实时数据',
    tagline: '空气与地表水自动监测站最新观测值，实时更新',
    skip: '跳到主要内容',
    navLabel: '站点类别',
    langLabel: '语言 / Language',
    connecting: '连接中…',
    open: '实时',
    closed: '正在重连…',
    loading: '正在加载站点信息…',
    loadError: '暂时无法加载站点信息，正在重试…',
    'kind.air': '空气自动监测站',
    'kind.river': '地表水断面',
    'kind.source': '饮用水水源地',
    stationCount: (n) => `${n} 个站点`,
    noStations: '暂无站点',
    noData: '暂无数据',
    stationCode: '站点编码',
    observedAt: '观测时间',
    timeSuffix: '（北京时间）',
    target: (c) => `目标 ${waterClassName(c)}`,
    'waterType.river': '河流',
    'waterType.lake': '湖库',
    flagUnknown: (code) => `标记：${code}`,
    footTime: '时间均为北京时间（UTC+8）。',
    footData: '数据为自动监测站实时结果，未经人工审核，仅供参考。',
    footColors:
      'AQI 颜色为 HJ 633 规定的级别颜色；水质类别的颜色为本站自选的示意色，并非标准规定。',
    listSep: '、',
    // overview
    'overview.title': '当前概况',
    'overview.air': '空气质量',
    'overview.water': '地表水水质',
    'overview.airHint': (n) => `按 AQI 级别，${n} 个站点`,
    'overview.waterHint': (n) => `按水质类别，${n} 个断面及水源地`,
    'overview.na': '暂不发布',
    'overview.stale': '数据过时',
    'overview.none': '暂无评价',
    'overview.meets': (m, n) => `达到目标类别 ${m} / ${n}`,
    'overview.chipsAir': '各 AQI 级别的站点数',
    'overview.chipsWater': '各水质类别的站点数',
    // stale
    stale: '数据已过时',
    staleSince: (time) => `最近一次数据为 ${time}，已超过 2 小时。`,
    // AQI verdict
    aqiLabel: 'AQI',
    aqiNa: '暂不发布',
    aqiNaLong: 'AQI 暂不发布',
    primary: (names) => `首要污染物 ${names}`,
    noPrimary: '无首要污染物',
    hourOf: (time) => `${time} 时段`,
    // water verdict
    waterLabel: '水质',
    waterClass: (c) => waterClassName(c),
    meets: '达标',
    notMeets: '未达标',
    meetsUnknown: '无法判断',
    determinedBy: (names) => `定类因子 ${names}`,
    noWaterClass: '暂无法定类',
    sourceOk: '饮用水源地达标',
    sourceFail: '饮用水源地不达标',
    sourceRequired: (c) => `（按${waterClassName(c)}评价）`,
    sourceUnknown: '饮用水源地达标情况暂无法评价',
    sourceFailItems: (names) => `：${names}`,
    // why
    why: '为什么是这个结果？',
    whyAirLead: (aqi, who, cat) =>
      `AQI 取各污染物空气质量分指数（IAQI）中的最大值：${who} 的分指数为 ${aqi}，因此 AQI 为 ${aqi}，属于“${cat}”。`,
    whyAirLeadLow: (aqi, cat) =>
      `AQI 取各污染物空气质量分指数（IAQI）中的最大值，为 ${aqi}，属于“${cat}”；AQI 不超过 50 时不设首要污染物。`,
    whyAirNa: (computed) =>
      computed == null
        ? '没有可用于计算的污染物浓度。'
        : `按已有污染物计算的 AQI 为 ${computed}，但依规定本时段 AQI 不予发布。`,
    colPollutant: '污染物',
    colConcentration: '浓度',
    colIaqi: '分指数 IAQI',
    airTableCaption: '各污染物浓度与空气质量分指数',
    primaryTag: '首要',
    averagingNote: (avg) => `浓度为 ${avg}值。`,
    pmBreakpointNote: (names, avg) => `${names} 的浓度按 ${avg}浓度限值计算分指数（实时报做法）。`,
    missing: (list) => `缺测：${list}。`,
    exceeding: (list) => `超标污染物：${list}。`,
    sensitive: (who, groups) => `对 ${who} 敏感的人群：${groups}。`,
    health: (text) => `对健康影响：${text}。`,
    edition: (ed, time) => `依据 ${ed}，${time} 时段（北京时间）。`,
    'avg.1h': '1 小时平均',
    'avg.8h': '8 小时平均',
    'avg.24h': '24 小时平均',
    'na.missing':
      '有污染物缺测，且由其余污染物计算的 AQI 不超过 100。按 HJ 633-2026 第 5.3 条，此时 AQI、级别、类别和首要污染物均发布为 NA（暂不发布）。',
    'na.nodata': '没有任何污染物的有效浓度。',
    'na.short': '有污染物缺测，且其余污染物计算的 AQI 不超过 100，按 HJ 633-2026 第 5.3 条暂不发布。',
    'special.so2_2026': 'SO₂ 1 小时平均浓度高于 800 µg/m³，分指数按 200 计（HJ 633-2026 表 3 注 b）。',
    'special.o3_2026': 'O₃ 8 小时平均浓度高于 800 µg/m³，分指数按 300 计（HJ 633-2026 表 3 注 c）。',
    'special.so2_2012': 'SO₂ 1 小时平均浓度高于 800 µg/m³，不按 1 小时浓度计算分指数，改用 24 小时平均浓度（HJ 633-2012 表 1 注 2）。',
    'special.o3_2012': 'O₃ 8 小时平均浓度高于 800 µg/m³，不按 8 小时浓度计算分指数，改用 1 小时平均浓度（HJ 633-2012 表 1 注 3）。',
    'special.cap500': '浓度超过分指数 500 对应的限值，HJ 633 未作规定，分指数按 500 计（与国家发布平台做法一致）。',
    whyWaterLead: (names, cls) =>
      `按 GB 3838-2002 单因子评价法，水质类别取参与定类各项目中最差的类别：${names} 为${cls}，因此本站水质为${cls}。`,
    whyWaterNone: '没有参与定类的有效监测项目，暂无法确定水质类别。',
    whyWaterTarget: (c, meets) =>
      `目标为${waterClassName(c)}，${meets === true ? '达标' : meets === false ? '未达标' : '无法判断是否达标'}。`,
    missingItem: (name, avg) => `${name}（${avg}）`,
    decidesTag: '定类',
    sourceVerdict: (ok) => (ok === true ? '达标' : ok === false ? '不达标' : '无法评价'),
    colItem: '项目',
    colValue: '监测值',
    colClass: '类别',
    colLimit: (c) => `${waterClassName(c)}限值`,
    waterTableCaption: '各项目监测值、类别与目标类别限值',
    over: (m) => `超标 ${m} 倍`,
    overNa: '不达标',
    notCounted: '不参与定类，仅作参考',
    exceedanceNote: '超标倍数 =（监测值 − 标准限值）÷ 标准限值。',
    invalid: (list) => `无效数据，未参与评价：${list}。`,
    sourceHead: '饮用水水源地评价',
    sourceBasis: (c, n) =>
      `按 GB 3838-2002 表 1 的${waterClassName(c)}限值及表 2 补充项目，共评价 ${n} 项：`,
    sourceFailure: (name, value, limit, tbl, over) =>
      `${name} ${value}，${tbl}限值 ${limit}${over ? `，${over}` : ''}`,
    sourceTable: (n, c) => (n === 2 ? '表 2 ' : `${waterClassName(c)}`),
    waterBasis: (time) => `依据 GB 3838-2002《地表水环境质量标准》，${time} 监测值（北京时间）。`,
    serverText: '评价说明（英文原文）',
    worseThanV: '劣Ⅴ类',
  },
  en: {
    pageTitle: 'Shanghai environmental quality — live data',
    description: 'Live air and water quality data for Shanghai',
    title: 'Shanghai environmental quality, live',
    tagline: 'Latest readings from automatic air and surface-water monitoring stations, updated live',
    skip: 'Skip to main content',
    navLabel: 'Station types',
    langLabel: '语言 / Language',
    connecting: 'Connecting…',
    open: 'Live',
    closed: 'Reconnecting…',
    loading: 'Loading stations…',
    loadError: 'Could not load the station list. Retrying…',
    'kind.air': 'Air monitoring stations',
    'kind.river': 'River sections',
    'kind.source': 'Drinking-water sources',
    stationCount: (n) => (n === 1 ? '1 station' : `${n} stations`),
    noStations: 'No stations',
    noData: 'No data yet',
    stationCode: 'Station code',
    observedAt: 'Observed',
    timeSuffix: ' (China Standard Time)',
    target: (c) => `Target class ${ROMAN[c]}`,
    'waterType.river': 'River',
    'waterType.lake': 'Lake / reservoir',
    flagUnknown: (code) => `Flag: ${code}`,
    footTime: 'All times are China Standard Time (UTC+8).',
    footData: 'Real-time results from automatic monitoring stations, not manually reviewed. For reference only.',
    footColors:
      'AQI colours are the level colours set by HJ 633. Water-class colours are envmon’s own choice, not set by any standard.',
    listSep: ', ',
    'overview.title': 'Right now',
    'overview.air': 'Air quality',
    'overview.water': 'Surface water',
    'overview.airHint': (n) => `by AQI level, ${n === 1 ? '1 station' : `${n} stations`}`,
    'overview.waterHint': (n) => `by water class, ${n === 1 ? '1 site' : `${n} sites`}`,
    'overview.na': 'Not published',
    'overview.stale': 'Stale data',
    'overview.none': 'Not assessed',
    'overview.meets': (m, n) => `${m} of ${n} meet their target class`,
    'overview.chipsAir': 'Stations per AQI level',
    'overview.chipsWater': 'Sites per water class',
    stale: 'Data is stale',
    staleSince: (time) => `The latest data is from ${time}, more than 2 hours ago.`,
    aqiLabel: 'AQI',
    aqiNa: 'not published',
    aqiNaLong: 'AQI not published',
    primary: (names) => `Primary pollutant: ${names}`,
    noPrimary: 'No primary pollutant',
    hourOf: (time) => `Hour ending ${time}`,
    waterLabel: 'Water',
    waterClass: (c) => (c === 6 ? 'Worse than Class V' : `Class ${ROMAN[c]}`),
    meets: 'meets',
    notMeets: 'does not meet',
    meetsUnknown: 'cannot be judged',
    determinedBy: (names) => `Determined by ${names}`,
    noWaterClass: 'No class yet',
    sourceOk: 'Drinking-water source: compliant',
    sourceFail: 'Drinking-water source: not compliant',
    sourceRequired: (c) => ` (assessed against class ${ROMAN[c]})`,
    sourceUnknown: 'Drinking-water source: compliance cannot be judged',
    sourceFailItems: (names) => ` (${names})`,
    why: 'Why this result?',
    whyAirLead: (aqi, who, cat) =>
      `The AQI is the highest of the pollutants’ sub-indices (IAQI): ${who} has ${aqi}, so the AQI is ${aqi}, “${cat}”.`,
    whyAirLeadLow: (aqi, cat) =>
      `The AQI is the highest of the pollutants’ sub-indices (IAQI): ${aqi}, “${cat}”. At 50 or below there is no primary pollutant.`,
    whyAirNa: (computed) =>
      computed == null
        ? 'No pollutant concentration is available to compute an AQI.'
        : `The pollutants that were measured give an AQI of ${computed}, but the rules say this hour’s AQI is not published.`,
    colPollutant: 'Pollutant',
    colConcentration: 'Concentration',
    colIaqi: 'IAQI',
    airTableCaption: 'Concentration and sub-index of each pollutant',
    primaryTag: 'primary',
    averagingNote: (avg) => `Concentrations are ${avg} means.`,
    pmBreakpointNote: (names, avg) =>
      `${names} are indexed against the ${avg} breakpoints, as real-time reports do.`,
    missing: (list) => `Missing: ${list}.`,
    exceeding: (list) => `Pollutants above standard: ${list}.`,
    sensitive: (who, groups) => `Groups sensitive to ${who}: ${groups}.`,
    health: (text) => `Health effects: ${text}`,
    edition: (ed, time) => `Assessed under ${ed}, hour ending ${time} (China Standard Time).`,
    'avg.1h': '1-hour',
    'avg.8h': '8-hour',
    'avg.24h': '24-hour',
    'na.missing':
      'A pollutant is missing and the AQI from the others is not above 100. Under HJ 633-2026 §5.3 the AQI, level, category and primary pollutant are then published as NA.',
    'na.nodata': 'No pollutant has a valid concentration.',
    'na.short': 'A pollutant is missing and the AQI from the others is not above 100, so it is not published (HJ 633-2026 §5.3).',
    'special.so2_2026': 'SO₂ 1-hour mean above 800 µg/m³: the IAQI is taken as 200 (HJ 633-2026 Table 3 note b).',
    'special.o3_2026': 'O₃ 8-hour mean above 800 µg/m³: the IAQI is taken as 300 (HJ 633-2026 Table 3 note c).',
    'special.so2_2012':
      'SO₂ 1-hour mean above 800 µg/m³: the IAQI comes from the 24-hour mean instead (HJ 633-2012 Table 1 note 2).',
    'special.o3_2012':
      'O₃ 8-hour mean above 800 µg/m³: the IAQI comes from the 1-hour mean instead (HJ 633-2012 Table 1 note 3).',
    'special.cap500':
      'Above the concentration for IAQI 500, which HJ 633 does not cover: the IAQI is capped at 500, as the national platform publishes.',
    whyWaterLead: (names, cls) =>
      `Under GB 3838-2002’s single-factor method a site takes the worst class of its counted items: ${names} ${names.includes(',') ? 'are' : 'is'} ${cls}, so the site is ${cls}.`,
    whyWaterNone: 'No counted item has a valid value, so there is no class yet.',
    whyWaterTarget: (c, meets) =>
      meets === true
        ? `That meets its target, class ${ROMAN[c]}.`
        : meets === false
          ? `That does not meet its target, class ${ROMAN[c]}.`
          : `Whether it meets its target, class ${ROMAN[c]}, cannot be judged.`,
    missingItem: (name, avg) => `${name} (${avg})`,
    decidesTag: 'decides',
    sourceVerdict: (ok) => (ok === true ? 'compliant.' : ok === false ? 'not compliant.' : 'cannot be judged.'),
    colItem: 'Item',
    colValue: 'Value',
    colClass: 'Class',
    colLimit: (c) => `Class ${ROMAN[c]} limit`,
    waterTableCaption: 'Each item’s value, class and target-class limit',
    over: (m) => `exceeds by ${m}×`,
    overNa: 'not met',
    notCounted: 'not counted towards the class; for reference',
    exceedanceNote: 'Exceedance multiple = (value − limit) ÷ limit.',
    invalid: (list) => `Not a valid measurement, left out: ${list}.`,
    sourceHead: 'Drinking-water source',
    sourceBasis: (c, n) =>
      `Checked against GB 3838-2002 Table 1 class ${ROMAN[c]} and the Table 2 supplementary items, ${n === 1 ? '1 item' : `${n} items`}:`,
    sourceFailure: (name, value, limit, tbl, over) =>
      `${name} ${value}, ${tbl} limit ${limit}${over ? `, ${over}` : ''}`,
    sourceTable: (n, c) => (n === 2 ? 'Table 2' : `class ${ROMAN[c]}`),
    waterBasis: (time) =>
      `Assessed under GB 3838-2002 (Environmental quality standards for surface water), values of ${time} (China Standard Time).`,
    serverText: 'Assessment text',
    worseThanV: 'worse than V',
  },
};

// Reading quality flags in words: envmon_core::QualityFlag. Anything not
// listed (a newer server) is shown as "Flag: <code>".
const QUALITY = {
  calibration: { 'zh-CN': '校准中', en: 'Calibrating' },
  maintenance: { 'zh-CN': '维护中', en: 'Under maintenance' },
  instrument_fault: { 'zh-CN': '仪器故障', en: 'Instrument fault' },
  out_of_range: { 'zh-CN': '超出合理范围', en: 'Out of plausible range' },
  spike: { 'zh-CN': '突变值', en: 'Sudden jump (spike)' },
  flatline: { 'zh-CN': '数值长时间不变', en: 'Stuck value (flatline)' },
};

const UNITS = {
  'ug/m3': 'µg/m³',
  'mg/m3': 'mg/m³',
  'mg/L': 'mg/L',
  'uS/cm': 'µS/cm',
  Cel: '°C',
  NTU: 'NTU',
  '/L': '个/L',
  1: '',
};

// HJ 633 levels, used only when a report lacks its level texts. The colours
// are the official ones (HJ 633 Table 2 / HJ 633-2026), as the server sends.
const AQI_LEVELS = {
  1: { zh: '优', en: 'Excellent', hex: '#00E400' },
  2: { zh: '良', en: 'Good', hex: '#FFFF00' },
  3: { zh: '轻度污染', en: 'Lightly Polluted', hex: '#FF7E00' },
  4: { zh: '中度污染', en: 'Moderately Polluted', hex: '#FF0000' },
  5: { zh: '重度污染', en: 'Heavily Polluted', hex: '#99004C' },
  6: { zh: '严重污染', en: 'Severely Polluted', hex: '#7E0023' },
};

// AQI pollutants, for names the parameter list does not give.
const POLLUTANTS = {
  so2: { zh: '二氧化硫', en: 'SO2' },
  no2: { zh: '二氧化氮', en: 'NO2' },
  co: { zh: '一氧化碳', en: 'CO' },
  o3: { zh: '臭氧', en: 'O3' },
  pm10: { zh: 'PM10', en: 'PM10' },
  pm25: { zh: 'PM2.5', en: 'PM2.5' },
};

// GB 3838-2002 items (envmon_core::water::WaterItem): short Chinese name,
// English symbol as envmon's explanations use it, unit. The parameter list
// gives the Chinese names of the monitored ones; these cover the rest.
const WATER_ITEMS = {
  temp: ['水温', 'Water temperature', 'Cel'],
  ph: ['pH', 'pH', '1'],
  do: ['溶解氧', 'DO', 'mg/L'],
  codmn: ['高锰酸盐指数', 'CODMn', 'mg/L'],
  cod: ['化学需氧量', 'COD', 'mg/L'],
  bod5: ['五日生化需氧量', 'BOD5', 'mg/L'],
  nh3n: ['氨氮', 'NH3-N', 'mg/L'],
  tp: ['总磷', 'TP', 'mg/L'],
  tn: ['总氮', 'TN', 'mg/L'],
  cu: ['铜', 'Cu', 'mg/L'],
  zn: ['锌', 'Zn', 'mg/L'],
  fluoride: ['氟化物', 'Fluoride', 'mg/L'],
  se: ['硒', 'Se', 'mg/L'],
  as: ['砷', 'As', 'mg/L'],
  hg: ['汞', 'Hg', 'mg/L'],
  cd: ['镉', 'Cd', 'mg/L'],
  cr6: ['六价铬', 'Cr(VI)', 'mg/L'],
  pb: ['铅', 'Pb', 'mg/L'],
  cyanide: ['氰化物', 'Cyanide', 'mg/L'],
  volatile_phenol: ['挥发酚', 'Volatile phenol', 'mg/L'],
  petroleum: ['石油类', 'Petroleum', 'mg/L'],
  las: ['阴离子表面活性剂', 'LAS', 'mg/L'],
  sulfide: ['硫化物', 'Sulfide', 'mg/L'],
  fecal_coliform: ['粪大肠菌群', 'Fecal coliform', '/L'],
  sulfate: ['硫酸盐', 'Sulfate', 'mg/L'],
  chloride: ['氯化物', 'Chloride', 'mg/L'],
  nitrate: ['硝酸盐', 'Nitrate', 'mg/L'],
  fe: ['铁', 'Fe', 'mg/L'],
  mn: ['锰', 'Mn', 'mg/L'],
};

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

const state = {
  lang: loadLang(),
  stations: [],
  parameters: [],
  paramByCode: new Map(),
  /** station code -> Map(parameter code -> reading) */
  readings: new Map(),
  /** station code -> { updatedAt, aqi, water } */
  verdicts: new Map(),
  cards: new Map(),
  /** station codes whose "why" disclosure the visitor opened */
  openWhy: new Set(),
  conn: 'connecting',
  snapshotSeen: false,
  metaLoaded: false,
};

// ---------------------------------------------------------------- helpers

function loadLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    // storage unavailable (private mode, blocked cookies): use the default
  }
  return 'zh-CN';
}

function saveLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not remembered; still switch for this visit
  }
}

function t(key, ...args) {
  const value = STRINGS[state.lang][key] ?? STRINGS['zh-CN'][key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

const isEn = () => state.lang === 'en';

/** Picks the zh or en variant; falls back to the other, tagging its language. */
function pick(zh, en) {
  const want = isEn() ? en : zh;
  if (want != null && want !== '') return { text: String(want), lang: null };
  const other = isEn() ? zh : en;
  if (other != null && other !== '') {
    return { text: String(other), lang: isEn() ? 'zh-CN' : 'en' };
  }
  return { text: '', lang: null };
}

function el(tag, attrs = {}, ...children) {
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

function localizedEl(tag, attrs, zh, en) {
  const { text, lang } = pick(zh, en);
  return el(tag, { ...attrs, lang, text });
}

const isObject = (v) => v != null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v) => (Array.isArray(v) ? v : []);
const classNumber = (v) => (Number.isInteger(v) && v >= 1 && v <= 6 ? v : null);

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

export function displayUnit(unit) {
  if (unit == null) return '';
  return Object.hasOwn(UNITS, unit) ? UNITS[unit] : String(unit);
}

function withUnit(value, unit) {
  const u = displayUnit(unit);
  return u ? `${formatValue(value)} ${u}` : formatValue(value);
}

function shanghaiParts(iso) {
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

function formatFullTime(iso) {
  const p = shanghaiParts(iso);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}

function timeMs(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? -Infinity : ms;
}

function qualityText(quality) {
  if (quality == null || quality === 'valid') return null;
  const known = QUALITY[quality];
  return known ? known[state.lang] : t('flagUnknown', quality);
}

/** What the value element shows; used to detect changes worth highlighting. */
function readingSignature(reading) {
  if (!reading) return '';
  return `${formatValue(reading.value)}|${reading.unit ?? ''}|${reading.quality ?? ''}`;
}

/** "Ⅲ类", "劣Ⅴ类" (zh); "Class III", "Worse than Class V" (en). */
function waterClassName(c) {
  if (isEn()) return c === 6 ? 'worse than class V' : `class ${ROMAN[c] ?? '?'}`;
  return c === 6 ? '劣Ⅴ类' : `${ROMAN_ZH[c] ?? '?'}类`;
}

/** A class in a table cell: "Ⅲ" / "III", "劣Ⅴ" / "worse than V". */
function waterClassShort(c) {
  if (c == null) return '—';
  if (c === 6) return isEn() ? t('worseThanV') : '劣Ⅴ';
  return isEn() ? ROMAN[c] : ROMAN_ZH[c];
}

function pollutantName(code) {
  const param = state.paramByCode.get(code);
  const known = POLLUTANTS[code];
  if (isEn()) return param?.name_en || known?.en || String(code);
  return param?.name_zh || known?.zh || String(code);
}

/** Water items: Chinese names, English symbols ("总磷" / "TP"). */
function waterItemName(code) {
  const known = WATER_ITEMS[code];
  if (isEn()) return known?.[1] || state.paramByCode.get(code)?.name_en || String(code);
  return state.paramByCode.get(code)?.name_zh || known?.[0] || String(code);
}

function waterItemUnit(code) {
  return WATER_ITEMS[code]?.[2] ?? state.paramByCode.get(code)?.unit ?? '';
}

function joinList(items) {
  return items.filter((s) => s !== '').join(t('listSep'));
}

/** WCAG relative luminance of "#RRGGBB", or null. */
function luminance(hex) {
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

function paintLevel(node, hex) {
  const fg = textColorOn(hex);
  if (!fg) return;
  node.style.setProperty('--level-bg', hex);
  node.style.setProperty('--level-fg', fg);
}

/** The level texts of an AQI, from the report or the fallback table. */
function aqiLevelInfo(aqi) {
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

function isStale(code) {
  const v = state.verdicts.get(code);
  const updated = v?.updatedAt ?? null;
  if (updated == null) return false;
  return Date.now() - timeMs(updated) > STALE_AFTER_MS;
}

// ---------------------------------------------------------------- rendering

function applyStaticText() {
  const root = document.documentElement;
  root.lang = state.lang;
  document.title = t('pageTitle');
  document.querySelector('meta[name="description"]')?.setAttribute('content', t('description'));
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
  for (const button of document.querySelectorAll('[data-set-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.setLang === state.lang));
  }
  renderConnection();
}

function renderConnection() {
  const node = document.getElementById('connection');
  if (!node) return;
  node.dataset.state = state.conn;
  const text = node.querySelector('.connection-text');
  if (text) text.textContent = t(state.conn);
}

function setConnection(conn) {
  if (state.conn === conn) return;
  state.conn = conn;
  renderConnection();
}

function showNotice(message) {
  const node = document.getElementById('notice');
  if (!node) return;
  node.textContent = message ?? '';
  node.hidden = !message;
}

function renderStations() {
  state.cards.clear();
  const byKind = new Map(KINDS.map((k) => [k, []]));
  for (const station of state.stations) byKind.get(station.kind)?.push(station);

  for (const kind of KINDS) {
    const list = byKind.get(kind);
    const section = document.querySelector(`section[data-kind="${kind}"]`);
    const container = document.querySelector(`[data-station-list="${kind}"]`);
    const count = document.querySelector(`[data-count="${kind}"]`);
    if (count) count.textContent = state.metaLoaded ? `(${list.length})` : '';
    if (!section || !container) continue;
    section.hidden = !state.metaLoaded;

    const countLabel = section.querySelector(`[data-count-label="${kind}"]`);
    if (countLabel) countLabel.textContent = t('stationCount', list.length);

    const cards = list.map((station) => {
      const card = buildCard(station);
      state.cards.set(station.code, card);
      return card.article;
    });
    if (cards.length === 0) cards.push(el('p', { class: 'empty', text: t('noStations') }));
    container.replaceChildren(...cards);
  }
  for (const code of state.cards.keys()) renderStation(code, null);
  renderOverview();
}

function buildCard(station) {
  const isWater = station.kind === 'river' || station.kind === 'source';
  const head = el('header', { class: 'station-head' });
  const titleRow = el('div', { class: 'station-title' });
  titleRow.append(localizedEl('h3', { class: 'station-name' }, station.name_zh, station.name_en));

  let targetPill = null;
  const target = Number(station.target_class);
  if (isWater && Number.isInteger(target) && target >= 1 && target <= 5) {
    targetPill = el('span', { class: 'target-class', text: t('target', target) });
    titleRow.append(targetPill);
  }
  head.append(titleRow);

  const meta = el('p', { class: 'station-meta' });
  const district = pick(station.district_zh, station.district_en);
  if (district.text) meta.append(el('span', { lang: district.lang, text: district.text }));
  meta.append(
    el(
      'span',
      { class: 'station-code' },
      el('span', { class: 'visually-hidden', text: `${t('stationCode')} ` }),
      station.code,
    ),
  );
  head.append(meta);

  if (isWater) {
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

  const stale = el('p', { class: 'stale-note', hidden: true });
  const verdict = el('div', { class: 'station-verdict', hidden: true });
  const body = el('div', { class: 'station-body' });
  const whyBody = el('div', { class: 'why-body' });
  const why = el(
    'details',
    { class: 'why', hidden: true },
    el('summary', {}, el('span', { text: t('why') })),
    whyBody,
  );
  why.open = state.openWhy.has(station.code);
  why.addEventListener('toggle', () => {
    if (why.open) state.openWhy.add(station.code);
    else state.openWhy.delete(station.code);
  });

  const article = el(
    'article',
    { class: `station station-${station.kind}`, 'data-station': station.code },
    head,
    stale,
    verdict,
    body,
    why,
  );
  return {
    article,
    station,
    targetPill,
    stale,
    verdict,
    body,
    why,
    whyBody,
    signatures: new Map(),
    verdictSignature: null,
  };
}

function renderStation(code, changed) {
  renderStale(code);
  renderVerdict(code, changed != null);
  renderReadings(code, changed);
  renderWhy(code);
}

function orderedParameterCodes(readings) {
  const codes = [];
  for (const p of state.parameters) if (readings.has(p.code)) codes.push(p.code);
  const extra = [...readings.keys()].filter((c) => !state.paramByCode.has(c)).sort();
  return codes.concat(extra);
}

/** A reading's label: in English, water items get their symbol too ("Total phosphorus (TP)"). */
function readingLabel(paramCode, param) {
  if (!param) return { text: paramCode, lang: null };
  const name = pick(param.name_zh, param.name_en);
  const symbol = WATER_ITEMS[paramCode]?.[1];
  if (isEn() && !name.lang && symbol && !name.text.toLowerCase().includes(symbol.toLowerCase())) {
    return { text: `${name.text} (${symbol})`, lang: null };
  }
  return name;
}

/**
 * Redraws one station's readings. `changed` is a Set of parameter codes whose
 * displayed value changed and should be highlighted, or null for none.
 */
function renderReadings(code, changed) {
  const card = state.cards.get(code);
  if (!card) return;
  const readings = state.readings.get(code) ?? new Map();
  card.signatures = new Map();

  if (readings.size === 0) {
    card.body.replaceChildren(el('p', { class: 'no-data', text: t('noData') }));
    return;
  }

  const list = el('dl', { class: 'readings' });
  for (const paramCode of orderedParameterCodes(readings)) {
    const reading = readings.get(paramCode);
    const param = state.paramByCode.get(paramCode);
    const unit = displayUnit(reading.unit ?? param?.unit);
    const formatted = formatValue(reading.value);
    const flag = qualityText(reading.quality);
    card.signatures.set(paramCode, readingSignature(reading));

    const name = readingLabel(paramCode, param);
    const valueEl = el(
      'span',
      { class: 'value', 'data-parameter': paramCode, 'data-quality': reading.quality ?? null },
      el('data', { class: 'num', value: Number.isFinite(Number(reading.value)) ? reading.value : null, text: formatted }),
      unit ? el('span', { class: 'unit', text: ` ${unit}` }) : null,
    );
    if (changed?.has(paramCode)) flash(valueEl);

    const dd = el('dd', {}, valueEl);
    if (flag) dd.append(el('span', { class: 'flag', text: flag }));
    const short = formatShortTime(reading.observed_at);
    if (short) {
      dd.append(
        el(
          'time',
          {
            class: 'observed',
            datetime: reading.observed_at,
            title: `${t('observedAt')} ${formatFullTime(reading.observed_at)}${t('timeSuffix')}`,
          },
          el('span', { class: 'visually-hidden', text: `${t('observedAt')} ` }),
          short,
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
  card.body.replaceChildren(list);
}

function flash(node) {
  node.classList.add('is-changed');
  setTimeout(() => node.classList.remove('is-changed'), HIGHLIGHT_MS);
}

function renderStale(code) {
  const card = state.cards.get(code);
  if (!card) return;
  const stale = isStale(code);
  card.article.toggleAttribute('data-stale', stale);
  card.stale.hidden = !stale;
  if (!stale) {
    card.stale.replaceChildren();
    return;
  }
  const updated = state.verdicts.get(code)?.updatedAt;
  card.stale.replaceChildren(
    el('strong', { text: t('stale') }),
    ' ',
    el('span', { text: t('staleSince', formatFullTime(updated)) }),
  );
}

// ------------------------------------------------ verdicts on the card

function renderVerdict(code, mayFlash) {
  const card = state.cards.get(code);
  if (!card) return;
  const v = state.verdicts.get(code);
  let content = null;
  let signature = '';
  if (card.station.kind === 'air' && isObject(v?.aqi)) {
    content = airVerdict(v.aqi);
    signature = `aqi|${v.aqi.aqi}|${v.aqi.level}`;
  } else if (card.station.kind !== 'air' && isObject(v?.water)) {
    content = waterVerdict(card.station, v.water);
    signature = `water|${v.water.class}|${v.water.meets_target}`;
  }
  if (card.targetPill) card.targetPill.hidden = content != null && isObject(v?.water);
  card.verdict.hidden = content == null;
  if (content == null) {
    card.verdict.replaceChildren();
    card.verdictSignature = null;
    return;
  }
  card.verdict.replaceChildren(...content);
  if (mayFlash && card.verdictSignature != null && card.verdictSignature !== signature) {
    const text = card.verdict.querySelector('.verdict-main');
    if (text) flash(text);
  }
  card.verdictSignature = signature;
}

function airVerdict(aqi) {
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

function waterVerdict(station, water) {
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

// ------------------------------------------------ "why" disclosures

function renderWhy(code) {
  const card = state.cards.get(code);
  if (!card) return;
  const v = state.verdicts.get(code);
  let content = null;
  if (card.station.kind === 'air' && isObject(v?.aqi)) content = airWhy(v.aqi);
  else if (card.station.kind !== 'air' && isObject(v?.water)) content = waterWhy(card.station, v.water);
  card.why.hidden = content == null;
  card.whyBody.replaceChildren(...(content ?? []));
}

function note(text, cls = 'why-note', lang = null) {
  return el('p', { class: cls, lang, text });
}

function airWhy(aqi) {
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
    if (avgs.length === 1 && STRINGS[state.lang][`avg.${avgs[0]}`]) {
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
      STRINGS[state.lang][`avg.${m.averaging}`]
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

function waterWhy(station, water) {
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

// ------------------------------------------------ overview at the top

function renderOverview() {
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

// ---------------------------------------------------------------- live state

function toReadingMap(readings) {
  const map = new Map();
  if (!readings || typeof readings !== 'object') return map;
  for (const [code, reading] of Object.entries(readings)) {
    if (reading && typeof reading === 'object') map.set(code, reading);
  }
  return map;
}

function latestObserved(readings) {
  let best = null;
  for (const r of readings.values()) {
    if (best == null || timeMs(r.observed_at) > timeMs(best)) best = r.observed_at;
  }
  return best;
}

function toVerdicts(st, readings) {
  return {
    updatedAt: typeof st.updated_at === 'string' ? st.updated_at : latestObserved(readings),
    aqi: isObject(st.aqi) ? st.aqi : null,
    water: isObject(st.water) ? st.water : null,
  };
}

/** Folds a newer state into the held one, as envmon_core::wire::StationState::merge does. */
function mergeVerdicts(current, incoming) {
  if (!current) return incoming;
  const out = { ...current };
  if (incoming.updatedAt != null && timeMs(incoming.updatedAt) >= timeMs(current.updatedAt)) {
    out.updatedAt = incoming.updatedAt;
  }
  if (incoming.aqi && (!current.aqi || timeMs(current.aqi.hour_end) <= timeMs(incoming.aqi.hour_end))) {
    out.aqi = incoming.aqi;
  }
  if (incoming.water && (!current.water || timeMs(current.water.observed_at) <= timeMs(incoming.water.observed_at))) {
    out.water = incoming.water;
  }
  return out;
}

/** Returns the parameter codes whose displayed value differs between the two maps. */
function changedCodes(before, after) {
  const changed = new Set();
  for (const [code, reading] of after) {
    const old = before?.get(code);
    if (old && readingSignature(old) !== readingSignature(reading)) changed.add(code);
  }
  return changed;
}

function applySnapshot(stations) {
  const previous = state.readings;
  const highlight = state.snapshotSeen;
  state.readings = new Map();
  state.verdicts = new Map();
  for (const st of stations) {
    if (st && typeof st.station === 'string') {
      const readings = toReadingMap(st.readings);
      state.readings.set(st.station, readings);
      state.verdicts.set(st.station, toVerdicts(st, readings));
    }
  }
  for (const code of state.cards.keys()) {
    const after = state.readings.get(code) ?? new Map();
    renderStation(code, highlight ? changedCodes(previous.get(code), after) : null);
  }
  if (!state.snapshotSeen) {
    state.snapshotSeen = true;
    document.body.dataset.ready = 'true';
  }
  renderOverview();
}

function applyUpdate(st) {
  if (!st || typeof st.station !== 'string') return;
  const before = state.readings.get(st.station) ?? new Map();
  const incoming = toReadingMap(st.readings);
  const merged = new Map(before);
  for (const [code, reading] of incoming) {
    const old = merged.get(code);
    if (old && timeMs(old.observed_at) > timeMs(reading.observed_at)) continue;
    merged.set(code, reading);
  }
  state.readings.set(st.station, merged);
  state.verdicts.set(st.station, mergeVerdicts(state.verdicts.get(st.station), toVerdicts(st, incoming)));
  renderStation(st.station, changedCodes(before, merged));
  renderOverview();
}

/** Time passes without messages: re-check which stations are stale. */
function tick() {
  for (const code of state.cards.keys()) renderStale(code);
  renderOverview();
}

function handleMessage(data) {
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return;
  }
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'snapshot' && Array.isArray(msg.stations)) {
    applySnapshot(msg.stations);
    live.attempt = 0;
  } else if (msg.type === 'update') {
    applyUpdate(msg.state);
  }
  // Other message types are for later versions: ignore them.
}

// ---------------------------------------------------------------- websocket

const live = { socket: null, timer: null, attempt: 0 };

function liveUrl() {
  const url = new URL('api/v1/live', document.baseURI);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function connect() {
  clearTimeout(live.timer);
  live.timer = null;
  let socket;
  try {
    socket = new WebSocket(liveUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  live.socket = socket;
  socket.addEventListener('open', () => {
    if (live.socket === socket) setConnection('open');
  });
  socket.addEventListener('message', (event) => {
    if (live.socket === socket && typeof event.data === 'string') handleMessage(event.data);
  });
  socket.addEventListener('close', () => {
    if (live.socket !== socket) return;
    live.socket = null;
    setConnection('closed');
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (live.timer) return;
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** live.attempt);
  live.attempt = Math.min(live.attempt + 1, 10);
  const delay = Math.round(base * (0.75 + Math.random() * 0.25));
  live.timer = setTimeout(connect, delay);
}

function reconnectSoon() {
  if (!live.socket && live.timer) connect();
}

// ---------------------------------------------------------------- startup

async function fetchJson(path) {
  const response = await fetch(new URL(path, document.baseURI), {
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function loadMeta() {
  let delay = RECONNECT_MIN_MS;
  for (;;) {
    try {
      const [stationsBody, paramsBody] = await Promise.all([
        fetchJson('api/v1/stations'),
        fetchJson('api/v1/parameters'),
      ]);
      return {
        stations: Array.isArray(stationsBody?.stations) ? stationsBody.stations : [],
        parameters: Array.isArray(paramsBody?.parameters) ? paramsBody.parameters : [],
      };
    } catch (err) {
      console.warn('envmon: loading station metadata failed, retrying', err);
      showNotice(t('loadError'));
      await new Promise((resolve) => setTimeout(resolve, delay * (0.75 + Math.random() * 0.25)));
      delay = Math.min(META_RETRY_MAX_MS, delay * 2);
    }
  }
}

function setLanguage(lang) {
  if (!LANGS.includes(lang) || lang === state.lang) return;
  state.lang = lang;
  saveLang(lang);
  applyStaticText();
  renderStations();
}

async function start() {
  applyStaticText();
  for (const button of document.querySelectorAll('[data-set-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.setLang));
  }

  const meta = await loadMeta();
  state.stations = meta.stations.filter((s) => s && typeof s.code === 'string');
  state.parameters = meta.parameters.filter((p) => p && typeof p.code === 'string');
  state.paramByCode = new Map(state.parameters.map((p) => [p.code, p]));
  state.metaLoaded = true;
  showNotice(null);
  document.getElementById('loading')?.remove();
  renderStations();

  window.addEventListener('online', reconnectSoon);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectSoon();
  });
  setInterval(tick, CLOCK_TICK_MS);
  connect();
}

start();
