// What the page knows: the registry, the latest state of every station, the
// active notices and the visitor's choices. One object, shared by the modules.

import { isObject, timeMs } from './format.js';

export const KINDS = ['air', 'river', 'source', 'plant', 'tap', 'radiation'];

export const state = {
  lang: 'zh-CN',
  stations: [],
  stationByCode: new Map(),
  parameters: [],
  paramByCode: new Map(),
  /** station code -> Map(parameter code -> reading) */
  readings: new Map(),
  /** station code -> { updatedAt, aqi, water } */
  verdicts: new Map(),
  /** station code -> the shortest gap seen between two of its observations, in ms */
  cadence: new Map(),
  /** notice id -> notice, active ones only */
  notices: new Map(),
  /** station codes whose "why" disclosure the visitor opened */
  openWhy: new Set(),
  /** kinds shown on the map, in the table and in the list */
  filters: new Set(KINDS),
  /** 'map' or 'list' */
  view: 'map',
  conn: 'connecting',
  snapshotSeen: false,
  metaLoaded: false,
};

// ---------------------------------------------------------------- areas

// The city and its districts with their latest hourly AQI: the list is loaded
// over the API at start, the hours come with the live stream's `areas` (in
// the snapshot) and `area` messages, and over the API for any area the
// stream did not bring. The year so far and the month's water are loaded
// once, after the first live value.

export const CITY = 'shanghai';
/** How far back the first load looks for an area's latest hour. */
const FIRST_LOOK_HOURS = 6;

Object.assign(state, {
  /** area id -> { id, kind, nameZh, nameEn, parent, stations, aqi } */
  areas: new Map(),
  /** { year, from, to, report } from /api/v1/stats/air */
  year: null,
  /** { month, city } from /api/v1/stats/water, or null */
  waterMonth: null,
});

const isRecord = (v) => v != null && typeof v === 'object' && !Array.isArray(v);
const listOf = (v) => (Array.isArray(v) ? v : []);
const ms = (iso) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? -Infinity : t;
};

function toArea(item) {
  if (!isRecord(item) || typeof item.id !== 'string') return null;
  return {
    id: item.id,
    kind: item.kind === 'city' ? 'city' : 'district',
    nameZh: String(item.name_zh ?? item.id),
    nameEn: String(item.name_en ?? item.id),
    parent: typeof item.parent === 'string' ? item.parent : null,
    stations: Array.isArray(item.stations) ? item.stations.length : Number(item.stations) || 0,
    aqi: null,
  };
}

/** The newer of two hours of an area's AQI. */
function newerHour(current, incoming) {
  if (!isRecord(incoming)) return current;
  if (!current || ms(current.hour_end) <= ms(incoming.hour_end)) return incoming;
  return current;
}

/** An AreaState from the live stream; whether anything changed. */
export function receiveAreaState(st) {
  if (!isRecord(st) || typeof st.area !== 'string') return false;
  const known = state.areas.get(st.area);
  const area = known ?? toArea({ ...st, id: st.area });
  if (!area) return false;
  if (!known) state.areas.set(area.id, area);
  const before = area.aqi;
  area.aqi = newerHour(area.aqi, st.aqi);
  return area.aqi !== before || !known;
}

/** The snapshot's `areas`, when the server sends them. */
export function receiveAreaSnapshot(list) {
  let changed = false;
  for (const st of listOf(list)) changed = receiveAreaState(st) || changed;
  return changed;
}

/** The areas (names, parents, station counts); `fetchJson` is the page's loader. */
export async function loadAreas(fetchJson) {
  const body = await fetchJson('api/v1/areas');
  for (const item of listOf(body?.items)) {
    const area = toArea(item);
    if (area && !state.areas.has(area.id)) state.areas.set(area.id, area);
  }
}

/**
 * The latest hour of each area the live stream has not brought yet, one
 * request per area: the page asks only after its first live value, since
 * these requests would share a slow line with it.
 */
export async function loadAreaHours(fetchJson) {
  const from = new Date(Date.now() - FIRST_LOOK_HOURS * 3600 * 1000).toISOString();
  const missing = [...state.areas.values()].filter((area) => !area.aqi);
  await Promise.all(
    missing.map(async (area) => {
      try {
        const path = `api/v1/areas/${encodeURIComponent(area.id)}/aqi?period=hourly&from=${encodeURIComponent(from)}`;
        const items = listOf((await fetchJson(path))?.items);
        area.aqi = newerHour(area.aqi, items[items.length - 1]);
      } catch (err) {
        console.warn(`envmon: the latest hour of ${area.id} could not be loaded`, err);
      }
    }),
  );
}

const beijingDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Beijing's day `offsetDays` from today, as YYYY-MM-DD. */
export function beijingDay(offsetDays = 0) {
  return beijingDate.format(new Date(Date.now() + offsetDays * 86400 * 1000));
}

/** This year so far (to yesterday, the last day with a daily AQI) and the same days of last year. */
export async function loadYear(fetchJson) {
  const year = Number(beijingDay().slice(0, 4));
  const from = `${year}-01-01`;
  const last = beijingDay(-1);
  const to = last < from ? from : last;
  let report = null;
  try {
    report = await fetchJson(`api/v1/stats/air?area=${CITY}&from=${from}&to=${to}`);
  } catch (err) {
    console.warn('envmon: the year so far could not be loaded', err);
  }
  state.year = { year, from, to, report };
}

/** This month's river sections by class, or last month's while this one has none assessed. */
export async function loadWater(fetchJson) {
  const [year, month] = beijingDay().split('-').map(Number);
  const months = [`${year}-${String(month).padStart(2, '0')}`];
  months.push(month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`);
  state.waterMonth = null;
  for (const ym of months) {
    try {
      const body = await fetchJson(`api/v1/stats/water?from=${ym}&to=${ym}`);
      if (isRecord(body?.city) && body.city.sections_assessed > 0) {
        state.waterMonth = { month: ym, city: body.city };
        return;
      }
    } catch (err) {
      console.warn('envmon: the month of water could not be loaded', err);
      return;
    }
  }
}

// ---------------------------------------------------------------- station states

// A station's state as the live stream and the API give it, turned into what
// the page holds, and merged as envmon_core::wire::StationState::merge does.

export function toReadingMap(readings) {
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

export function toVerdicts(st, readings) {
  return {
    updatedAt: typeof st.updated_at === 'string' ? st.updated_at : latestObserved(readings),
    aqi: isObject(st.aqi) ? st.aqi : null,
    water: isObject(st.water) ? st.water : null,
    radiation: isObject(st.radiation) ? st.radiation : null,
  };
}

/** Folds a newer state into the held one, as envmon_core::wire::StationState::merge does. */
export function mergeVerdicts(current, incoming) {
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
  if (incoming.radiation && (!current.radiation || timeMs(current.radiation.hour_end) <= timeMs(incoming.radiation.hour_end))) {
    out.radiation = incoming.radiation;
  }
  return out;
}

/** Learns a station's usual interval from two successive observation times. */
export function learnCadence(code, before, after) {
  const gap = timeMs(after) - timeMs(before);
  if (!Number.isFinite(gap) || gap <= 0) return;
  const known = state.cadence.get(code);
  state.cadence.set(code, known == null ? gap : Math.min(known, gap));
}
