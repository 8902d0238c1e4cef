// "Near me": the stations nearest to the visitor's location (asked only when
// they press the button) or to a point clicked on the map, with distance and
// verdict, from /api/v1/stations?near=. A district chosen on the map or in
// the list's selector narrows the list to that district.

import { isEn, t } from './i18n.js';
import { el } from './format.js';
import { state } from './store.js';
import { stationName, verdictText } from './station.js';
import { markerLook } from './map-markers.js';
import { chooseDistrict, districtCentre, districtName, districtNameZh, markPoint } from './map.js';

const NEAR_LIMIT = 5;
/**
 * The kinds "near me" answers with: the air, rivers and sources around the
 * visitor. The supply's network points stand close together all over the
 * city and would crowd the air out; the drinking-water view lists them by
 * plant.
 */
const NEAR_KINDS = 'air,river,source';

const near = {
  /** [lon, lat] the list is about, or null */
  point: null,
  /** 'location' | 'map' | 'district' */
  from: null,
  district: null,
  /** district ids for the selector, once the map has them */
  districts: [],
  /** the last answer: [{ code, distance_m }] */
  items: [],
  /** code -> the verdict cell of its row */
  cells: new Map(),
  status: '',
  request: 0,
};

/** The map's districts are known: the selector can offer them. */
export function setDistrictChoices(ids) {
  near.districts = ids;
  renderNear();
}

function formatDistance(m) {
  if (m < 1000) return t('near.metres', Math.round(m / 10) * 10);
  return t('near.km', (m / 1000).toLocaleString(isEn() ? 'en' : 'zh-CN', { maximumFractionDigits: 1 }));
}

async function query() {
  const ticket = ++near.request;
  const [lon, lat] = near.point;
  const params = new URLSearchParams({ near: `${lon.toFixed(5)},${lat.toFixed(5)}`, limit: String(NEAR_LIMIT), kind: NEAR_KINDS });
  if (near.district) params.set('district', districtNameZh(near.district));
  near.status = t('near.loading');
  near.items = [];
  renderNear();
  try {
    const response = await fetch(new URL(`api/v1/stations?${params}`, document.baseURI), { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    if (ticket !== near.request) return;
    near.items = (Array.isArray(body?.stations) ? body.stations : [])
      .filter((s) => s && typeof s.code === 'string' && Number.isFinite(s.distance_m))
      .map((s) => ({ code: s.code, distance: s.distance_m }));
    near.status = '';
  } catch (err) {
    if (ticket !== near.request) return;
    console.warn('envmon: the nearest stations could not be loaded', err);
    near.items = [];
    near.status = t('near.failed');
  }
  renderNear();
}

/** Lists the stations nearest to a WGS-84 point; `district` narrows the list. */
export function nearPoint(lon, lat, { district = null, from = 'map' } = {}) {
  near.point = [lon, lat];
  near.from = from;
  near.district = district;
  query();
}

function useLocation() {
  if (!navigator.geolocation) {
    near.status = t('near.noGeolocation');
    renderNear();
    return;
  }
  near.status = t('near.locating');
  renderNear();
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { longitude, latitude } = position.coords;
      const district = markPoint(longitude, latitude, true);
      // Where the visitor is: highlighted, but the list is not narrowed.
      chooseDistrict(district);
      nearPoint(longitude, latitude, { district: null, from: 'location' });
    },
    (error) => {
      near.status = error.code === error.PERMISSION_DENIED ? t('near.denied') : t('near.unavailable');
      renderNear();
    },
    { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 },
  );
}

function chooseFromSelector(id) {
  chooseDistrict(id || null);
  if (!id) {
    if (near.point) nearPoint(near.point[0], near.point[1], { district: null, from: near.from });
    return;
  }
  if (near.point && near.from !== 'district') nearPoint(near.point[0], near.point[1], { district: id, from: near.from });
  else {
    const centre = districtCentre(id);
    if (centre) nearPoint(centre[0], centre[1], { district: id, from: 'district' });
  }
}

