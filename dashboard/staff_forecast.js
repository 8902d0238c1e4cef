// The staff console's forecasts: draft a forecast for the city or a district
// (the next 1–3 days, whole or in parts: AQI range, primary pollutants, text
// in both languages), have another person review and approve exactly that
// text, update or withdraw an issued one, and see how good past forecasts were. The same
// rules as notices: the approval names the draft's version and content hash
// (computed here too), so a draft edited meanwhile is refused (409).
//
// staff.js calls `showForecasts(user)` after sign-in; everything else lives
// in the #forecasts section this module fills.

import { contentHash } from './trust.js';

const API = '/api/v1/staff/forecasts';
const POLLUTANTS = ['pm25', 'pm10', 'o3_8h', 'o3', 'no2', 'so2', 'co'];

let me = null;
let areas = [];
let reviewing = null;

const can = {
  draft: () => me && (me.role === 'operator' || me.role === 'admin'),
  approve: () => me && (me.role === 'approver' || me.role === 'admin'),
};

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onclick') node.addEventListener('click', value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

const host = () => document.getElementById('forecasts');
const part = (name) => host().querySelector(`[data-part="${name}"]`);

function say(text, kind = 'info') {
  const node = document.getElementById('message');
  node.textContent = text;
  node.dataset.kind = kind;
}

async function call(method, path, body) {
  const options = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error?.message ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

/** Beijing's day `offset` days from today, YYYY-MM-DD. */
function beijingDay(offset) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offset * 86_400_000));
}

const areaName = (id) => {
  const area = areas.find((a) => a.id === id);
  return area ? `${area.name_zh} ${area.name_en}` : id;
};

function daySummary(d) {
  return `${d.day}${d.part ? ` ${d.part}` : ''}: AQI ${d.aqi_low}–${d.aqi_high}` +
    `${d.primary?.length ? ` · ${d.primary.join(', ')}` : ''} · ${d.text.zh} / ${d.text.en}`;
}

// ---- the list --------------------------------------------------------------

function forecastItem(forecast, current) {
  const versions = forecast.versions;
  const draft = versions.find((v) => v.state === 'draft');
  const issued = [...versions].reverse().find((v) => v.state !== 'draft');
  const latest = versions[versions.length - 1];
  const shown = issued && issued.state !== 'withdrawn' && !current.includes(forecast.id) ? 'superseded' : latest.state;
  const item = element('li', { dataset: { forecastId: forecast.id, state: latest.state } },
    element('strong', { textContent: `${forecast.id} v${latest.version}` }),
    ' ', element('span', { textContent: areaName(forecast.area) }),
    element('span', { className: 'state', textContent: shown }),
    element('ul', {}, ...latest.content.days.map((d) => element('li', { textContent: daySummary(d) }))),
    element('div', { textContent: `起草 / Drafted by ${latest.drafted_by}` +
      (latest.approved_by ? ` · 批准 / Approved by ${latest.approved_by}` : '') }));
  const buttons = element('div');
  const button = (label, action, handler) => buttons.append(
    element('button', { type: 'button', textContent: label, dataset: { action }, onclick: handler }), ' ');
  if (draft && can.draft()) button('编辑草稿 / Edit draft', 'edit', () => openEditor('edit', forecast.id, draft.content));
  if (draft && can.approve() && draft.drafted_by !== me.username) {
    button('审核 / Review', 'review', () => openReview(forecast.id, draft));
  }
  if (issued && issued.state !== 'withdrawn' && !draft && can.draft()) {
    button('更新 / Update', 'update', () => openEditor('update', forecast.id, issued.content));
  }
  if (issued && issued.state !== 'withdrawn' && can.approve()) {
    button('撤回 / Withdraw', 'withdraw', () => {
      if (window.confirm(`撤回 ${forecast.id}? / Withdraw ${forecast.id}?`)) {
        act(() => call('POST', `${API}/${forecast.id}/withdraw`, {}), '已撤回 / Withdrawn');
      }
    });
  }
  item.append(buttons);
  return item;
}

async function loadForecasts() {
  const data = await call('GET', API);
  areas = data.areas ?? [];
  part('list').replaceChildren(...data.forecasts.map((f) => forecastItem(f, data.current ?? [])));
}

async function act(request, done) {
  try {
    await request();
    say(done);
  } catch (error) {
    say(error.message, 'error');
  }
  await Promise.all([loadForecasts(), loadScores()]).catch(() => {});
}

// ---- review and approval ---------------------------------------------------

