// Notices are verified, not believed, in the browser too. Every alert notice
// is shown only when its Ed25519 signature verifies (WebCrypto) against a key
// the server publishes at /api/v1/alerts/public-key and that is valid now;
// anything else is dropped with a console warning. Links in a notice are
// rendered only when they are http(s) or a path on this site.
//
// The signed bytes are the notice's canonical JSON (RFC 8785, JCS) without
// its `signature` member: JSON.stringify writes strings and numbers exactly
// as JCS does, and the default sort orders keys by UTF-16 code units, as
// JCS does. The server computes the same (envmon-core alert::canonical).
//
// Used by the dashboard (notices.js), the embed widget (embed.js, by dynamic
// import) and the staff console (the content hash an approval names).

let keysUrl = '/api/v1/alerts/public-key';
/** Longest link rendered, as on the server. */
const MAX_LINK = 2000;
/** How long after a failed or outdated key list it is fetched again. */
const REFETCH_MS = 60_000;

/** The RFC 8785 canonical JSON text of `value` (parsed JSON). */
export function canonicalize(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalize(value[key])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('not a JSON number');
  return JSON.stringify(value);
}

function hexBytes(hex, length) {
  if (typeof hex !== 'string' || !new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(hex)) return null;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function toHex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The SHA-256 (hex) of `value`'s canonical JSON: a notice content's hash. */
export async function contentHash(value) {
  const bytes = new TextEncoder().encode(canonicalize(value));
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * A link a notice may carry, resolved, or null: an http(s) URL with a host,
 * or a path on this site. The same rule as envmon-core alert::link.
 */
export function safeLink(url) {
  if (typeof url !== 'string' || url === '' || url.length > MAX_LINK) return null;
  // Whitespace, control characters, and backslashes (read as slashes).
  if (/[\s\u0000-\u001f\u007f-\u009f\\]/u.test(url)) return null;
  const lower = url.toLowerCase();
  const prefix = ['https://', 'http://'].find((p) => lower.startsWith(p));
  if (prefix) {
    const rest = url.slice(prefix.length);
    if (rest === '' || '/?#'.includes(rest[0])) return null;
  } else if (!url.startsWith('/') || url.startsWith('//')) {
    return null;
  }
  let parsed;
  try {
    parsed = new URL(url, location.origin);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (!prefix && parsed.origin !== location.origin) return null;
  return parsed.href;
}

// ---- the trusted keys -------------------------------------------------------

/** Where the key list is, when the page is served under a path prefix. */
export function setKeysUrl(url) {
  keysUrl = url;
}

const ring = { keys: null, loading: null, fetchedAt: 0 };

function validAt(entry, now) {
  return (entry.notBefore == null || entry.notBefore <= now) && (entry.notAfter == null || now <= entry.notAfter);
}

async function fetchKeys() {
  const response = await fetch(keysUrl, { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${keysUrl}: HTTP ${response.status}`);
  const data = await response.json();
  const listed = Array.isArray(data.keys) ? data.keys : [{ public_key: data.public_key }];
  const keys = [];
  for (const item of listed) {
    const bytes = hexBytes(item?.public_key, 32);
    if (!bytes) continue;
    const key = await crypto.subtle.importKey('raw', bytes, { name: 'Ed25519' }, false, ['verify']);
    keys.push({
      hex: item.public_key.toLowerCase(),
      key,
      notBefore: item.not_before ? Date.parse(item.not_before) : null,
      notAfter: item.not_after ? Date.parse(item.not_after) : null,
    });
  }
  return keys;
}

/** The trusted keys; fetched once, again after a failure or when asked. */
async function trustedKeys(refresh = false) {
  const stale = Date.now() - ring.fetchedAt > REFETCH_MS;
  if (ring.keys && !(refresh && stale)) return ring.keys;
  if (!ring.loading) {
    ring.loading = fetchKeys()
      .then((keys) => {
        ring.keys = keys;
        return keys;
      })
      .finally(() => {
        ring.fetchedAt = Date.now();
        ring.loading = null;
      });
  }
  return ring.loading;
}

let noCrypto = false;

/**
 * Why `notice` must not be shown, or null when its signature verifies with a
 * key trusted now. Never throws.
 */
export async function distrust(notice) {
  try {
    if (!globalThis.crypto?.subtle) {
      if (!noCrypto) console.warn('envmon: this page cannot verify notices (no WebCrypto: is it served over https?)');
      noCrypto = true;
      return 'no WebCrypto';
    }
    if (notice === null || typeof notice !== 'object' || Array.isArray(notice)) return 'not a notice';
    const signature = notice.signature;
    if (signature?.algorithm !== 'Ed25519') return 'unsigned';
    const value = hexBytes(signature.value, 64);
    const named = typeof signature.public_key === 'string' ? signature.public_key.toLowerCase() : '';
    if (!value) return 'malformed signature';
    let keys = await trustedKeys();
    if (!keys.some((k) => k.hex === named)) keys = await trustedKeys(true);
    const now = Date.now();
    const candidates = keys.filter((k) => k.hex === named);
    if (candidates.length === 0) return `signed by an untrusted key ${named}`;
    const valid = candidates.filter((k) => validAt(k, now));
    if (valid.length === 0) return `signed by key ${named}, which is not valid now`;
    const { signature: _, ...signed } = notice;
    const bytes = new TextEncoder().encode(canonicalize(signed));
    for (const k of valid) {
      if (await crypto.subtle.verify({ name: 'Ed25519' }, k.key, value, bytes)) return null;
    }
    return 'the signature does not match: altered';
  } catch (error) {
    return `cannot verify: ${error?.message ?? error}`;
  }
}

/** Whether `notice` may be shown; warns on the console when not. */
export async function isTrusted(notice) {
  const why = await distrust(notice);
  if (why) console.warn(`envmon: notice ${String(notice?.id ?? '?')} v${String(notice?.version ?? '?')} not shown: ${why}`);
  return why === null;
}
