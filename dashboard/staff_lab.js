// The console's laboratory section: a laboratory's file (format 1, CSV or
// JSON) checked against the registry and what is stored, with every problem
// named by row and column; a clean file previewed sample by sample (new,
// revised with each change, unchanged; its verdict) and submitted as a
// pending batch; and pending batches reviewed and published or rejected by
// someone other than their submitter, who names the file (its SHA-256) they
// reviewed. Text from the server is only ever set with textContent.

const API = '/api/v1/staff/lab';
const $ = (selector) => document.querySelector(selector);
const REFRESH_MS = 30_000;

let file = null;

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

function say(text, kind = 'info') {
  const node = $('#lab-status');
  node.textContent = text;
  node.dataset.kind = kind;
}

function mediaOf(name) {
  return name.toLowerCase().endsWith('.json') ? 'application/json' : 'text/csv';
}

async function send(method, path, { body, media } = {}) {
  const options = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    options.headers['Content-Type'] = media ?? 'application/json';
    options.body = body;
  }
  const response = await fetch(API + path, options);
  const data = await response.json().catch(() => ({}));
  return { status: response.status, ok: response.ok, data };
}

function problemsTable(problems) {
  return element(
    'table',
    { id: 'lab-problems' },
    element('caption', { textContent: `问题 ${problems.length} 处，未导入任何数据 / ${problems.length} problem(s); nothing was imported` }),
    element('thead', {}, element('tr', {}, ...['行 / Row', '列 / Column', '问题 / Problem'].map((t) => element('th', { textContent: t })))),
    element(
      'tbody',
      {},
      ...problems.map((p) =>
        element('tr', {}, element('td', { textContent: String(p.row) }), element('td', { textContent: p.column ?? '' }), element('td', { textContent: p.message })),
      ),
    ),
  );
}

const STATUS = { new: '新增 / new', revised: '更正 / revised', unchanged: '未变 / unchanged' };

function previewTable(preview) {
  const summary = element('p', {
    className: 'lab-summary',
    textContent:
      `${preview.samples} 个样品 / samples, ${preview.results} 项结果 / results: ` +
      `${preview.new_samples} 新增 new, ${preview.revised_samples} 更正 revised, ${preview.unchanged_samples} 未变 unchanged; ` +
      `${preview.failing_samples} 不合格 failing`,
  });
  const hash = element('p', { className: 'hash' }, 'SHA-256: ', element('code', { textContent: preview.body_sha256 }));
  const rows = preview.sample_previews.map((s) => {
    const verdict = s.compliant === true ? '合格 / compliant' : s.compliant === false ? `不合格 / fails: ${s.failing.join(', ')}` : '未判定 / not judged';
    const changes = s.changes.map((c) => `${c.item}: ${c.before} → ${c.after}`).join('; ');
    return element(
      'tr',
      { dataset: { status: s.status, compliant: String(s.compliant) } },
      element('td', { textContent: STATUS[s.status] ?? s.status }),
      element('td', { textContent: s.site }),
      element('td', { textContent: s.sample_id }),
      element('td', { textContent: new Date(s.sampled_at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) }),
      element('td', { textContent: String(s.results) }),
      element('td', { textContent: verdict }),
      element('td', { textContent: changes }),
    );
  });
  const table = element(
    'table',
    { id: 'lab-preview-table' },
    element('thead', {}, element('tr', {}, ...['状态 / Status', '点位 / Site', '样品 / Sample', '采样时间 / Sampled', '结果 / Results', '判定 / Verdict', '更正 / Changes'].map((t) => element('th', { textContent: t })))),
    element('tbody', {}, ...rows),
  );
  return [summary, hash, table];
}

async function check() {
  const chosen = $('#lab-file').files?.[0];
  if (!chosen) return say('请选择文件 / Choose a file', 'error');
  file = { name: chosen.name, text: await chosen.text() };
  const result = await send('POST', '/preview', { body: file.text, media: mediaOf(file.name) });
  const out = $('#lab-preview');
  $('#lab-submit').hidden = true;
  if (result.status === 422) {
    out.replaceChildren(problemsTable(result.data.error.problems));
    return say(result.data.error.message, 'error');
  }
  if (!result.ok) return say(result.data.error?.message ?? `HTTP ${result.status}`, 'error');
  out.replaceChildren(...previewTable(result.data.preview));
  $('#lab-submit').hidden = !['operator', 'admin'].includes(document.body.dataset.role);
  say('文件无误，可以提交 / The file is clean and can be submitted');
}

