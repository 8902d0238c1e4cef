// The map of Shanghai: our own SVG, offline. The 16 districts (official
// boundaries, geo/shanghai.topo.json) coloured by their current AQI, the
// stations as markers coloured by AQI level or water class, an optional
// tile basemap under them, pan and zoom by mouse, touch and keyboard, and a
// click on the map (or the visitor's location) lists the nearest stations.
//
// Built once per language, filter or size; a live update only repaints a
// marker, a district fill and a table row in place. Panning moves layers
// with one transform each; zooming re-places the markers (constant size on
// screen) and spreads crowded ones apart with leader lines.

import { isEn, pick, t } from './i18n.js';
import { el, isObject } from './format.js';
import { KINDS, state } from './store.js';
import { aqiLevelInfo } from './verdict.js';
import { reportLevel } from './overview.js';
import { isStale, stationName } from './station.js';
import { markerAria, markerLook, relax, shapeFor, svg } from './map-markers.js';
import { renderLegend, renderTable, rows, updateRow } from './map-table.js';
import { decodeDistricts, districtAt, metresPerUnit, project, unproject } from './map-geo.js';
import { createPanZoom } from './map-pan.js';
import { drawBasemap, loadBasemap } from './map-basemap.js';
import { nearPoint, refreshNearRow, renderNear, setDistrictChoices } from './map-near.js';

/** Fill of a district with no current AQI. */
const NO_DATA_FILL = '#dfe3e8';

const map = {
  /** { districts, bounds } once geo/shanghai.topo.json has loaded */
  geo: null,
  geoLoading: null,
  frame: null,
  root: null,
  layers: null,
  panzoom: null,
  /** code -> { link, group, tag, shape, text, wx, wy, fontSize } */
  markers: new Map(),
  /** district id -> its path */
  districtPaths: new Map(),
  labels: [],
  /** the view the screen-space layers were last placed for */
  placed: { k: 1, ox: 0, oy: 0 },
  width: 0,
  height: 0,
  radius: 13,
  /** the chosen district's id, or null */
  chosen: null,
  /** the chosen point, world units, or null */
  picked: null,
};

// ---------------------------------------------------------------- geography

/** Loads the districts and the basemap settings, once; drawn when they arrive. */
export function loadMapData() {
  if (map.geoLoading) return;
  loadGeo();
  loadBasemap().then((basemap) => {
    if (!basemap || !map.attribution) return;
    map.attribution.hidden = false;
    map.attribution.textContent = basemap.attribution;
    if (map.panzoom) drawBasemap(map.layers.base, map.panzoom.view);
  });
}

function loadGeo() {
  map.geoLoading = fetch(new URL('geo/shanghai.topo.json', document.baseURI))
    .then((response) => {
      if (!response.ok) throw new Error(`geo/shanghai.topo.json: HTTP ${response.status}`);
      return response.json();
    })
    .then((topology) => {
      map.geo = decodeDistricts(topology);
      setDistrictChoices(map.geo.districts.map((d) => d.id));
      if (map.frame) {
        drawDistricts();
        fitHome();
      }
    })
    .catch((err) => console.warn('envmon: the map of Shanghai could not be loaded; stations only', err));
  return map.geoLoading;
}

/** The district's name in the page's language, from the areas the page knows. */
export function districtName(id) {
  const area = state.areas.get(id);
  if (area) return pick(area.nameZh, area.nameEn);
  const d = map.geo?.districts.find((x) => x.id === id);
  return pick(d?.nameZh || id, id);
}

/** The Chinese name of a district of the map (the API's `district` filter takes it). */
export function districtNameZh(id) {
  return state.areas.get(id)?.nameZh ?? map.geo?.districts.find((d) => d.id === id)?.nameZh ?? id;
}

/**
 * The colour of a district: its own AQI (the mean of its evaluation
 * stations, HJ 663) when the statistics have it; until then the worst
 * current AQI of its air stations.
 */
