// The staff console: sign in, watch alarms live, draft, approve, update and
// cancel alert notices. Every request goes to /api/v1/staff/... with the
// session cookie (HttpOnly: this script never sees it); the browser adds the
// Origin header the server checks on every change. Text from the server is
// only ever set with textContent.
//
// An approver approves from the review panel, which shows the whole draft
// (every text in both languages, area, times, evidence link) and, for an
// update, what it changes against the issued version; the approval names
// the version and the content hash of exactly what the panel shows, so a
// draft edited meanwhile is refused (409) and must be reviewed again.

import { contentHash, safeLink } from './trust.js';
import { showForecasts } from './staff_forecast.js';

const API = '/api/v1/staff';
const $ = (selector) => document.querySelector(selector);

let me = null;
let live = null;

const can = {
  draft: () => me && (me.role === 'operator' || me.role === 'admin'),
  approve: () => me && (me.role === 'approver' || me.role === 'admin'),
};

function say(text, kind = 'info') {
  const node = $('#message');
  node.textContent = text;
  node.dataset.kind = kind;
}

async function call(method, path, body) {
  const options = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onclick') node.addEventListener('click', value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '';
}

// ---- sign-in ---------------------------------------------------------------

async function showSignedIn(user) {
  me = user;
  $('#login').hidden = true;
  $('#work').hidden = false;
  $('#who').hidden = false;
  $('#who-name').textContent = user.username;
  $('#who-role').textContent = user.role;
  $('#new-notice').hidden = !can.draft();
  document.body.dataset.role = user.role;
  await Promise.all([loadAlarms(), loadNotices(), showForecasts(user)]);
  openLive();
}

function showSignedOut() {
  me = null;
  live?.close();
  live = null;
  $('#login').hidden = false;
  $('#work').hidden = true;
  $('#who').hidden = true;
  delete document.body.dataset.role;
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const user = await call('POST', '/login', {
      username: form.get('username'),
      password: form.get('password'),
    });
    event.target.reset();
    say(`已登录 / Signed in as ${user.username}`);
    await showSignedIn(user);
  } catch (error) {
    say(error.message, 'error');
  }
});

$('#logout').addEventListener('click', async () => {
  try {
    await call('POST', '/logout');
  } finally {
    showSignedOut();
    say('已退出 / Signed out');
  }
});

// ---- alarms ----------------------------------------------------------------

async function loadAlarms() {
  const { alarms } = await call('GET', '/alarms');
  const rows = alarms.map((alarm) => {
    const actions = element('td');
    if (!alarm.acknowledged_at) {
      actions.append(element('button', {
        type: 'button', textContent: '确认 / Ack', dataset: { action: 'ack' },
        onclick: () => act(() => call('POST', `/alarms/${alarm.id}/ack`), '已确认 / Acknowledged'),
      }));
    }
    if (can.draft()) {
      actions.append(' ', element('button', {
        type: 'button', textContent: '起草公告 / Draft notice', dataset: { action: 'draft-from-alarm' },
        onclick: () => act(() => call('POST', `/alarms/${alarm.id}/draft`), '草稿已建 / Draft created'),
      }));
    }
    const name = alarm.station_name?.zh ? `${alarm.station} ${alarm.station_name.zh}` : alarm.station;
    return element('tr', { dataset: { alarmId: String(alarm.id), state: alarm.state } },
      element('td', { textContent: name }),
      element('td', { textContent: alarm.message, title: alarm.rule }),
      element('td', { textContent: alarm.state }),
      element('td', { textContent: alarm.worst ?? '' }),
      element('td', { textContent: when(alarm.raised_at) }),
      element('td', { textContent: alarm.acknowledged_by ?? '' }),
      actions);
  });
  $('#alarms tbody').replaceChildren(...rows);
}

function openLive() {
  live?.close();
  live = new EventSource(`${API}/live`);
  live.addEventListener('open', () => { $('#live-state').dataset.state = 'open'; });
  live.addEventListener('error', () => { $('#live-state').dataset.state = 'closed'; });
  live.addEventListener('alarm', () => { loadAlarms().catch(() => {}); });
}

// ---- notices ---------------------------------------------------------------

/** The notice's current state: its open draft, else its latest issued version. */
function current(notice) {
  const versions = notice.versions;
  const draft = versions.find((v) => v.state === 'draft');
  const issued = [...versions].reverse().find((v) => v.state !== 'draft');
  return { draft, issued, latest: versions[versions.length - 1] };
}

