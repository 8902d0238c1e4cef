// Pan and zoom of the map by mouse (drag, wheel), touch (one finger drags,
// two pinch) and keyboard (arrows, + and -, 0 to reset). The view is a
// scale `k` (screen pixels per world unit) and the world point at the
// frame's top-left corner; every change goes to `onChange`, which moves
// layers with transforms: nothing is redrawn.

const KEY_PAN_PX = 80;
const KEY_ZOOM = 1.5;
/** Movement under this many pixels is a tap, not a drag. */
const TAP_SLOP_PX = 6;

/**
 * @param {HTMLElement} frame the focusable element holding the map
 * @param {{ onChange: (view: object, zoomed: boolean) => void, onTap: (x: number, y: number, target: EventTarget) => void }} handlers
 */
export function createPanZoom(frame, { onChange, onTap }) {
  const view = { k: 1, ox: 0, oy: 0, width: 1, height: 1, minK: 1, maxK: 16, home: null };
  const pointers = new Map();
  let gesture = null;
  let dragged = false;
  let frameRequested = false;
  let pendingZoom = false;

  const notify = (zoomed) => {
    pendingZoom = pendingZoom || zoomed;
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      const z = pendingZoom;
      pendingZoom = false;
      onChange(view, z);
    });
  };

  /** Keeps some of the city in sight: the view may not leave the home box. */
  function clampPan() {
    if (!view.home) return;
    const { minX, minY, maxX, maxY } = view.home;
    const w = view.width / view.k;
    const h = view.height / view.k;
    view.ox = Math.min(maxX - w * 0.2, Math.max(minX - w * 0.8, view.ox));
    view.oy = Math.min(maxY - h * 0.2, Math.max(minY - h * 0.8, view.oy));
  }

  function zoomAt(factor, sx, sy) {
    const k = Math.min(view.maxK, Math.max(view.minK, view.k * factor));
    if (k === view.k) return;
    // The world point under (sx, sy) stays under it.
    const wx = view.ox + sx / view.k;
    const wy = view.oy + sy / view.k;
    view.k = k;
    view.ox = wx - sx / k;
    view.oy = wy - sy / k;
    clampPan();
    notify(true);
  }

  function panBy(dx, dy) {
    view.ox -= dx / view.k;
    view.oy -= dy / view.k;
    clampPan();
    notify(false);
  }

  /** Fits world box `home` into a frame of `width` x `height` pixels. */
  function fit(home, width, height, pad) {
    view.home = home;
    view.width = width;
    view.height = height;
    const k = Math.min((width - 2 * pad) / (home.maxX - home.minX), (height - 2 * pad) / (home.maxY - home.minY));
    view.k = k;
    view.minK = k * 0.75;
    view.maxK = k * 24;
    view.ox = (home.minX + home.maxX) / 2 - width / 2 / k;
    view.oy = (home.minY + home.maxY) / 2 - height / 2 / k;
    onChange(view, true);
  }

  const local = (event) => {
    const box = frame.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };

  frame.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    pointers.set(event.pointerId, local(event));
    dragged = false;
    if (pointers.size === 1) gesture = { start: local(event), last: local(event) };
    else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      gesture = { pinch: Math.hypot(a[0] - b[0], a[1] - b[1]), mid: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
      dragged = true;
    }
  });

  frame.addEventListener('pointermove', (event) => {
    if (!pointers.has(event.pointerId) || !gesture) return;
    const p = local(event);
    pointers.set(event.pointerId, p);
    if (pointers.size === 1 && gesture.last) {
      if (!dragged && Math.hypot(p[0] - gesture.start[0], p[1] - gesture.start[1]) < TAP_SLOP_PX) return;
      if (!dragged) {
        dragged = true;
        // Captured only once it is a drag: a tap on a marker stays a click on its link.
        frame.setPointerCapture?.(event.pointerId);
        frame.classList.add('is-dragging');
      }
      panBy(p[0] - gesture.last[0], p[1] - gesture.last[1]);
      gesture.last = p;
    } else if (pointers.size === 2 && gesture.pinch) {
      const [a, b] = [...pointers.values()];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
      const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      panBy(mid[0] - gesture.mid[0], mid[1] - gesture.mid[1]);
      if (gesture.pinch > 0) zoomAt(dist / gesture.pinch, mid[0], mid[1]);
      gesture.pinch = dist;
      gesture.mid = mid;
    }
  });

  const release = (event) => {
    pointers.delete(event.pointerId);
    frame.classList.remove('is-dragging');
    if (pointers.size === 1) {
      const [p] = [...pointers.values()];
      gesture = { start: p, last: p };
    } else if (pointers.size === 0) gesture = null;
  };
  frame.addEventListener('pointerup', release);
  frame.addEventListener('pointercancel', release);

  // A click that ended a drag is not a tap.
  frame.addEventListener(
    'click',
    (event) => {
      if (dragged) {
        dragged = false;
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      if (event.target.closest?.('a, button')) return;
      const [x, y] = local(event);
      onTap(x, y, event.target);
    },
    true,
  );

  frame.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const [x, y] = local(event);
      const lines = event.deltaMode === 1 ? 16 : 1;
      zoomAt(Math.exp(-event.deltaY * lines * 0.002), x, y);
    },
    { passive: false },
  );

  frame.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const centre = [view.width / 2, view.height / 2];
    const actions = {
      ArrowLeft: () => panBy(KEY_PAN_PX, 0),
      ArrowRight: () => panBy(-KEY_PAN_PX, 0),
      ArrowUp: () => panBy(0, KEY_PAN_PX),
      ArrowDown: () => panBy(0, -KEY_PAN_PX),
      '+': () => zoomAt(KEY_ZOOM, ...centre),
      '=': () => zoomAt(KEY_ZOOM, ...centre),
      '-': () => zoomAt(1 / KEY_ZOOM, ...centre),
      _: () => zoomAt(1 / KEY_ZOOM, ...centre),
      0: () => view.home && fit(view.home, view.width, view.height, view.pad ?? 0),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  return {
    view,
    fit: (home, width, height, pad) => {
      view.pad = pad;
      fit(home, width, height, pad);
    },
    zoomIn: () => zoomAt(KEY_ZOOM, view.width / 2, view.height / 2),
    zoomOut: () => zoomAt(1 / KEY_ZOOM, view.width / 2, view.height / 2),
    reset: () => view.home && fit(view.home, view.width, view.height, view.pad ?? 0),
    /** Back to a view saved before a rebuild of the same size. */
    restore: (saved) => {
      Object.assign(view, { k: saved.k, ox: saved.ox, oy: saved.oy });
      onChange(view, true);
    },
    /** Pans so world point (x, y) is in the middle. */
    centreOn: (x, y) => {
      view.ox = x - view.width / 2 / view.k;
      view.oy = y - view.height / 2 / view.k;
      onChange(view, true);
    },
  };
}