function districtLevel(id) {
  const area = state.areas.get(id);
  const info = reportLevel(area?.aqi);
  if (info?.hex) return { hex: info.hex, level: info.level, aqi: area.aqi.aqi, text: info.category.text, worst: false };
  const nameZh = districtNameZh(id);
  let worst = null;
  for (const s of state.stations) {
    if (s.kind !== 'air' || s.district_zh !== nameZh || isStale(s.code)) continue;
    const v = state.verdicts.get(s.code);
    if (!isObject(v?.aqi) || !Number.isInteger(v.aqi.aqi)) continue;
    if (!worst || v.aqi.aqi > worst.aqi.aqi) worst = v;
  }
  const level = worst ? aqiLevelInfo(worst.aqi) : null;
  if (!level) return null;
  return { hex: level.hex, level: level.level, aqi: worst.aqi.aqi, text: level.category.text, worst: true };
}

function drawDistricts() {
  if (!map.geo || !map.layers) return;
  map.districtPaths.clear();
  const paths = map.geo.districts.map((d) => {
    const path = svg('path', { class: 'district', d: d.d, 'data-district': d.id, 'vector-effect': 'non-scaling-stroke' });
    map.districtPaths.set(d.id, path);
    return path;
  });
  map.layers.districts.replaceChildren(...paths);
  map.labels = map.geo.districts
    .filter((d) => d.label)
    .map((d) => {
      const node = svg('text', { class: 'district-label', 'text-anchor': 'middle', text: districtName(d.id).text });
      return { node, wx: d.label[0], wy: d.label[1], area: d.rings.reduce((s, r) => s + (r.hole ? 0 : r.points.length), 0) };
    })
    // Larger districts first: where labels collide, theirs stay.
    .sort((a, b) => b.area - a.area);
  map.layers.labels.replaceChildren(...map.labels.map((l) => l.node));
  paintDistricts();
}

/** Repaints the district fills and the map's text summary in place. */
export function paintDistricts() {
  const parts = [];
  for (const [id, path] of map.districtPaths) {
    const level = districtLevel(id);
    path.setAttribute('fill', level?.hex ?? NO_DATA_FILL);
    path.dataset.level = level?.level ?? '';
    path.dataset.aqi = level?.aqi ?? '';
    path.classList.toggle('is-chosen', id === map.chosen);
    const name = districtName(id).text;
    parts.push(level ? t('map.districtSays', name, level.aqi, level.text, level.worst) : t('map.districtNone', name));
  }
  const summary = document.getElementById('map-summary');
  if (summary) summary.textContent = parts.length ? t('map.summary', parts) : '';
}

// ---------------------------------------------------------------- view

/** The box the first view shows: the whole city, or the stations without the map. */
function homeBox() {
  if (map.geo) return map.geo.bounds;
  const pts = state.stations.filter((s) => Number.isFinite(s.longitude)).map((s) => project(s.longitude, s.latitude));
  if (!pts.length) return { minX: 0, minY: 0, maxX: 1, maxY: 1 };
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

function fitHome() {
  map.panzoom?.fit(homeBox(), map.width, map.height, map.radius + 8);
}

const screenLayers = () => [map.layers.labels, map.layers.leaders, map.layers.markers, map.layers.pick];

/** After a zoom: the world layer scales; markers and labels are placed anew at constant size. */
function place(view) {
  const { k, ox, oy } = view;
  map.placed = { k, ox, oy };
  map.layers.world.setAttribute('transform', `matrix(${k} 0 0 ${k} ${-ox * k} ${-oy * k})`);
  for (const layer of screenLayers()) layer.removeAttribute('transform');
  const r = map.radius;
  const points = [...map.markers.values()].map((m) => {
    const x = (m.wx - ox) * k;
    const y = (m.wy - oy) * k;
    return { m, x, y, ax: x, ay: y };
  });
  relax(points, 2 * r + 3);
  const leaders = [];
  for (const p of points) {
    if (Math.hypot(p.x - p.ax, p.y - p.ay) > r * 0.5) {
      leaders.push(svg('line', { x1: p.ax, y1: p.ay, x2: p.x, y2: p.y }), svg('circle', { cx: p.ax, cy: p.ay, r: 2 }));
    }
    const at = `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`;
    p.m.group.setAttribute('transform', at);
    p.m.tag.setAttribute('transform', at);
  }
  map.layers.leaders.replaceChildren(...leaders);
  // District names where they fit, the larger districts first.
  const taken = [];
  for (const label of map.labels) {
    const x = (label.wx - ox) * k;
    const y = (label.wy - oy) * k;
    const w = label.node.textContent.length * (isEn() ? 6.5 : 11) + 6;
    const box = [x - w / 2, y - 9, x + w / 2, y + 5];
    const free = !taken.some((b) => b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3]);
    label.node.setAttribute('x', x.toFixed(1));
    label.node.setAttribute('y', y.toFixed(1));
    label.node.classList.toggle('is-hidden', !free);
    if (free) taken.push(box);
  }
  placePick();
  drawScale(view);
  drawBasemap(map.layers.base, view);
}