function noticeItem(notice) {
  const { draft, issued, latest } = current(notice);
  const content = latest.content;
  const item = element('li', { dataset: { noticeId: notice.id, state: latest.state } },
    element('span', { className: `sev sev-${content.severity}`, textContent: content.severity }),
    ' ',
    element('strong', { textContent: `${notice.id} v${latest.version}` }),
    element('span', { className: 'state', textContent: latest.state }),
    element('div', { textContent: `${content.headline.zh} / ${content.headline.en}` }),
    element('div', { textContent: `起草 / Drafted by ${latest.drafted_by}` +
      (latest.approved_by ? ` · 批准 / Approved by ${latest.approved_by}` : '') }));
  const buttons = element('div');
  const button = (label, action, handler) => buttons.append(
    element('button', { type: 'button', textContent: label, dataset: { action }, onclick: handler }), ' ');
  if (draft && can.draft()) {
    button('编辑草稿 / Edit draft', 'edit', () => openEditor('edit', notice.id, draft.content));
  }
  if (draft && can.approve() && draft.drafted_by !== me.username) {
    button('审核 / Review', 'review', () => openReview(notice));
  }
  if (issued && issued.state !== 'cancelled' && !draft && can.draft()) {
    button('更新 / Update', 'update', () => openEditor('update', notice.id, issued.content));
  }
  if (issued && issued.state !== 'cancelled' && can.approve()) {
    button('撤销 / Cancel', 'cancel', () => {
      if (window.confirm(`撤销 ${notice.id}? / Cancel ${notice.id}?`)) {
        act(() => call('POST', `/notices/${notice.id}/cancel`, {}), '已撤销 / Cancelled');
      }
    });
  }
  item.append(buttons);
  return item;
}

async function loadNotices() {
  const { notices } = await call('GET', '/notices');
  $('#notices').replaceChildren(...notices.map(noticeItem));
}

async function act(request, done) {
  try {
    await request();
    say(done);
    await Promise.all([loadAlarms(), loadNotices()]);
  } catch (error) {
    say(error.message, 'error');
    if (error.status === 401) showSignedOut();
    // A stale approval: show the draft as it is now, to be reviewed again.
    if (error.status === 409) loadNotices().catch(() => {});
  }
}

// ---- review and approval ---------------------------------------------------

const FIELDS = [
  ['severity', '级别 / Severity'],
  ['urgency', '紧迫性 / Urgency'],
  ['certainty', '确定性 / Certainty'],
  ['headline.zh', '标题（中文）'],
  ['headline.en', 'Headline (English)'],
  ['description.zh', '描述（中文）'],
  ['description.en', 'Description (English)'],
  ['instruction.zh', '建议（中文）'],
  ['instruction.en', 'Instruction (English)'],
  ['area.districts', '区 / Districts'],
  ['area.stations', '站点 / Stations'],
  ['effective', '生效 / Effective'],
  ['expires', '失效 / Expires'],
  ['evidence_url', '证据链接 / Evidence'],
];

function fieldValue(content, path) {
  const value = path.split('.').reduce((v, key) => (v == null ? v : v[key]), content);
  if (Array.isArray(value)) return value.join(', ');
  if (value == null) return '';
  if (path === 'effective' || path === 'expires') return `${when(value)} (${value})`;
  return String(value);
}

/** The evidence link as text, and as a link only when it is a safe one. */
function evidenceNode(url) {
  if (!url) return document.createTextNode('—');
  const safe = safeLink(url);
  if (!safe) return element('span', { className: 'unsafe', textContent: `${url} (不是安全链接 / not a safe link)` });
  return element('a', { href: safe, textContent: url, target: '_blank', rel: 'noopener noreferrer' });
}

let reviewing = null;

function openReview(notice) {
  const { draft, issued } = current(notice);
  reviewing = { id: notice.id, version: draft.version, content: draft.content, serverHash: draft.content_hash };
  $('#review-id').textContent = `${notice.id} v${draft.version}`;
  $('#review-hash').textContent = draft.content_hash;
  $('#review-fields').replaceChildren(...FIELDS.flatMap(([path, label]) => [
    element('dt', { textContent: label }),
    element('dd', { dataset: { field: path } },
      path === 'evidence_url' ? evidenceNode(draft.content.evidence_url) : fieldValue(draft.content, path)),
  ]));
  const changes = Array.isArray(draft.changes_from_issued) ? draft.changes_from_issued : [];
  const table = $('#review-changes');
  table.hidden = !issued;
  table.querySelector('tbody').replaceChildren(...(changes.length === 0
    ? [element('tr', {}, element('td', { colSpan: 3, textContent: '无改动 / No changes' }))]
    : changes.map((path) => element('tr', { dataset: { field: path } },
      element('td', { textContent: path }),
      element('td', { textContent: fieldValue(issued.content, path) }),
      element('td', { textContent: fieldValue(draft.content, path) })))));
  $('#review').hidden = false;
  $('#review-approve').focus();
}

