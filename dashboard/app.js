// envmon public dashboard: a map and a list of Shanghai's air and water
// stations with their live readings and official verdicts, alert notices,
// and a detail view per station. Plain ES modules, no dependencies, no
// build step.

import { LANGS, loadLang, saveLang, t } from './i18n.js';
import { timeMs } from './format.js';
import {
  KINDS,
  learnCadence,
  loadAreaHours,
  loadAreas,
  loadWater,
  loadYear,
  mergeVerdicts,
  receiveAreaSnapshot,
  receiveAreaState,
  state,
  toReadingMap,
  toVerdicts,
} from './store.js';
import {
  buildCard,
  changedCodes,
  closeDetail,
  detailCode,
  openDetail,
  renderCard,
  renderCardStatus,
  renderDetail,
  stationName,
  verdictText,
} from './station.js';
import { areaName, renderAreas, renderOverview, renderYear } from './overview.js';
import {
  expireNotices,
  headlineOf,
  receiveNotice,
  receiveNoticeSnapshot,
  renderNotices,
  severityName,
} from './notices.js';
import { dropConnection, startLive } from './live.js';
import { receiveForecast, receiveForecastSnapshot, renderForecast } from './forecast.js';

const META_RETRY_MIN_MS = 1000;
const META_RETRY_MAX_MS = 30000;
/** How often staleness and notice expiry are re-checked while nothing arrives. */
const CLOCK_TICK_MS = 30 * 1000;
const VIEW_KEY = 'envmon.view';

state.lang = loadLang();
const cards = new Map();

// ---------------------------------------------------------------- the map

// The map and its table load after the first live value: they sit below the
// city's headline, and on a slow connection their code and data would delay
// it. Until then, calls for the map do nothing; it draws the current state
// when it arrives.
const MAP_LATEST_MS = 4000;
let mapView = null;
let mapLoading = null;

function loadMap() {
  mapLoading ??= import('./map.js')
    .then((module) => {
      mapView = module;
      if (state.metaLoaded) {
        module.renderMapView();
        if (state.view === 'map') module.resizeMap();
      }
      module.loadMapData();
    })
    .catch((err) => console.warn('envmon: the map could not be loaded', err));
}

const onMap = (draw) => mapView && draw(mapView);

// ---------------------------------------------------------------- text