/** After a pan: every layer moves by one transform. */
function shift(view) {
  const { k, ox, oy } = view;
  map.layers.world.setAttribute('transform', `matrix(${k} 0 0 ${k} ${-ox * k} ${-oy * k})`);
  const dx = ((map.placed.ox - ox) * k).toFixed(1);
  const dy = ((map.placed.oy - oy) * k).toFixed(1);
  for (const layer of screenLayers()) layer.setAttribute('transform', `translate(${dx} ${dy})`);
  drawBasemap(map.layers.base, view);
}

function niceDistance(maxM) {
  for (const m of [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100]) if (m <= maxM) return m;
  return 100;
}

function drawScale(view) {
  const midY = view.oy + view.height / 2 / view.k;
  const [, lat] = unproject(0, midY);
  const metresPerPx = metresPerUnit(lat) / view.k;
  const m = niceDistance(map.width * 0.25 * metresPerPx);
  const px = m / metresPerPx;
  const x = map.width - px - 14;
  const y = map.height - 14;
  const text = m >= 1000 ? t('map.scale', m / 1000) : t('map.scaleM', m);
  map.layers.scale.replaceChildren(
    svg('rect', { x: x - 6, y: y - 18, width: px + 12, height: 26, rx: 3, class: 'scale-bg' }),
    svg('path', { d: `M${x} ${y - 4}V${y}H${x + px}V${y - 4}` }),
    svg('text', { x: x + px / 2, y: y - 6, 'text-anchor': 'middle', text }),
  );
}

function placePick() {
  const layer = map.layers.pick;
  if (!map.picked) {
    layer.replaceChildren();
    return;
  }
  const { k, ox, oy } = map.placed;
  const x = (map.picked[0] - ox) * k;
  const y = (map.picked[1] - oy) * k;
  layer.replaceChildren(
    svg('circle', { cx: x, cy: y, r: 9, class: 'pick-halo' }),
    svg('circle', { cx: x, cy: y, r: 4, class: 'pick-dot' }),
  );
}

// ---------------------------------------------------------------- choosing

/** Chooses a district (or none) on the map: highlighted, and the near list filters to it. */
export function chooseDistrict(id) {
  map.chosen = id && map.districtPaths.has(id) ? id : null;
  for (const [did, path] of map.districtPaths) path.classList.toggle('is-chosen', did === map.chosen);
}

/** Marks a WGS-84 point on the map; `recentre` brings it into view. */
export function markPoint(lon, lat, recentre) {
  map.picked = project(lon, lat);
  placePick();
  if (recentre && map.panzoom) {
    const v = map.panzoom.view;
    const [x, y] = map.picked;
    if (x < v.ox || y < v.oy || x > v.ox + v.width / v.k || y > v.oy + v.height / v.k) map.panzoom.centreOn(x, y);
  }
  return map.geo ? districtAt(map.geo.districts, map.picked[0], map.picked[1])?.id ?? null : null;
}

