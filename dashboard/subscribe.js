// The subscribe form: a district's notices, or "tell me when it gets bad near
// me" (a level at the nearest air station, or at a chosen district), by e-mail
// or by this browser's push messages. Follows the page's language; owns only
// the #subscribe section.

const API = new URL('api/v1/', document.baseURI);

const TEXT = {
  'zh-CN': {
    title: '订阅提醒',
    intro: '无需注册。每条消息都会说明发送原因，并附一键退订链接。',
    what: '提醒内容',
    notices: '所选区的预警公告',
    level: '附近空气变差时提醒我',
    district: '区',
    nearMe: '使用我的位置（最近的空气站）',
    atLevel: '达到此级别时提醒',
    how: '接收方式',
    email: '电子邮件',
    push: '本浏览器推送',
    address: '电子邮箱地址',
    submit: '订阅',
    sent: '请查收确认邮件：点击其中的链接后订阅才生效。',
    pushed: '已订阅：本浏览器将收到推送消息。',
    denied: '浏览器未允许推送通知。',
    noPush: '本浏览器不支持推送通知。',
    failed: (m) => `订阅失败：${m}`,
    levels: { 2: '良', 3: '轻度污染', 4: '中度污染', 5: '重度污染', 6: '严重污染' },
  },
  en: {
    title: 'Get alerts',
    intro: 'No account needed. Every message says why it was sent and has a one-click unsubscribe link.',
    what: 'Tell me about',
    notices: "Alert notices for the district",
    level: 'When the air gets bad near me',
    district: 'District',
    nearMe: 'Use my location (nearest air station)',
    atLevel: 'Tell me at this level',
    how: 'By',
    email: 'E-mail',
    push: 'Push to this browser',
    address: 'E-mail address',
    submit: 'Subscribe',
    sent: 'Check your mailbox: the subscription starts when you follow the link in the confirmation message.',
    pushed: 'Subscribed: this browser will get push messages.',
    denied: 'The browser did not allow notifications.',
    noPush: 'This browser cannot receive push messages.',
    failed: (m) => `Could not subscribe: ${m}`,
    levels: { 2: 'Good', 3: 'Lightly Polluted', 4: 'Moderately Polluted', 5: 'Heavily Polluted', 6: 'Severely Polluted' },
  },
};

const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'zh-CN');
const text = (key) => TEXT[lang()][key];

let options = null;
let districts = [];
let airStations = [];

