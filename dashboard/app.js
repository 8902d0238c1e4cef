// envmon public dashboard: station list with live readings.
// Plain ES module, no dependencies, no build step.

const LANG_KEY = 'envmon.lang';
const LANGS = ['zh-CN', 'en'];
const KINDS = ['air', 'river', 'source'];
const TIME_ZONE = 'Asia/Shanghai';
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 15000;
const META_RETRY_MAX_MS = 30000;
const HIGHLIGHT_MS = 1600;

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
    target: (roman) => `目标 ${roman} 类`,
    'waterType.river': '河流',
    'waterType.lake': '湖库',
    flagUnknown: (code) => `标记：${code}`,
    footTime: '时间均为北京时间（UTC+8）。',
    footData: '数据为自动监测站实时结果，未经人工审核，仅供参考。',
    listSep: '、',
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
    target: (roman) => `Target class ${roman}`,
    'waterType.river': 'River',
    'waterType.lake': 'Lake / reservoir',
    flagUnknown: (code) => `Flag: ${code}`,
    footTime: 'All times are China Standard Time (UTC+8).',
    footData: 'Real-time results from automatic monitoring stations, not manually reviewed. For reference only.',
    listSep: ', ',
  },
};

// Reading quality flags in words: envmon_core::QualityFlag. Anything not
// listed (a newer server) is shown as "Flag: <code>".
const QUALITY = {
  calibration: { 'zh-CN': '校准中', en: 'Calibrating' },
  maintenance: { 'zh-CN': '维护中', en: 'Under maintenance' },
  instrument_fault: { 'zh-CN': '仪器故障', en: 'Instrument fault' },
  out_of_range: { 'zh-CN': '超出合理范围', en: 'Out of plausible range' },
};

const UNITS = {
  'ug/m3': 'µg/m³',
  'mg/m3': 'mg/m³',
  'mg/L': 'mg/L',
  'uS/cm': 'µS/cm',
  Cel: '°C',
  NTU: 'NTU',
  1: '',
};

const ROMAN = ['', 'I', 'II', 'III', 'IV', 'V'];

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
  cards: new Map(),
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

/** Picks the zh or en variant; falls back to the other, tagging its language. */
function pick(zh, en) {
  const want = state.lang === 'en' ? en : zh;
  if (want != null && want !== '') return { text: String(want), lang: null };
  const other = state.lang === 'en' ? zh : en;
  if (other != null && other !== '') {
    return { text: String(other), lang: state.lang === 'en' ? 'zh-CN' : 'en' };
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

export function formatValue(value) {
  const n = typeof value === 'number' ? value : Number.parseFloat(value);
  if (!Number.isFinite(n)) return '—';
  const s = numberFormat.format(n);
  return s === '-0' ? '0' : s;
}

export function displayUnit(unit) {
  if (unit == null) return '';
  return Object.hasOwn(UNITS, unit) ? UNITS[unit] : String(unit);
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
  for (const code of state.cards.keys()) renderReadings(code, null);
}

function buildCard(station) {
  const isWater = station.kind === 'river' || station.kind === 'source';
  const head = el('header', { class: 'station-head' });
  const titleRow = el('div', { class: 'station-title' });
  titleRow.append(localizedEl('h3', { class: 'station-name' }, station.name_zh, station.name_en));

  const target = Number(station.target_class);
  if (isWater && Number.isInteger(target) && target >= 1 && target <= 5) {
    titleRow.append(el('span', { class: 'target-class', text: t('target', ROMAN[target]) }));
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

  const body = el('div', { class: 'station-body' });
  const article = el(
    'article',
    { class: `station station-${station.kind}`, 'data-station': station.code },
    head,
    body,
  );
  return { article, body, signatures: new Map() };
}

function orderedParameterCodes(readings) {
  const codes = [];
  for (const p of state.parameters) if (readings.has(p.code)) codes.push(p.code);
  const extra = [...readings.keys()].filter((c) => !state.paramByCode.has(c)).sort();
  return codes.concat(extra);
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

    const name = param ? pick(param.name_zh, param.name_en) : { text: paramCode, lang: null };
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

// ---------------------------------------------------------------- live state

function toReadingMap(readings) {
  const map = new Map();
  if (!readings || typeof readings !== 'object') return map;
  for (const [code, reading] of Object.entries(readings)) {
    if (reading && typeof reading === 'object') map.set(code, reading);
  }
  return map;
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
  for (const st of stations) {
    if (st && typeof st.station === 'string') state.readings.set(st.station, toReadingMap(st.readings));
  }
  for (const code of state.cards.keys()) {
    const after = state.readings.get(code) ?? new Map();
    renderReadings(code, highlight ? changedCodes(previous.get(code), after) : null);
  }
  if (!state.snapshotSeen) {
    state.snapshotSeen = true;
    document.body.dataset.ready = 'true';
  }
}

function applyUpdate(st) {
  if (!st || typeof st.station !== 'string') return;
  const before = state.readings.get(st.station) ?? new Map();
  const merged = new Map(before);
  for (const [code, reading] of toReadingMap(st.readings)) {
    const old = merged.get(code);
    if (old && timeMs(old.observed_at) > timeMs(reading.observed_at)) continue;
    merged.set(code, reading);
  }
  state.readings.set(st.station, merged);
  renderReadings(st.station, changedCodes(before, merged));
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
  connect();
}

start();