/** The label point of a district, WGS-84, for a list "near the district". */
export function districtCentre(id) {
  const d = map.geo?.districts.find((x) => x.id === id);
  return d?.label ? unproject(d.label[0], d.label[1]) : null;
}

function onTap(x, y) {
  const v = map.panzoom.view;
  const [lon, lat] = unproject(v.ox + x / v.k, v.oy + y / v.k);
  const district = markPoint(lon, lat, false);
  chooseDistrict(district);
  nearPoint(lon, lat, { district, from: 'map' });
}

// ---------------------------------------------------------------- building

function buildFrame(host) {
  const layers = {
    base: svg('g', { class: 'map-base', 'aria-hidden': 'true' }),
    districts: svg('g', { class: 'map-district-shapes', 'aria-hidden': 'true' }),
    labels: svg('g', { class: 'map-labels', 'aria-hidden': 'true' }),
    leaders: svg('g', { class: 'map-leaders', 'aria-hidden': 'true' }),
    markers: svg('g', { class: 'map-markers' }),
    pick: svg('g', { class: 'map-pick', 'aria-hidden': 'true' }),
    scale: svg('g', { class: 'map-scale', 'aria-hidden': 'true' }),
  };
  layers.world = svg('g', { class: 'map-world' }, layers.base, layers.districts);
  const root = svg('svg', { class: 'map-svg' }, layers.world, layers.labels, layers.leaders, layers.markers, layers.pick, layers.scale);
  const zoom = (key, label, action) => {
    const button = el('button', { type: 'button', class: `map-zoom-${key}`, 'aria-label': t(label), title: t(label) });
    button.append(el('span', { 'aria-hidden': 'true', text: { in: '+', out: '−', home: '⌂' }[key] }));
    button.addEventListener('click', action);
    return button;
  };
  const frame = el('div', {
    class: 'map-frame',
    tabindex: '0',
    role: 'group',
    'aria-roledescription': t('map.roledescription'),
    'aria-label': t('map.label', state.stations.length),
    'aria-describedby': 'map-help map-summary',
  });
  const attribution = el('p', { class: 'map-attribution', hidden: true });
  // The zoom buttons come first in the tab order, before the markers.
  frame.append(
    el(
      'div',
      { class: 'map-zoom' },
      zoom('in', 'map.zoomIn', () => map.panzoom.zoomIn()),
      zoom('out', 'map.zoomOut', () => map.panzoom.zoomOut()),
      zoom('home', 'map.zoomHome', () => map.panzoom.reset()),
    ),
    root,
    attribution,
  );
  map.frame = frame;
  map.root = root;
  map.layers = layers;
  map.attribution = attribution;
  map.panzoom = createPanZoom(frame, { onChange: (view, zoomed) => (zoomed ? place(view) : shift(view)), onTap });
  host.replaceChildren(
    frame,
    el('p', { id: 'map-help', class: 'map-help', text: t('map.help') }),
    el('p', { id: 'map-summary', class: 'visually-hidden' }),
  );
}

