// Public alert notices (the live protocol's `notices` and `notice` messages)
// as a banner in the level's colour, in the visitor's language. Each is
// shown only once its signature verifies (trust.js); messages are taken in
// the order they came, each after the one before it was checked.

import { isEn, joinList, pick, t } from './i18n.js';
import { asArray, el, formatFullTime, isObject, timeMs } from './format.js';
import { state } from './store.js';
import { stationName } from './station.js';
import { isTrusted, safeLink, setKeysUrl } from './trust.js';

setKeysUrl(new URL('api/v1/alerts/public-key', document.baseURI).href);

/** Notice messages, checked one after another in arrival order. */
let checking = Promise.resolve();

function inTurn(task) {
  checking = checking.then(task).catch((error) => console.warn('envmon: notice handling failed', error));
  return checking;
}

/** Verifies a snapshot's notices, then replaces the held ones with those that verify. */
export function receiveNoticeSnapshot(list, done) {
  return inTurn(async () => {
    const notices = asArray(list);
    const trusted = await Promise.all(notices.map((n) => isTrusted(n)));
    applyNoticeSnapshot(notices.filter((_, i) => trusted[i]));
    done();
  });
}

/** Verifies one notice message; if it verifies, folds it in and calls `done(what)`. */
export function receiveNotice(notice, done) {
  return inTurn(async () => {
    if (await isTrusted(notice)) done(applyNotice(notice));
  });
}

const SEVERITIES = ['red', 'orange', 'yellow', 'blue'];

/** A notice is active while published or updated and not yet expired. */
export function isActive(notice) {
  return (
    isObject(notice) &&
    (notice.status === 'published' || notice.status === 'updated') &&
    timeMs(notice.expires) > Date.now()
  );
}

function validNotice(n) {
  return isObject(n) && typeof n.id === 'string' && n.id !== '';
}

/** Replaces the notices with a snapshot's. */
export function applyNoticeSnapshot(list) {
  state.notices = new Map();
  for (const n of asArray(list)) if (validNotice(n) && isActive(n)) state.notices.set(n.id, n);
}

/**
 * Folds in one notice version. Returns what a screen reader should hear
 * ('new', 'ended' or null); an older version than the one held is ignored.
 */
export function applyNotice(n) {
  if (!validNotice(n)) return null;
  const held = state.notices.get(n.id);
  if (held && Number(held.version) > Number(n.version)) return null;
  if (isActive(n)) {
    state.notices.set(n.id, n);
    return 'new';
  }
  if (held) {
    state.notices.delete(n.id);
    return 'ended';
  }
  return null;
}

/** Drops the notices whose time has run out; true if any went. */
export function expireNotices() {
  let changed = false;
  for (const [id, n] of state.notices) {
    if (!isActive(n)) {
      state.notices.delete(id);
      changed = true;
    }
  }
  return changed;
}

export function severityName(n) {
  return SEVERITIES.includes(n.severity) ? t(`sev.${n.severity}`) : String(n.severity ?? '');
}

export function headlineOf(n) {
  return pick(n.headline?.zh, n.headline?.en);
}

function areaText(n) {
  // Districts come by their Chinese name (or English): named in the visitor's
  // language where the registry knows the district.
  const districts = asArray(n.area?.districts)
    .filter((d) => typeof d === 'string')
    .map((d) => {
      const s = state.stations.find((x) => x.district_zh === d || x.district_en?.toLowerCase() === d.toLowerCase());
      return s ? pick(s.district_zh, s.district_en).text : d;
    });
  const stations = asArray(n.area?.stations)
    .filter((s) => typeof s === 'string')
    .map((code) => {
      const station = state.stationByCode.get(code);
      return station ? stationName(station).text : code;
    });
  const all = [...districts, ...stations];
  return all.length ? joinList(all) : t('alert.city');
}

function noticeNode(n) {
  const severity = SEVERITIES.includes(n.severity) ? n.severity : 'blue';
  const headline = headlineOf(n);
  const description = pick(n.description?.zh, n.description?.en);
  const instruction = pick(n.instruction?.zh, n.instruction?.en);
  const id = `alert-${String(n.id).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const level = el('p', { class: 'alert-level' }, el('span', { class: 'alert-chip', text: severityName(n) }));
  if (n.status === 'updated') level.append(' ', el('span', { class: 'alert-updated', text: t('alert.updated') }));
  const sep = isEn() ? ' · ' : ' · ';
  const meta = el(
    'p',
    { class: 'alert-meta' },
    el('span', { text: `${t('alert.area')}${isEn() ? ': ' : '：'}${areaText(n)}` }),
    sep,
    el('span', { text: t('alert.valid', formatFullTime(n.effective ?? n.published_at), formatFullTime(n.expires)) }),
  );
  const more = [];
  if (instruction.text) more.push(el('p', { class: 'alert-instruction', lang: instruction.lang, text: instruction.text }));
  if (description.text) more.push(el('p', { class: 'alert-description', lang: description.lang, text: description.text }));
  // Links only where they are web links or paths on this site.
  const evidence = safeLink(n.evidence_url);
  if (evidence) more.push(el('p', {}, el('a', { href: evidence, text: t('alert.evidence') })));
  const cap = safeLink(n.cap_url);
  if (cap) more.push(el('p', {}, el('a', { href: cap, text: t('alert.cap') })));
  return el(
    'article',
    { class: `alert sev-${severity}`, 'data-notice': n.id, 'data-severity': severity, 'aria-labelledby': id },
    level,
    el('h2', { class: 'alert-headline', id, lang: headline.lang, text: headline.text }),
    meta,
    more.length ? el('details', { class: 'alert-more' }, el('summary', {}, el('span', { text: t('alert.more') })), ...more) : null,
  );
}

export function renderNotices() {
  const host = document.getElementById('alerts');
  if (!host) return;
  const list = [...state.notices.values()].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      timeMs(b.published_at) - timeMs(a.published_at),
  );
  // Keep the open state of the details the visitor opened.
  const open = new Set([...host.querySelectorAll('details[open]')].map((d) => d.closest('[data-notice]')?.dataset.notice));
  const nodes = list.map(noticeNode);
  for (const node of nodes) if (open.has(node.dataset.notice)) node.querySelector('details')?.setAttribute('open', '');
  host.replaceChildren(...nodes);
  host.hidden = nodes.length === 0;
}