function closeReview() {
  reviewing = null;
  $('#review').hidden = true;
}

$('#review-close').addEventListener('click', closeReview);

$('#review-approve').addEventListener('click', async () => {
  if (!reviewing) return;
  const { id, version, content, serverHash } = reviewing;
  // The hash of the text shown, computed here too where WebCrypto is
  // available: the page and the server must agree on what was reviewed.
  if (globalThis.crypto?.subtle) {
    const shown = await contentHash(content);
    if (shown !== serverHash) {
      say(`内容摘要不一致 / The content hash computed here (${shown}) differs from the server's (${serverHash}); not approved`, 'error');
      return;
    }
  }
  await act(async () => {
    try {
      await call('POST', `/notices/${id}/approve`, { version, content_hash: serverHash });
    } finally {
      closeReview();
    }
  }, '已发布 / Published');
});

// ---- the editor ------------------------------------------------------------

const LOCAL = (iso) => {
  // datetime-local wants Beijing wall time without an offset.
  const shanghai = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return shanghai.toISOString().slice(0, 16);
};
const FROM_LOCAL = (value) => new Date(`${value}:00+08:00`).toISOString();
const LIST = (text) => text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);

function openEditor(mode, id, content) {
  const form = $('#notice-form');
  form.reset();
  form.elements.mode.value = mode;
  form.elements.id.value = id ?? '';
  const now = new Date();
  const c = content ?? {
    severity: 'orange', urgency: 'Expected', certainty: 'Likely',
    headline: { zh: '', en: '' }, description: { zh: '', en: '' }, instruction: { zh: '', en: '' },
    area: { districts: [], stations: [] },
    effective: now.toISOString(), expires: new Date(now.getTime() + 24 * 3600_000).toISOString(),
  };
  for (const key of ['severity', 'urgency', 'certainty']) form.elements[key].value = c[key];
  for (const key of ['headline', 'description', 'instruction']) {
    form.elements[`${key}_zh`].value = c[key].zh;
    form.elements[`${key}_en`].value = c[key].en;
  }
  form.elements.districts.value = c.area.districts.join(', ');
  form.elements.stations.value = c.area.stations.join(', ');
  form.elements.effective.value = LOCAL(c.effective);
  form.elements.expires.value = LOCAL(c.expires);
  form.elements.evidence_url.value = c.evidence_url ?? '';
  $('#editor').hidden = false;
  form.elements.headline_zh.focus();
}

$('#new-notice').addEventListener('click', () => openEditor('new'));
$('#close-editor').addEventListener('click', () => { $('#editor').hidden = true; });

$('#notice-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  const content = {
    severity: f.severity.value, urgency: f.urgency.value, certainty: f.certainty.value,
    headline: { zh: f.headline_zh.value, en: f.headline_en.value },
    description: { zh: f.description_zh.value, en: f.description_en.value },
    instruction: { zh: f.instruction_zh.value, en: f.instruction_en.value },
    area: { districts: LIST(f.districts.value), stations: LIST(f.stations.value) },
    effective: FROM_LOCAL(f.effective.value),
    expires: FROM_LOCAL(f.expires.value),
    evidence_url: f.evidence_url.value.trim() || null,
  };
  const id = f.id.value;
  const request = {
    new: () => call('POST', '/notices', { content }),
    edit: () => call('PUT', `/notices/${id}/draft`, { content }),
    update: () => call('POST', `/notices/${id}/update`, { content }),
  }[f.mode.value];
  await act(async () => {
    await request();
    $('#editor').hidden = true;
  }, '草稿已保存，待他人批准 / Draft saved; another person must approve it');
});

// ---- start -----------------------------------------------------------------

(async () => {
  try {
    await showSignedIn(await call('GET', '/me'));
  } catch {
    showSignedOut();
  }
  document.body.dataset.ready = 'true';
})();