function applyStaticText() {
  document.documentElement.lang = state.lang;
  document.title = t('pageTitle');
  document.querySelector('meta[name="description"]')?.setAttribute('content', t('description'));
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
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

/** Says `text` to screen readers, politely. */
function announce(text) {
  const node = document.getElementById('announcer');
  if (!node || !text) return;
  node.textContent = '';
  // A fresh text node after a tick is read even when the words repeat.
  setTimeout(() => {
    node.textContent = text;
  }, 50);
}

function setConnection(conn) {
  if (state.conn === conn) return;
  const was = state.conn;
  state.conn = conn;
  renderConnection();
  if (conn === 'closed') announce(t('say.closed'));
  else if (conn === 'open' && was === 'closed') announce(t('say.open'));
}

function showNotice(message) {
  const node = document.getElementById('notice');
  if (!node) return;
  node.textContent = message ?? '';
  node.hidden = !message;
}

// ---------------------------------------------------------------- views

function renderCounts() {
  const total = state.stations.length;
  let shown = 0;
  for (const kind of KINDS) {
    const n = state.stations.filter((s) => s.kind === kind).length;
    if (state.filters.has(kind)) shown += n;
    const count = document.querySelector(`[data-count="${kind}"]`);
    if (count) count.textContent = `(${n})`;
  }
  const node = document.getElementById('shown-count');
  if (node) node.textContent = t('shownCount', shown, total);
}

function renderList() {
  cards.clear();
  for (const kind of KINDS) {
    const list = state.stations.filter((s) => s.kind === kind);
    const section = document.querySelector(`section[data-kind="${kind}"]`);
    const container = document.querySelector(`[data-station-list="${kind}"]`);
    if (!section || !container) continue;
    section.hidden = !state.filters.has(kind);
    const countLabel = section.querySelector(`[data-count-label="${kind}"]`);
    if (countLabel) countLabel.textContent = t('stationCount', list.length);
    const nodes = list.map((station) => {
      const card = buildCard(station);
      cards.set(station.code, card);
      renderCard(card, null);
      return card.article;
    });
    container.replaceChildren(...nodes);
  }
}

function applyView() {
  const mapView = document.getElementById('map-view');
  const listView = document.getElementById('list-view');
  if (mapView) mapView.hidden = state.view !== 'map';
  if (listView) listView.hidden = state.view !== 'list';
  for (const button of document.querySelectorAll('[data-view]')) {
    button.setAttribute('aria-pressed', String(button.dataset.view === state.view));
  }
  // The map measures its container: draw it once it is visible.
  if (state.view === 'map') onMap((m) => m.resizeMap());
}

// ---------------------------------------------------------------- the drinking-water view

// `#drinking` (or `#drinking/2026-Q3`) shows the drinking-water view in
// place of the live pages; its module and data load when first asked for.
let drinkingView = null;

function showPage(page) {
  document.body.dataset.page = page;
  const section = document.getElementById('drinking');
  if (section) section.hidden = page !== 'drinking';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (page === 'live') applyView();
}

async function openDrinking(quarter) {
  const host = document.getElementById('drinking');
  if (!host) return;
  showPage('drinking');
  try {
    drinkingView ??= await import('./drinking.js');
  } catch (err) {
    console.warn('envmon: the drinking-water view could not be loaded', err);
    return;
  }
  drinkingView.renderDrinking(host);
  await drinkingView.loadDrinking(fetchJson, quarter);
  if (document.body.dataset.page !== 'drinking') return;
  drinkingView.renderDrinking(host);
  host.dataset.ready = 'true';
}

function renderAll() {
  renderAreas();
  renderYear();
  renderCounts();
  renderList();
  onMap((m) => m.renderMapView());
  renderOverview();
  renderNotices();
  applyView();
  if (detailCode()) openDetail(detailCode());
}

function setLanguage(lang) {
  if (!LANGS.includes(lang) || lang === state.lang) return;
  state.lang = lang;
  saveLang(lang);
  applyStaticText();
  if (document.body.dataset.page === 'drinking') {
    const host = document.getElementById('drinking');
    if (host && drinkingView) drinkingView.renderDrinking(host);
  }
  if (state.metaLoaded) renderAll();
  else {
    renderAreas();
    renderYear();
  }
}

function setView(view) {
  if (view !== 'map' && view !== 'list') return;
  state.view = view;
  try {
    localStorage.setItem(VIEW_KEY, view);
  } catch {
    // not remembered
  }
  applyView();
}

function setFilters() {
  state.filters = new Set(
    [...document.querySelectorAll('input[name="kind"]')].filter((i) => i.checked).map((i) => i.value),
  );
  renderCounts();
  onMap((m) => m.renderMapView());
  for (const kind of KINDS) {
    const section = document.querySelector(`section[data-kind="${kind}"]`);
    if (section) section.hidden = !state.filters.has(kind);
  }
}

// ---------------------------------------------------------------- routing

/**
 * `#drinking[/2026-Q3]` shows the drinking-water view; `#station/CODE`
 * opens the station's details over the page shown; anything else shows
 * the live pages and closes the details.
 */
function route() {
  const drinking = /^#drinking(?:\/(.+))?$/.exec(location.hash);
  if (drinking) {
    if (detailCode()) closeDetail();
    openDrinking(drinking[1] ? decodeURIComponent(drinking[1]) : undefined);
    return;
  }
  if (!/^#station\//.test(location.hash) && document.body.dataset.page === 'drinking') showPage('live');
  const m = /^#station\/(.+)$/.exec(location.hash);
  const code = m ? decodeURIComponent(m[1]) : null;
  if (code && state.metaLoaded) {
    if (!openDetail(code)) history.replaceState(null, '', location.pathname + location.search);
  } else if (!code && detailCode()) {
    closeDetail();
  }
}

function onDialogClose() {
  if (!detailCode()) return;
  // Closed with Esc or the button: leave the #station/ address too.
  if (/^#station\//.test(location.hash)) {
    history.replaceState(null, '', location.pathname + location.search);
  }
  closeDetail();
}

// ---------------------------------------------------------------- live state

function redrawStation(code, changed) {
  const card = cards.get(code);
  if (card) renderCard(card, changed);
  onMap((m) => m.updateStationOnMap(code));
  if (drinkingView && document.body.dataset.page === 'drinking') drinkingView.updateDrinkingSite(code);
  if (detailCode() === code) {
    const news = renderDetail(changed);
    const station = state.stationByCode.get(code);
    if (news && station) announce(t('say.update', stationName(station).text, news));
  }
}

/** Replaces every station's state with a snapshot's. */
function replaceStations(list, highlight) {
  const previous = state.readings;
  state.readings = new Map();
  state.verdicts = new Map();
  for (const st of Array.isArray(list) ? list : []) {
    if (st && typeof st.station === 'string') {
      const readings = toReadingMap(st.readings);
      state.readings.set(st.station, readings);
      state.verdicts.set(st.station, toVerdicts(st, readings));
    }
  }
  for (const code of state.stationByCode.keys()) {
    const after = state.readings.get(code) ?? new Map();
    redrawStation(code, highlight ? changedCodes(previous.get(code), after) : null);
  }
}

function applySnapshot(msg) {
  replaceStations(msg.stations, state.snapshotSeen);
  receiveNoticeSnapshot(msg.notices, renderNotices);
  receiveForecastSnapshot(msg.forecasts, renderForecast);
  if (receiveAreaSnapshot(msg.areas)) {
    renderAreas();
    onMap((m) => m.paintDistricts());
  }
  renderNotices();
  if (!state.snapshotSeen) {
    state.snapshotSeen = true;
    performance.mark('envmon:first-snapshot');
    document.body.dataset.ready = 'true';
    showFirstValues();
    loadMap();
    loadAreaHoursOnce();
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
  const previous = state.verdicts.get(st.station);
  const next = toVerdicts(st, incoming);
  if (previous?.updatedAt && next.updatedAt) learnCadence(st.station, previous.updatedAt, next.updatedAt);
  state.readings.set(st.station, merged);
  state.verdicts.set(st.station, mergeVerdicts(previous, next));
  redrawStation(st.station, changedCodes(before, merged));
  renderOverview();
}

function applyNoticeMessage(notice) {
  receiveNotice(notice, (what) => {
    if (!what) return;
    renderNotices();
    const headline = headlineOf(notice).text;
    if (what === 'new') announce(t('say.alert', severityName(notice), headline));
    else announce(t('say.alertEnded', headline));
  });
}

function applyForecastMessage(forecast) {
  receiveForecast(forecast, (f) => {
    renderForecast();
    const area = state.areas.get(f.area);
    if (area) announce(t('say.forecast', areaName(area).text));
  });
}

function handleMessage(msg) {
  if (msg.type === 'snapshot') applySnapshot(msg);
  else if (msg.type === 'update') applyUpdate(msg.state);
  else if (msg.type === 'notice') applyNoticeMessage(msg.notice);
  else if (msg.type === 'forecast') applyForecastMessage(msg.forecast);
  else if (msg.type === 'area') {
    if (receiveAreaState(msg.state)) {
      renderAreas();
      onMap((m) => m.paintDistricts());
    }
  }
  // Other message types are for later versions: ignore them.
}

/** Time passes without messages: stale data and expired notices. */
function tick() {
  for (const card of cards.values()) renderCardStatus(card);
  onMap((m) => m.tickMap());
  if (detailCode()) renderDetail(null);
  if (expireNotices()) renderNotices();
  renderForecast();
  renderOverview();
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

// The order of the first load (docs/dashboard.md, "Budget"): the first
// snapshot over compressed HTTP (live.js), preloaded with the registry by
// index.html; what is not needed for the first values (the year so far, the
// month's water, the calendar image, any area's latest hour the stream
// lacks, the map) waits until they are shown.

/** How long the areas' hours wait for the stream (whose snapshot carries them) after the first values. */
const AREA_HOURS_WAIT_MS = 5000;

let firstValuesShown = false;
let areaHoursAsked = false;

/** The first values are on the page: now the rest may load. */
function showFirstValues() {
  if (firstValuesShown) return;
  firstValuesShown = true;
  performance.mark('envmon:first-value');
  document.body.dataset.firstValue = 'true';
  Promise.all([loadYear(fetchJson), loadWater(fetchJson)]).then(renderYear);
  setTimeout(loadAreaHoursOnce, AREA_HOURS_WAIT_MS);
}

/** Each area's latest hour that the live stream has not brought, asked once. */
function loadAreaHoursOnce() {
  if (areaHoursAsked) return;
  areaHoursAsked = true;
  areasListed
    .then(() => loadAreaHours(fetchJson))
    .then(() => {
      renderAreas();
      onMap((m) => m.paintDistricts());
    });
}

let areasListed = Promise.resolve();

/**
 * A request index.html preloads: made as the preload was (no headers, the
 * default cache mode), so the browser hands over the preloaded answer.
 */
async function fetchPreloaded(path) {
  const response = await fetch(new URL(path, document.baseURI));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function loadMeta() {
  let delay = META_RETRY_MIN_MS;
  for (;;) {
    try {
      const [stationsBody, paramsBody] = await Promise.all([
        fetchPreloaded('api/v1/stations'),
        fetchPreloaded('api/v1/parameters'),
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

function wireControls() {
  for (const button of document.querySelectorAll('[data-set-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.setLang));
  }
  for (const button of document.querySelectorAll('[data-view]')) {
    button.addEventListener('click', () => setView(button.dataset.view));
  }
  for (const input of document.querySelectorAll('input[name="kind"]')) {
    input.addEventListener('change', setFilters);
  }
  document.getElementById('detail')?.addEventListener('close', onDialogClose);
  document.querySelector('#detail .detail-close')?.addEventListener('click', () => {
    document.getElementById('detail')?.close();
  });
  // A click on the backdrop (outside the dialog box) closes it too.
  document.getElementById('detail')?.addEventListener('click', (event) => {
    if (event.target === event.currentTarget) event.currentTarget.close();
  });
  window.addEventListener('hashchange', route);
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.view === 'map' && onMap((m) => m.resizeMap()), 150);
  });
}

async function start() {
  try {
    const saved = localStorage.getItem(VIEW_KEY);
    if (saved === 'map' || saved === 'list') state.view = saved;
  } catch {
    // default view
  }
  applyStaticText();
  wireControls();
  // The live connection (its first snapshot over HTTP); its messages wait for the registry.
  const early = [];
  startLive((msg) => (state.metaLoaded ? handleMessage(msg) : early.push(msg)), setConnection);

  // The city's section needs only the list of areas to start; their hours come later.
  areasListed = loadAreas(fetchJson)
    .catch((err) => console.warn('envmon: the areas could not be loaded', err))
    .then(() => {
      renderAreas();
      onMap((m) => m.paintDistricts());
    });

  if (location.hash.startsWith('#drinking')) route();
  const meta = await loadMeta();
  state.stations = meta.stations.filter((s) => s && typeof s.code === 'string');
  state.stationByCode = new Map(state.stations.map((s) => [s.code, s]));
  state.parameters = meta.parameters.filter((p) => p && typeof p.code === 'string');
  state.paramByCode = new Map(state.parameters.map((p) => [p.code, p]));
  state.metaLoaded = true;
  showNotice(null);
  document.getElementById('loading')?.remove();
  for (const id of ['toolbar', 'overview']) {
    const node = document.getElementById(id);
    if (node) node.hidden = false;
  }
  const table = document.getElementById('table-details');
  if (table && window.matchMedia('(min-width: 60rem)').matches) table.open = true;
  renderAll();
  for (const msg of early.splice(0)) handleMessage(msg);
  setTimeout(loadMap, MAP_LATEST_MS);
  route();
  setInterval(tick, CLOCK_TICK_MS);
}

// For diagnostics and the browser tests: drop the live connection as a
// network failure would, and watch the page reconnect and resume.
window.envmon = { dropConnection, verdictText };

start();