function buildMarkers() {
  const r = map.radius;
  map.markers.clear();
  const stations = state.stations.filter((s) => state.filters.has(s.kind) && Number.isFinite(s.latitude) && Number.isFinite(s.longitude));
  // Air first so water sites (fewer, spread out) draw on top.
  stations.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  const nodes = [];
  for (const s of stations) {
    const shape = shapeFor(s.kind, r);
    const text = svg('text', { class: 'marker-text', 'text-anchor': 'middle', dy: '0.35em' });
    const name = stationName(s).text;
    const nameW = Math.max(40, name.length * (isEn() ? 7 : 13) + 12);
    const tag = svg(
      'g',
      { class: 'marker-tag', 'aria-hidden': 'true' },
      svg(
        'g',
        { class: 'marker-name', transform: `translate(0 ${-r * 1.6 - 6})` },
        svg('rect', { x: -nameW / 2, y: -11, width: nameW, height: 20, rx: 4 }),
        svg('text', { 'text-anchor': 'middle', dy: '0.35em', text: name }),
      ),
    );
    const group = svg('g', { class: 'marker' }, shape, text);
    const link = svg('a', { href: `#station/${encodeURIComponent(s.code)}`, class: `marker-link kind-${s.kind}`, 'data-station': s.code }, group);
    // The name shows on hover and focus; outside the link, so the link's
    // visible text stays what its accessible name says.
    nodes.push(link, tag);
    const [wx, wy] = project(s.longitude, s.latitude);
    map.markers.set(s.code, { link, group, tag, shape, text, wx, wy, fontSize: r });
    paintMarker(s.code);
  }
  map.layers.markers.replaceChildren(...nodes);
  return stations.length;
}

/** Draws the map for the current size, filters and language. */
export function renderMap() {
  const host = document.getElementById('map');
  if (!host) return;
  const focused = host.contains(document.activeElement) ? document.activeElement.getAttribute('data-station') : null;
  const frameFocused = map.frame != null && document.activeElement === map.frame;
  const width = Math.max(280, Math.round(host.clientWidth || 320));
  const phone = width < 520;
  const height = Math.round(Math.min(width * (phone ? 1.15 : 0.78), Math.max(360, Math.min(720, window.innerHeight * 0.78))));
  const resized = width !== map.width || height !== map.height;
  map.radius = phone ? 11 : 13;
  const keepView = map.frame && !resized ? { ...map.panzoom.view } : null;
  map.width = width;
  map.height = height;
  buildFrame(host);
  map.root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  map.root.setAttribute('width', width);
  map.root.setAttribute('height', height);
  const shown = buildMarkers();
  map.frame.setAttribute('aria-label', t('map.label', shown));
  drawDistricts();
  if (keepView) {
    fitHome();
    map.panzoom.restore(keepView);
  } else fitHome();
  // Keep keyboard focus where it was across a redraw.
  if (focused) map.markers.get(focused)?.link.focus();
  else if (frameFocused) map.frame.focus();
}

function paintMarker(code) {
  const m = map.markers.get(code);
  if (!m) return;
  const look = markerLook(code);
  m.shape.setAttribute('fill', look.fill);
  m.shape.setAttribute('stroke', look.stroke);
  m.shape.classList.toggle('is-stale', look.stale);
  m.text.textContent = look.label;
  m.text.setAttribute('fill', look.text);
  m.text.setAttribute('font-size', String(look.label.length > 2 ? m.fontSize * 0.78 : m.fontSize * 0.9));
  for (const name of ['data-aqi', 'data-level', 'data-water-class', 'data-supply']) m.group.removeAttribute(name);
  for (const [name, value] of Object.entries(look.data)) m.group.setAttribute(name, String(value));
  m.link.setAttribute('aria-label', markerAria(code, look.label));
}

/** Redraws the map if its width changed (phone rotated, window resized). */
export function resizeMap() {
  const host = document.getElementById('map');
  if (host && Math.abs((host.clientWidth || 0) - map.width) > 8) renderMap();
}

/** A station's state changed: its marker, its district's fill, its table row and near-list entry. */
export function updateStationOnMap(code) {
  paintMarker(code);
  if (state.stationByCode.get(code)?.kind === 'air') paintDistricts();
  updateRow(code);
  refreshNearRow(code);
}

/** Everything the map view draws. */
export function renderMapView() {
  renderMap();
  renderTable();
  renderLegend();
  renderNear();
}

/** The stale markers and statuses change with the clock. */
export function tickMap() {
  for (const code of new Set([...map.markers.keys(), ...rows.keys()])) {
    paintMarker(code);
    updateRow(code);
    refreshNearRow(code);
  }
  paintDistricts();
}
