// The live connection: one WebSocket to /api/v1/live, reopened with
// exponential backoff and jitter when it drops, resuming from the last
// `epoch:seq` received so the server sends only what was missed. The first
// snapshot may come over compressed HTTP instead (`loadFirstSnapshot`): the
// socket then opens resuming from it.

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 15000;
/** How long the socket waits for the snapshot over HTTP before opening without it. */
const FIRST_SNAPSHOT_WAIT_MS = 3000;

const live = {
  socket: null,
  timer: null,
  attempt: 0,
  epoch: null,
  seq: null,
  snapshots: 0,
  onMessage: () => {},
  onState: () => {},
};

function liveUrl() {
  const url = new URL('api/v1/live', document.baseURI);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (live.epoch != null && live.seq != null) url.searchParams.set('resume', `${live.epoch}:${live.seq}`);
  return url.href;
}

function remember(msg) {
  if (typeof msg.epoch === 'string' && Number.isInteger(msg.seq)) {
    if (msg.epoch !== live.epoch) {
      live.epoch = msg.epoch;
      live.seq = msg.seq;
    } else if (live.seq == null || msg.seq > live.seq) {
      live.seq = msg.seq;
    }
  }
  const node = document.getElementById('connection');
  if (node) {
    if (live.epoch != null) node.dataset.epoch = live.epoch;
    if (live.seq != null) node.dataset.seq = String(live.seq);
    node.dataset.snapshots = String(live.snapshots);
  }
}

/** Takes in a snapshot: it starts a new numbering when the epoch changed. */
function restart(msg) {
  live.epoch = null;
  live.seq = null;
  live.snapshots += 1;
  remember(msg);
}

function handle(data) {
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return;
  }
  if (!msg || typeof msg !== 'object') return;
  // Something arrived: the connection works, so the next drop starts the backoff afresh.
  live.attempt = 0;
  if (msg.type === 'snapshot') restart(msg);
  else remember(msg);
  live.onMessage(msg);
}

/**
 * The stream's snapshot over HTTP (`/api/v1/live/snapshot`), gzip-compressed:
 * some 20 times fewer bytes than the same message over the socket, which
 * has no compression. `null` when it could not be had; the socket's own
 * snapshot then serves.
 */
async function loadFirstSnapshot() {
  try {
    const url = new URL('api/v1/live/snapshot', document.baseURI);
    // Not `cache: 'no-store'`: the page preloads this very request (index.html), and the
    // answer's own Cache-Control: no-store keeps it out of the HTTP cache.
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const msg = await response.json();
    return msg?.type === 'snapshot' && typeof msg.epoch === 'string' && Number.isInteger(msg.seq) ? msg : null;
  } catch (err) {
    console.warn('envmon: the first snapshot over HTTP failed; the live connection brings it', err);
    return null;
  }
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
    if (live.socket === socket) live.onState('open');
  });
  socket.addEventListener('message', (event) => {
    if (live.socket === socket && typeof event.data === 'string') handle(event.data);
  });
  socket.addEventListener('close', () => {
    if (live.socket !== socket) return;
    live.socket = null;
    live.onState('closed');
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

/** The network came back or the tab became visible: do not wait out the backoff. */
function reconnectSoon() {
  if (!live.socket && live.timer) connect();
}

/** Closes the socket as a network failure would; the page reconnects and resumes. */
export function dropConnection() {
  live.socket?.close();
}

/**
 * Starts the connection: the first snapshot over HTTP, then the socket
 * resuming after it (without it when it fails or takes longer than
 * FIRST_SNAPSHOT_WAIT_MS). `onMessage(msg)` gets every parsed message,
 * `onState` 'connecting' | 'open' | 'closed'.
 */
export function startLive(onMessage, onState) {
  live.onMessage = onMessage;
  live.onState = onState;
  window.addEventListener('online', reconnectSoon);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reconnectSoon();
  });
  let opened = false;
  const open = (first) => {
    if (opened) return;
    opened = true;
    if (first) {
      restart(first);
      live.onMessage(first);
    }
    connect();
  };
  loadFirstSnapshot().then(open);
  setTimeout(() => open(null), FIRST_SNAPSHOT_WAIT_MS);
}
