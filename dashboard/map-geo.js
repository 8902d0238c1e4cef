// The map's geography: Shanghai's districts from geo/shanghai.topo.json
// (built by deploy/geodata/build.py from an official-boundary package),
// decoded from TopoJSON into SVG path data, and the projection shared by the
// districts, the markers and an optional tile basemap.
//
// The projection is Web Mercator in "world pixels at zoom 0" (the world is
// 256 units wide): the same grid as every slippy-map tile service, so a
// basemap lines up with no reprojection, and over one city it is
// conformal and near enough to true scale (the scale bar uses the local
// factor).

const TILE = 256;
const EARTH_CIRCUMFERENCE_M = 40075016.686;

/** WGS-84 longitude/latitude to world units. */
export function project(lon, lat) {
  const s = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * TILE, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * TILE];
}

/** World units back to longitude/latitude. */
export function unproject(x, y) {
  const lon = (x / TILE) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / TILE;
  return [lon, (180 / Math.PI) * Math.atan(Math.sinh(n))];
}

/** Metres on the ground per world unit at a latitude. */
export function metresPerUnit(lat) {
  return (EARTH_CIRCUMFERENCE_M / TILE) * Math.cos((lat * Math.PI) / 180);
}

/** Decoded arcs of a quantized TopoJSON topology, as world-unit points. */
function decodeArcs(topology) {
  const [sx, sy] = topology.transform?.scale ?? [1, 1];
  const [tx, ty] = topology.transform?.translate ?? [0, 0];
  return topology.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return project(x * sx + tx, y * sy + ty);
    });
  });
}

function ringPoints(arcs, indexes) {
  const points = [];
  for (const i of indexes) {
    const arc = i >= 0 ? arcs[i] : [...arcs[~i]].reverse();
    points.push(...(points.length ? arc.slice(1) : arc));
  }
  return points;
}

const round = (v) => Math.round(v * 10000) / 10000;

function ringPath(points) {
  return `M${points.map(([x, y]) => `${round(x)} ${round(y)}`).join('L')}Z`;
}

/**
 * The districts: { id, nameZh, label: [x, y], d: SVG path in world units,
 * rings: outer rings for hit tests }, and the bounds of them all.
 */
export function decodeDistricts(topology) {
  const arcs = decodeArcs(topology);
  const districts = [];
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const g of topology.objects?.districts?.geometries ?? []) {
    const polygons = g.type === 'Polygon' ? [g.arcs] : g.type === 'MultiPolygon' ? g.arcs : [];
    let d = '';
    const rings = [];
    for (const polygon of polygons) {
      polygon.forEach((ring, index) => {
        const points = ringPoints(arcs, ring);
        d += ringPath(points);
        rings.push({ points, hole: index > 0 });
        for (const [x, y] of points) {
          minX = Math.min(minX, x);
          minY = Math.min(minY, y);
          maxX = Math.max(maxX, x);
          maxY = Math.max(maxY, y);
        }
      });
    }
    const label = g.properties?.label;
    districts.push({
      id: String(g.properties?.id ?? g.id),
      nameZh: String(g.properties?.name_zh ?? ''),
      label: Array.isArray(label) ? project(label[0], label[1]) : null,
      d,
      rings,
    });
  }
  return { districts, bounds: { minX, minY, maxX, maxY } };
}

function inRing(points, x, y) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The district under a world point, or null (the sea, the neighbours). */
export function districtAt(districts, x, y) {
  for (const district of districts) {
    let inside = false;
    for (const ring of district.rings) if (inRing(ring.points, x, y)) inside = !inside;
    if (inside) return district;
  }
  return null;
}

/** The tiles at zoom `z` covering world box [x0, y0]-[x1, y1], with their world-unit boxes. */
export function tilesFor(z, x0, y0, x1, y1) {
  const n = 2 ** z;
  const size = TILE / n;
  const tiles = [];
  const clamp = (v) => Math.max(0, Math.min(n - 1, v));
  for (let ty = clamp(Math.floor(y0 / size)); ty <= clamp(Math.floor(y1 / size)); ty += 1) {
    for (let tx = clamp(Math.floor(x0 / size)); tx <= clamp(Math.floor(x1 / size)); tx += 1) {
      tiles.push({ z, x: tx, y: ty, left: tx * size, top: ty * size, size });
    }
  }
  return tiles;
}