async function submit() {
  if (!file) return;
  const path = `/batches?file_name=${encodeURIComponent(file.name)}`;
  const result = await send('POST', path, { body: file.text, media: mediaOf(file.name) });
  if (result.status === 422) {
    $('#lab-preview').replaceChildren(problemsTable(result.data.error.problems));
    return say(result.data.error.message, 'error');
  }
  if (!result.ok) return say(result.data.error?.message ?? `HTTP ${result.status}`, 'error');
  $('#lab-submit').hidden = true;
  say(`已提交第 ${result.data.id} 批，待他人审核发布 / Submitted as batch ${result.data.id}; another person must publish it`);
  await refresh();
}

async function review(id) {
  const result = await send('GET', `/batches/${id}`);
  if (!result.ok) return say(result.data.error?.message ?? `HTTP ${result.status}`, 'error');
  const panel = $('#lab-review');
  const { batch, preview, problems } = result.data;
  const title = element('h3', { textContent: `审核第 ${batch.id} 批 / Review batch ${batch.id} (${batch.file_name ?? ''}, ${batch.submitted_by})` });
  if (problems) {
    panel.replaceChildren(title, problemsTable(problems));
    panel.hidden = false;
    return;
  }
  const reason = element('input', { id: 'lab-reject-reason', placeholder: '退回原因 / Reason' });
  const reasonLabel = element('label', {}, '退回原因 / Reason for rejecting ', reason);
  const publish = element('button', {
    type: 'button',
    id: 'lab-publish',
    textContent: '发布此文件 / Publish this file',
    onclick: async () => {
      const done = await send('POST', `/batches/${id}/publish`, { body: JSON.stringify({ body_sha256: preview.body_sha256 }) });
      if (!done.ok) return say(done.data.error?.message ?? `HTTP ${done.status}`, 'error');
      panel.hidden = true;
      say(`已发布第 ${id} 批 / Batch ${id} published: ${done.data.published.samples} samples, ${done.data.published.failing_samples} failing`);
      await refresh();
    },
  });
  const reject = element('button', {
    type: 'button',
    textContent: '退回 / Reject',
    onclick: async () => {
      const done = await send('POST', `/batches/${id}/reject`, { body: JSON.stringify({ reason: reason.value }) });
      if (!done.ok) return say(done.data.error?.message ?? `HTTP ${done.status}`, 'error');
      panel.hidden = true;
      say(`已退回第 ${id} 批 / Batch ${id} rejected`);
      await refresh();
    },
  });
  panel.replaceChildren(title, ...previewTable(preview), reasonLabel, publish, reject);
  panel.hidden = false;
}

async function refresh() {
  if ($('#work')?.hidden) return;
  const result = await send('GET', '/batches');
  if (!result.ok) return;
  const mine = $('#who-name')?.textContent;
  const approver = ['approver', 'admin'].includes(document.body.dataset.role);
  $('#lab-batches tbody').replaceChildren(
    ...result.data.batches.map((b) => {
      const action = element('td');
      if (b.state === 'pending' && approver && b.submitted_by !== mine) {
        action.append(element('button', { type: 'button', textContent: '审核 / Review', dataset: { batch: String(b.id) }, onclick: () => review(b.id) }));
      }
      return element(
        'tr',
        { dataset: { state: b.state } },
        element('td', { textContent: String(b.id) }),
        element('td', { textContent: b.state }),
        element('td', { textContent: b.file_name ?? '' }),
        element('td', { textContent: `${b.samples} / ${b.results}` }),
        element('td', { textContent: b.submitted_by }),
        element('td', { textContent: b.decided_by ?? '' }),
        action,
      );
    }),
  );
}

const section = $('#lab');
if (section) {
  $('#lab-check').addEventListener('click', () => check().catch((e) => say(String(e), 'error')));
  $('#lab-submit').addEventListener('click', () => submit().catch((e) => say(String(e), 'error')));
  setInterval(() => refresh().catch(() => {}), REFRESH_MS);
  new MutationObserver(() => refresh().catch(() => {})).observe($('#work'), { attributes: true, attributeFilter: ['hidden'] });
}