async function getJson(path) {
  const response = await fetch(new URL(path, API), { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function radio(name, value, label, checked) {
  const input = el('input', { type: 'radio', name, value });
  input.checked = checked;
  return el('label', { class: 'subscribe-choice' }, [input, ` ${label}`]);
}

function render(section) {
  const before = section.querySelector('form');
  const kept = before ? Object.fromEntries(new FormData(before)) : {};
  const pushable = 'PushManager' in window && 'serviceWorker' in navigator && options?.vapid_public_key;
  const emailable = options?.channels.includes('email');
  const zh = lang() === 'zh-CN';
  const districtSelect = el('select', { name: 'area', id: 'subscribe-area' }, districts.map((d) =>
    el('option', { value: d.id, text: zh ? d.name_zh : d.name_en })));
  if (kept.area) districtSelect.value = kept.area;
  const levelSelect = el('select', { name: 'level', id: 'subscribe-level' }, [2, 3, 4, 5, 6].map((l) =>
    el('option', { value: String(l), text: text('levels')[l] })));
  levelSelect.value = kept.level || '3';
  const nearMe = el('input', { type: 'checkbox', name: 'near', value: '1' });
  nearMe.checked = kept.near === '1';
  const form = el('form', { class: 'subscribe-form', novalidate: '' }, [
    el('fieldset', {}, [
      el('legend', { text: text('what') }),
      radio('topic', 'notices', text('notices'), (kept.topic || 'notices') === 'notices'),
      radio('topic', 'level', text('level'), kept.topic === 'level'),
    ]),
    el('label', { for: 'subscribe-area', text: text('district') }), districtSelect,
    el('label', { class: 'subscribe-near' }, [nearMe, ` ${text('nearMe')}`]),
    el('label', { for: 'subscribe-level', text: text('atLevel') }), levelSelect,
    el('fieldset', {}, [
      el('legend', { text: text('how') }),
      ...(emailable ? [radio('channel', 'email', text('email'), (kept.channel || 'email') === 'email')] : []),
      ...(pushable ? [radio('channel', 'push', text('push'), kept.channel === 'push' || !emailable)] : []),
    ]),
    el('label', { for: 'subscribe-address', text: text('address') }),
    el('input', { type: 'email', name: 'address', id: 'subscribe-address', autocomplete: 'email', value: kept.address || '' }),
    el('button', { type: 'submit', text: text('submit') }),
    el('p', { class: 'subscribe-status', role: 'status', 'aria-live': 'polite' }),
  ]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(form);
  });
  section.replaceChildren(
    el('h2', { id: 'subscribe-title', text: text('title') }),
    el('p', { class: 'panel-note', text: text('intro') }),
    form,
  );
  if (!emailable && !pushable) form.querySelector('.subscribe-status').textContent = text('noPush');
}

function nearestStation(position) {
  const { latitude, longitude } = position.coords;
  let best = null;
  let bestDistance = Infinity;
  for (const s of airStations) {
    const d = (s.latitude - latitude) ** 2 + ((s.longitude - longitude) * Math.cos((latitude * Math.PI) / 180)) ** 2;
    if (d < bestDistance) [best, bestDistance] = [s, d];
  }
  return best?.code;
}

const located = () => new Promise((resolve) => {
  if (!navigator.geolocation) return resolve(null);
  navigator.geolocation.getCurrentPosition(
    (position) => resolve(nearestStation(position)),
    () => resolve(null),
    { timeout: 10000, maximumAge: 600000 },
  );
});

function base64UrlToBytes(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function browserPush() {
  const registration = await navigator.serviceWorker.register('push-worker.js');
  await navigator.serviceWorker.ready;
  if ((await Notification.requestPermission()) !== 'granted') return null;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(options.vapid_public_key),
  });
  return subscription.toJSON();
}

async function submit(form) {
  const status = form.querySelector('.subscribe-status');
  const data = Object.fromEntries(new FormData(form));
  const body = { topic: data.topic || 'notices', language: lang() === 'en' ? 'en' : 'zh', channel: data.channel };
  const station = data.topic === 'level' && data.near === '1' ? await located() : null;
  if (station) body.station = station;
  else body.area = data.area;
  if (body.topic === 'level') body.level = Number(data.level);
  try {
    if (body.channel === 'push') {
      const push = await browserPush();
      if (!push) {
        status.textContent = text('denied');
        return;
      }
      body.push = { endpoint: push.endpoint, keys: push.keys };
    } else {
      body.address = data.address;
    }
    const response = await fetch(new URL('subscriptions', API), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error?.message || String(response.status));
    status.textContent = body.channel === 'push' ? text('pushed') : text('sent');
    if (answer.unsubscribe_url) localStorage.setItem('envmon.push.unsubscribe', answer.unsubscribe_url);
  } catch (error) {
    status.textContent = TEXT[lang()].failed(error.message);
  }
}

async function start() {
  const section = document.getElementById('subscribe');
  if (!section) return;
  try {
    options = await getJson('subscriptions');
    const [areas, stations] = await Promise.all([getJson('areas'), getJson('stations')]);
    districts = areas.items.filter((a) => a.kind === 'city' || a.kind === 'district');
    airStations = stations.stations.filter((s) => s.kind === 'air');
  } catch {
    return; // Subscriptions are not offered by this server: the section stays hidden.
  }
  section.hidden = false;
  render(section);
  new MutationObserver(() => render(section)).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['lang'],
  });
}

start();