function heading() {
  if (!near.point) return t('near.hint');
  const where = near.from === 'location' ? t('near.fromLocation') : near.from === 'district' ? t('near.fromDistrictCentre') : t('near.fromMap');
  return near.district ? t('near.inDistrict', where, districtName(near.district).text) : where;
}

function itemRow(item) {
  const station = state.stationByCode.get(item.code);
  const name = station ? stationName(station) : { text: item.code, lang: null };
  const look = markerLook(item.code);
  const swatch = el('span', { class: look.stale ? 'swatch is-stale' : 'swatch', 'aria-hidden': 'true' });
  swatch.style.setProperty('--swatch', look.fill === '#ffffff' ? look.stroke : look.fill);
  const verdict = el('span', { class: 'near-verdict' }, swatch, el('span', { text: station ? verdictText(item.code) : '' }));
  near.cells.set(item.code, verdict);
  return el(
    'li',
    { class: 'near-item', 'data-near': item.code, 'data-distance': Math.round(item.distance) },
    el('a', { href: `#station/${encodeURIComponent(item.code)}`, lang: name.lang, text: name.text }),
    el('span', { class: 'near-distance', text: formatDistance(item.distance) }),
    station ? el('span', { class: 'near-kind', text: t(`kindShort.${station.kind}`) }) : '',
    verdict,
  );
}

/** The panel's fixed parts, once per language: focus stays on its controls while the list changes. */
function buildPanel() {
  let host = document.getElementById('near');
  const note = document.getElementById('map-note');
  if (!host) {
    if (!note) return null;
    host = el('section', { id: 'near', class: 'near', 'aria-labelledby': 'near-title' });
    note.after(host);
  }
  if (host.dataset.lang === state.lang) return host;
  host.dataset.lang = state.lang;
  const button = el('button', { type: 'button', class: 'near-locate', text: t('near.useLocation') });
  button.addEventListener('click', useLocation);
  const select = el('select', { id: 'near-district', class: 'near-district' });
  select.addEventListener('change', () => chooseFromSelector(select.value));
  host.replaceChildren(
    el('h3', { id: 'near-title', class: 'near-title', text: t('near.title') }),
    el('div', { class: 'near-tools' }, button, el('label', { class: 'near-label', for: 'near-district', text: t('near.district') }), select),
    el('p', { class: 'near-heading' }),
    el('p', { class: 'near-status', role: 'status' }),
    el('ol', { class: 'near-list' }),
  );
  host.dataset.districts = '';
  return host;
}

/** The near panel, drawn from what it knows (no request). */
export function renderNear() {
  const host = buildPanel();
  if (!host) return;
  const select = host.querySelector('.near-district');
  const key = near.districts.join(',');
  if (host.dataset.districts !== key) {
    host.dataset.districts = key;
    const ids = [...near.districts].sort((a, b) => districtName(a).text.localeCompare(districtName(b).text, isEn() ? 'en' : 'zh-CN'));
    select.replaceChildren(
      el('option', { value: '', text: t('near.allDistricts') }),
      ...ids.map((id) => el('option', { value: id, text: districtName(id).text })),
    );
  }
  select.value = near.district ?? '';
  host.querySelector('.near-heading').textContent = heading();
  const empty = near.point && !near.items.length && !near.status;
  host.querySelector('.near-status').textContent = empty ? t('near.none') : near.status;
  near.cells.clear();
  const list = host.querySelector('.near-list');
  list.replaceChildren(...near.items.map(itemRow));
  list.hidden = !near.items.length;
}

/** A station's verdict changed: its entry in the list, in place. */
export function refreshNearRow(code) {
  const cell = near.cells.get(code);
  if (!cell) return;
  const look = markerLook(code);
  const [swatch, text] = cell.children;
  swatch.className = look.stale ? 'swatch is-stale' : 'swatch';
  swatch.style.setProperty('--swatch', look.fill === '#ffffff' ? look.stroke : look.fill);
  text.textContent = verdictText(code);
}