function openReview(id, draft) {
  reviewing = { id, version: draft.version, content: draft.content, serverHash: draft.content_hash };
  const panel = part('review');
  panel.querySelector('[data-review-id]').textContent = `${id} v${draft.version} · ${areaName(draft.content.area)}`;
  panel.querySelector('[data-review-hash]').textContent = draft.content_hash;
  panel.querySelector('tbody').replaceChildren(...draft.content.days.map((d) => element('tr', { dataset: { day: d.day } },
    element('td', { textContent: `${d.day}${d.part ? ` ${d.part}` : ''}` }),
    element('td', { textContent: `${d.aqi_low}–${d.aqi_high}` }),
    element('td', { textContent: (d.primary ?? []).join(', ') }),
    element('td', { textContent: d.text.zh }),
    element('td', { textContent: d.text.en }))));
  panel.hidden = false;
  panel.querySelector('[data-action="approve-forecast"]').focus();
}

async function approveReviewed() {
  if (!reviewing) return;
  const { id, version, content, serverHash } = reviewing;
  if (globalThis.crypto?.subtle) {
    const shown = await contentHash(content);
    if (shown !== serverHash) {
      say(`内容摘要不一致 / The content hash computed here (${shown}) differs from the server's (${serverHash}); not approved`, 'error');
      return;
    }
  }
  reviewing = null;
  part('review').hidden = true;
  await act(() => call('POST', `${API}/${id}/approve`, { version, content_hash: serverHash }), '预报已发布 / Forecast published');
}

// ---- the editor ------------------------------------------------------------

const PARTS = [['', '全天 / whole day'], ['morning', '上午 / morning'], ['afternoon', '下午 / afternoon'], ['night', '夜间 / night']];

function partSelect(index, chosen) {
  const select = element('select', { name: `part_${index}` },
    ...PARTS.map(([value, label]) => element('option', { value, textContent: label })));
  select.value = chosen;
  return select;
}

function dayRow(index, d) {
  const field = (name, props) => element('input', { name: `${name}_${index}`, ...props });
  return element('fieldset', { className: 'row', dataset: { dayRow: String(index) } },
    element('legend', { textContent: `第 ${index + 1} 天 / Day ${index + 1}` }),
    element('label', { textContent: '包含 / Include ' }, field('use', { type: 'checkbox', checked: d != null })),
    element('label', { textContent: '日期 / Day ' }, field('day', { type: 'date', value: d?.day ?? beijingDay(index + 1) })),
    element('label', { textContent: '时段 / Part ' }, partSelect(index, d?.part ?? '')),
    element('label', { textContent: 'AQI 下限 / low ' }, field('low', { type: 'number', min: 0, max: 500, value: d?.aqi_low ?? '' })),
    element('label', { textContent: 'AQI 上限 / high ' }, field('high', { type: 'number', min: 0, max: 500, value: d?.aqi_high ?? '' })),
    element('label', { textContent: `首要污染物 / Primary (${POLLUTANTS.join(', ')}) ` },
      field('primary', { value: (d?.primary ?? []).join(', ') })),
    element('label', { textContent: '说明（中文） ' }, field('zh', { value: d?.text?.zh ?? '' })),
    element('label', { lang: 'en', textContent: 'Text (English) ' }, field('en', { value: d?.text?.en ?? '' })));
}

async function openEditor(mode, id, content) {
  // The areas come with the list: a click before it arrived waits for it.
  if (areas.length === 0) await loadForecasts().catch((error) => say(error.message, 'error'));
  const form = part('form');
  form.elements.mode.value = mode;
  form.elements.id.value = id ?? '';
  const select = form.elements.area;
  select.replaceChildren(...areas.map((a) => element('option', { value: a.id, textContent: `${a.name_zh} ${a.name_en}` })));
  select.value = content?.area ?? 'shanghai';
  select.disabled = mode !== 'new';
  const days = content?.days ?? [null, null, null].map((_, i) => ({ day: beijingDay(i + 1) }));
  form.querySelector('[data-days]').replaceChildren(...[0, 1, 2].map((i) => dayRow(i, days[i] ?? null)));
  part('editor').hidden = false;
  form.elements.low_0.focus();
}

async function saveDraft(event) {
  event.preventDefault();
  const f = event.target.elements;
  const days = [0, 1, 2]
    .filter((i) => f[`use_${i}`].checked)
    .map((i) => ({
      day: f[`day_${i}`].value,
      ...(f[`part_${i}`].value ? { part: f[`part_${i}`].value } : {}),
      aqi_low: Number(f[`low_${i}`].value),
      aqi_high: Number(f[`high_${i}`].value),
      primary: f[`primary_${i}`].value.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean),
      text: { zh: f[`zh_${i}`].value, en: f[`en_${i}`].value },
    }));
  const content = { area: f.area.value, days };
  const id = f.id.value;
  const request = {
    new: () => call('POST', API, { content }),
    edit: () => call('PUT', `${API}/${id}/draft`, { content }),
    update: () => call('POST', `${API}/${id}/update`, { content }),
  }[f.mode.value];
  await act(async () => {
    await request();
    part('editor').hidden = true;
  }, '预报草稿已保存，待他人批准 / Forecast draft saved; another person must approve it');
}

