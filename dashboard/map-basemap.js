// An optional tile basemap under the districts, for online deployments that
// configure one (`[publisher.basemap]`: a tile URL template with {z}, {x}
// and {y}, and its attribution). Without one, nothing here requests
// anything from another origin. Tiles are Web Mercator, the map's own
// projection, so they sit in the world layer as plain SVG images.

import { tilesFor } from './map-geo.js';
import { svg } from './map-markers.js';

/** The most tiles drawn at once (a large screen at a fractional zoom). */
const MAX_TILES = 80;

let config = null;
let loading = null;

/** The configured basemap, or null; asked of the server once. */
export function loadBasemap() {
  if (!loading) {
    loading = fetch(new URL('api/v1/map', document.baseURI), { headers: { Accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        const b = body?.basemap;
        if (b && typeof b.tiles === 'string' && /\{z\}/.test(b.tiles) && /\{x\}/.test(b.tiles) && /\{y\}/.test(b.tiles)) {
          config = {
            tiles: b.tiles,
            attribution: typeof b.attribution === 'string' ? b.attribution : '',
            maxZoom: Number.isInteger(b.max_zoom) ? b.max_zoom : 18,
          };
        }
        return config;
      })
      .catch(() => null);
  }
  return loading;
}

/** Places the tiles for `view` in `layer` (world units), reusing those still in sight. */
export function drawBasemap(layer, view) {
  if (!config || !layer) return;
  const z = Math.max(0, Math.min(config.maxZoom, Math.round(Math.log2(view.k))));
  const tiles = tilesFor(z, view.ox, view.oy, view.ox + view.width / view.k, view.oy + view.height / view.k);
  if (tiles.length > MAX_TILES) return;
  const existing = new Map([...layer.children].map((node) => [node.dataset.tile, node]));
  const wanted = [];
  for (const tile of tiles) {
    const key = `${tile.z}/${tile.x}/${tile.y}`;
    let node = existing.get(key);
    if (!node) {
      const href = config.tiles.replace('{z}', tile.z).replace('{x}', tile.x).replace('{y}', tile.y);
      // Half a screen pixel of overlap: no hairline seams between tiles.
      const overlap = 0.5 / view.k;
      node = svg('image', { href, x: tile.left, y: tile.top, width: tile.size + overlap, height: tile.size + overlap, preserveAspectRatio: 'none' });
      node.dataset.tile = key;
    }
    wanted.push(node);
  }
  layer.replaceChildren(...wanted);
}
