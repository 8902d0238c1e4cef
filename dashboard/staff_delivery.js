// The console's delivery section: subscriptions per channel and state, and
// the message queue (pending, retrying, failed, oldest due), refreshed every
// half minute while signed in. Counts only: no subscriber's address is ever
// sent to the console. Text is set with textContent only.

const $ = (selector) => document.querySelector(selector);
const REFRESH_MS = 30_000;

function cell(tag, text) {
  const node = document.createElement(tag);
  node.textContent = String(text ?? '');
  return node;
}

function row(...cells) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' }) : '—';
}

function render(section, report) {
  const channels = section.querySelector('#delivery-channels tbody');
  channels.replaceChildren(
    ...['email', 'webhook', 'push'].map((name) => {
      const counts = report.channels[name] ?? {};
      return row(cell('th', name), cell('td', counts.active ?? 0), cell('td', counts.pending ?? 0), cell('td', counts.disabled ?? 0));
    }),
  );
  const q = report.deliveries;
  const queue = section.querySelector('#delivery-queue');
  queue.replaceChildren(
    ...[
      ['待发送 / Pending', q.pending],
      ['重试中 / Retrying', q.retrying],
      ['已放弃 / Failed', q.failed],
      ['24 小时内送达 / Delivered (24 h)', q.delivered_24h],
      ['最早待发 / Oldest due', when(q.oldest_due_at)],
      ['待分发事件 / Events waiting', q.events_waiting],
    ].map(([label, value]) => {
      const item = document.createElement('div');
      item.append(cell('dt', label), cell('dd', value));
      return item;
    }),
  );
  section.dataset.health = q.failed > 0 || q.retrying > 0 ? 'warn' : 'ok';
}

async function refresh(section) {
  if ($('#work')?.hidden) return;
  try {
    const response = await fetch('/api/v1/staff/delivery', { credentials: 'same-origin' });
    if (response.ok) render(section, await response.json());
  } catch {
    // The next refresh tries again; the staff page shows its own connection state.
  }
}

const section = $('#delivery');
if (section) {
  refresh(section);
  setInterval(() => refresh(section), REFRESH_MS);
  new MutationObserver(() => refresh(section)).observe($('#work'), { attributes: true, attributeFilter: ['hidden'] });
}