// ---- scores ----------------------------------------------------------------

const percent = (rate) => (typeof rate === 'number' ? `${(rate * 100).toFixed(0)}%` : '—');

async function loadScores() {
  const scores = await call('GET', '/api/v1/forecasts/scores');
  const s = scores.summary;
  part('summary').textContent =
    `已评估 ${s.scored} 天 / ${s.scored} days scored · 级别命中率 / level hit rate ${percent(s.level_hit_rate)}` +
    ` · 落在范围内 / within range ${percent(s.within_range_rate)}` +
    ` · 平均偏差 / mean error ${s.mean_abs_error ?? '—'}`;
  const rows = [...scores.items].reverse().slice(0, 60).map((i) => element('tr', { dataset: { forecastId: i.forecast_id, day: i.day } },
    element('td', { textContent: i.day }),
    element('td', { textContent: areaName(i.area) }),
    element('td', { textContent: `${i.forecast_id} (+${i.days_ahead})` }),
    element('td', { textContent: `${i.aqi_low}–${i.aqi_high}` }),
    element('td', { textContent: String(i.observed_aqi) }),
    element('td', { textContent: i.level_hit ? '✓' : '✗' }),
    element('td', { textContent: i.within_range ? '✓' : '✗' }),
    element('td', { textContent: String(i.abs_error) })));
  part('scores').querySelector('tbody').replaceChildren(...rows);
}

// ---- the section -----------------------------------------------------------

function build() {
  const section = host();
  if (section.dataset.built) return;
  section.dataset.built = 'true';
  const th = (...labels) => element('tr', {}, ...labels.map((l) => element('th', { textContent: l })));
  const table = (name, ...labels) => element('table', { dataset: { part: name } },
    element('thead', {}, th(...labels)), element('tbody'));
  const form = element('form', { dataset: { part: 'form' } },
    element('input', { type: 'hidden', name: 'mode' }),
    element('input', { type: 'hidden', name: 'id' }),
    element('div', { className: 'row' }, element('label', { textContent: '地区 / Area ' }, element('select', { name: 'area' }))),
    element('div', { dataset: { days: '' } }),
    element('button', { type: 'submit', textContent: '保存草稿 / Save draft' }), ' ',
    element('button', { type: 'button', textContent: '取消 / Close', onclick: () => { part('editor').hidden = true; } }));
  form.addEventListener('submit', saveDraft);
  section.append(
    element('h2', { id: 'forecasts-title', textContent: '空气质量预报 / Air quality forecasts' }),
    element('button', { type: 'button', id: 'new-forecast', hidden: !can.draft(), textContent: '新建预报 / New forecast',
      onclick: () => openEditor('new') }),
    element('ul', { className: 'forecast-list', dataset: { part: 'list' } }),
    element('div', { hidden: true, dataset: { part: 'editor' } }, element('h3', { textContent: '编辑预报 / Edit forecast' }), form),
    element('div', { hidden: true, dataset: { part: 'review' } },
      element('h3', {}, '审核预报 / Review forecast ', element('span', { dataset: { reviewId: '' } })),
      element('p', { textContent: '批准即对以下全文负责；草稿如有改动须重新审核。 Approving takes responsibility for exactly this text.' }),
      table('review-days', '日期 / Day', 'AQI', '首要污染物 / Primary', '中文', 'English'),
      element('p', { className: 'hash' }, '内容摘要 / Content hash (SHA-256): ', element('code', { dataset: { reviewHash: '' } })),
      element('button', { type: 'button', textContent: '批准发布此预报 / Approve this forecast', dataset: { action: 'approve-forecast' }, onclick: approveReviewed }), ' ',
      element('button', { type: 'button', textContent: '关闭 / Close', onclick: () => { part('review').hidden = true; reviewing = null; } })),
    element('h3', { textContent: '以往预报评估 / How good past forecasts were' }),
    element('p', { dataset: { part: 'summary' } }),
    table('scores', '日期 / Day', '地区 / Area', '预报 / Forecast', '预报 AQI', '实测 / Observed', '级别命中 / Level hit', '在范围内 / In range', '偏差 / Error'));
}

/** Shows the forecasts section for the signed-in `user`. */
export async function showForecasts(user) {
  me = user;
  build();
  host().querySelector('#new-forecast').hidden = !can.draft();
  // A failure here must not keep the rest of the console from working.
  await Promise.all([loadForecasts(), loadScores()]).catch((error) => say(error.message, 'error'));
}
