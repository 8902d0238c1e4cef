// envmon live widget: one station's current verdict and a 24-hour
// sparkline, kept live over the publisher's WebSocket. Runs inside an
// iframe on other sites' pages: it talks only to its own server, sets no
// cookies and keeps nothing in storage.
//
// The server puts what only it knows into #embed-config: the station, the
// attribution, the parameter names and units, and the AQI levels and water
// classes (colours and names from envmon-core).
//
// An active alert notice for the station (or the whole city) shows as one
// line, only once its signature verifies (/trust.js, the dashboard's own
// check); the line carries no link. The city's forecast for the next days
// shows below the reading, verified the same way.
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('embed-config').textContent);
  const lang = config.lang === 'en' ? 'en' : 'zh';
  const TEXT = {
    zh: {
      source: '来源：',
      more: '详情 ›',
      noData: '暂无数据',
      withheld: 'AQI 未发布',
      meets: '达到目标',
      misses: '未达目标',
      target: '目标',
      noClass: '无法评价',
      spark: '近24小时',
      zone: '北京时间',
      updated: '更新于',
      state: { connecting: '连接中', open: '实时', closed: '已断开' },
      primary: '首要污染物',
      warning: { blue: '蓝色预警', yellow: '黄色预警', orange: '橙色预警', red: '红色预警' },
      forecast: '全市预报',
      days: ['今天', '明天', '后天', '大后天'],
    },
    en: {
      source: 'Source: ',
      more: 'Details ›',
      noData: 'No data yet',
      withheld: 'AQI withheld',
      meets: 'meets its target',
      misses: 'misses its target',
      target: 'target',
      noClass: 'not assessed',
      spark: 'last 24 hours',
      zone: 'Beijing time',
      updated: 'Updated',
      state: { connecting: 'connecting', open: 'live', closed: 'offline' },
      primary: 'primary pollutant',
      warning: { blue: 'Blue warning', yellow: 'Yellow warning', orange: 'Orange warning', red: 'Red warning' },
      forecast: 'City forecast',
      days: ['Today', 'Tomorrow', 'Day after', 'In 3 days'],
    },
  }[lang];

  const root = document.querySelector('[data-station]');
  const code = config.code;
  const pick = (selector) => root.querySelector(selector);
  const verdict = pick('[data-verdict]');
  const valueNode = pick('[data-value]');
  const labelNode = pick('[data-label]');
  const readingNode = pick('[data-reading]');
  const timeNode = pick('[data-time]');
  const sparkSvg = pick('[data-spark] svg');
  const sparkCaption = pick('[data-spark-caption]');
  const connection = document.getElementById('connection');

  pick('[data-source]').textContent = TEXT.source + config.source;
  pick('[data-more]').textContent = TEXT.more;

  const timeFormat = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  const formatTime = (iso) => `${timeFormat.format(new Date(iso))} ${TEXT.zone}`;
  const HOUR_MS = 3600 * 1000;

  let state = null;
  const spark = { parameter: null, points: [], from: null, to: null };

  function parameterName(parameter) {
    return config.parameters[parameter]?.name ?? parameter;
  }

  function formatReading(parameter) {
    const reading = state?.readings?.[parameter];
    if (!reading) return '';
    const unit = config.parameters[parameter]?.unit ?? '';
    const value = Number(reading.value);
    const shown = Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3).replace(/\.?0+$/, '');
    return `${parameterName(parameter)} ${shown}${unit ? ` ${unit}` : ''}`;
  }

  function setConnection(name) {
    connection.dataset.state = name;
    connection.textContent = TEXT.state[name];
  }

  function renderAir() {
    const aqi = state.aqi;
    if (!aqi) {
      valueNode.textContent = '—';
      labelNode.textContent = TEXT.noData;
      readingNode.textContent = formatReading('pm25');
      timeNode.textContent = `${TEXT.updated} ${formatTime(state.updated_at)}`;
      return;
    }
    const level = config.levels[(aqi.level ?? 0) - 1];
    if (aqi.aqi === null || aqi.aqi === undefined) {
      valueNode.textContent = '—';
      labelNode.textContent = TEXT.withheld;
      delete verdict.dataset.aqi;
    } else {
      valueNode.textContent = String(aqi.aqi);
      verdict.dataset.aqi = String(aqi.aqi);
      labelNode.textContent = `AQI · ${level ? level.category : ''}`;
    }
    if (level) {
      verdict.dataset.level = String(level.level);
      verdict.style.setProperty('--level', level.hex);
    }
    const primary = aqi.primary?.[0] ?? 'pm25';
    const reading = formatReading(primary);
    readingNode.textContent = aqi.primary?.length ? `${TEXT.primary}: ${reading}` : reading;
    timeNode.textContent = formatTime(aqi.hour_end);
  }

  function renderWater() {
    const water = state.water;
    if (!water) {
      valueNode.textContent = '—';
      labelNode.textContent = TEXT.noData;
    } else if (water.class === null || water.class === undefined) {
      valueNode.textContent = '—';
      labelNode.textContent = TEXT.noClass;
    } else {
      const waterClass = config.classes[water.class - 1];
      verdict.dataset.waterClass = String(water.class);
      verdict.style.setProperty('--level', waterClass.hex);
      valueNode.textContent = waterClass.label;
      const target = config.classes[(config.target_class ?? 0) - 1];
      const meets = water.meets_target ? TEXT.meets : TEXT.misses;
      labelNode.textContent = target ? `${meets} (${TEXT.target} ${target.label})` : meets;
    }
    readingNode.textContent = spark.parameter ? formatReading(spark.parameter) : '';
    timeNode.textContent = `${TEXT.updated} ${formatTime(water?.observed_at ?? state.updated_at)}`;
  }

  function render() {
    if (!state) {
      valueNode.textContent = '—';
      labelNode.textContent = TEXT.noData;
      return;
    }
    if (config.kind === 'air') renderAir();
    else renderWater();
  }

  // --- sparkline -----------------------------------------------------------

  /** Adds or replaces the point of the hour labelled `at`. */
  function upsertPoint(at, value) {
    const time = Date.parse(at);
    const existing = spark.points.find((p) => p.time === time);
    if (existing) existing.value = value;
    else spark.points.push({ time, value });
    spark.points.sort((a, b) => a.time - b.time);
    if (spark.to === null || time > spark.to) spark.to = time;
    spark.from = spark.to - 24 * HOUR_MS;
    spark.points = spark.points.filter((p) => p.time > spark.from);
  }

  function drawSpark() {
    while (sparkSvg.firstChild) sparkSvg.removeChild(sparkSvg.firstChild);
    const points = spark.points;
    const unit = spark.parameter === 'aqi' ? 'AQI' : parameterName(spark.parameter ?? '');
    sparkCaption.textContent = `${unit} · ${TEXT.spark}`;
    if (points.length === 0 || spark.from === null) return;
    const values = points.map((p) => p.value);
    const low = Math.min(0, ...values);
    const high = Math.max(...values) * 1.1 || 1;
    const x = (time) => ((time - spark.from) / (spark.to - spark.from)) * 296 + 2;
    const y = (value) => 46 - ((value - low) / (high - low)) * 44;
    // A line joins two hours only when no hour is missing between them.
    let run = [];
    const runs = [run];
    points.forEach((point, i) => {
      if (i > 0 && point.time - points[i - 1].time > 1.5 * HOUR_MS) {
        run = [];
        runs.push(run);
      }
      run.push(point);
    });
    for (const segment of runs) {
      if (segment.length === 1) {
        const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
        dot.setAttribute('cx', x(segment[0].time).toFixed(1));
        dot.setAttribute('cy', y(segment[0].value).toFixed(1));
        dot.setAttribute('r', '1.8');
        sparkSvg.appendChild(dot);
      } else if (segment.length > 1) {
        const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
        line.setAttribute(
          'points',
          segment.map((p) => `${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '),
        );
        sparkSvg.appendChild(line);
      }
    }
    sparkSvg.dataset.points = String(points.length);
  }

  async function loadSpark(parameter) {
    spark.parameter = parameter;
    try {
      const url = `/api/v1/charts/station/${encodeURIComponent(code)}/${parameter}.json?range=24h&lang=${lang}`;
      const response = await fetch(url, { credentials: 'omit' });
      if (!response.ok) throw new Error(`${response.status}`);
      const data = await response.json();
      spark.from = Date.parse(data.from);
      spark.to = Date.parse(data.to);
      const known = spark.points;
      spark.points = (data.series[0]?.points ?? []).map((p) => ({ time: Date.parse(p.at), value: p.value }));
      // Live points that arrived while loading are newer than the file.
      for (const point of known) upsertPoint(new Date(point.time).toISOString(), point.value);
    } catch (error) {
      sparkCaption.textContent = '';
      return;
    }
    drawSpark();
    render();
  }

  /** The water parameter to draw: what decided the class, else a usual one. */
  function waterParameter() {
    const determining = state?.water?.report?.determining ?? [];
    const candidates = [...determining, 'codmn', 'nh3n', 'do', 'tp'];
    return candidates.find((p) => config.parameters[p] && state?.readings?.[p]) ?? 'do';
  }

  function followLive(newState) {
    if (config.kind === 'air') {
      if (newState.aqi && newState.aqi.aqi !== null && newState.aqi.aqi !== undefined) {
        upsertPoint(newState.aqi.hour_end, newState.aqi.aqi);
      }
    } else if (spark.parameter) {
      const reading = newState.readings?.[spark.parameter];
      if (reading && reading.quality === 'valid') {
        // The hour the reading falls in, labelled by its end.
        const end = Math.ceil(Date.parse(reading.observed_at) / HOUR_MS) * HOUR_MS;
        upsertPoint(new Date(end).toISOString(), reading.value);
      }
    }
    drawSpark();
  }

  // --- notices -----------------------------------------------------------------

  const SEVERITIES = ['red', 'orange', 'yellow', 'blue'];
  const alertNode = pick('[data-alert]');
  const notices = new Map();
  const trust = import('/trust.js');
  let noticeTurn = Promise.resolve();

  function isActive(n) {
    return (n.status === 'published' || n.status === 'updated') && Date.parse(n.expires) > Date.now();
  }

  function renderAlert() {
    const active = [...notices.values()]
      .filter(isActive)
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
    const top = active[0];
    if (!top) {
      alertNode.hidden = true;
      alertNode.textContent = '';
      delete alertNode.dataset.notice;
      return;
    }
    const severity = SEVERITIES.includes(top.severity) ? top.severity : 'blue';
    const headline = (lang === 'en' ? top.headline?.en : top.headline?.zh) || top.headline?.zh || top.headline?.en || '';
    alertNode.dataset.notice = String(top.id);
    alertNode.dataset.severity = severity;
    alertNode.textContent = `${TEXT.warning[severity]} · ${headline}`;
    alertNode.hidden = false;
  }

  /** Verifies `list` (in arrival order, after what came before) and keeps what verifies. */
  function takeNotices(list, replace) {
    noticeTurn = noticeTurn
      .then(async () => {
        const { isTrusted } = await trust;
        const items = Array.isArray(list) ? list : [];
        const trusted = await Promise.all(items.map((n) => isTrusted(n)));
        if (replace) notices.clear();
        items.forEach((n, i) => {
          if (!trusted[i] || typeof n.id !== 'string') return;
          const held = notices.get(n.id);
          if (!held || Number(n.version) >= Number(held.version)) notices.set(n.id, n);
        });
        renderAlert();
      })
      .catch((error) => console.warn('envmon: notice handling failed', error));
  }

  setInterval(renderAlert, 60_000);

  // --- the city's forecast ------------------------------------------------------
  // Verified like notices; the one issued last that is not withdrawn or over.

  const forecastNode = pick('[data-forecast]');
  const forecasts = new Map();
  const beijingDay = (offset) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offset * 86_400_000));

  function renderForecast() {
    const today = beijingDay(0);
    const current = [...forecasts.values()]
      .filter((f) => f.area === 'shanghai' && f.status !== 'withdrawn')
      .filter((f) => (f.days ?? []).some((d) => String(d.day) >= today))
      .sort((a, b) => Date.parse(b.issued_at) - Date.parse(a.issued_at))[0];
    if (!current) {
      forecastNode.hidden = true;
      forecastNode.replaceChildren();
      return;
    }
    const items = current.days
      .filter((d) => String(d.day) >= today)
      .map((d) => {
        const ahead = [0, 1, 2, 3].find((n) => beijingDay(n) === String(d.day));
        const when = ahead == null ? String(d.day).slice(5) : TEXT.days[ahead];
        const item = document.createElement('li');
        item.dataset.day = String(d.day);
        const level = config.levels[(d.levels?.[d.levels.length - 1] ?? 0) - 1];
        const words = (d.levels ?? []).map((l) => config.levels[l - 1]?.category).filter(Boolean).join('～');
        item.textContent = `${when} ${Number(d.aqi_low)}–${Number(d.aqi_high)} ${words}`;
        if (level) item.style.setProperty('--level-bg', level.hex);
        return item;
      });
    const title = document.createElement('span');
    title.className = 'forecast-title';
    title.textContent = TEXT.forecast;
    const list = document.createElement('ol');
    list.append(...items);
    forecastNode.dataset.forecast = String(current.id);
    forecastNode.replaceChildren(title, list);
    forecastNode.hidden = false;
  }

  /** Verifies forecasts in arrival order, after the notices before them, and keeps what verifies. */
  function takeForecasts(list, replace) {
    noticeTurn = noticeTurn
      .then(async () => {
        const { distrust } = await trust;
        const items = (Array.isArray(list) ? list : []).filter((f) => f && typeof f.id === 'string');
        const why = await Promise.all(items.map((f) => distrust(f)));
        if (replace) forecasts.clear();
        items.forEach((f, i) => {
          if (why[i]) {
            console.warn(`envmon: forecast ${f.id} not shown: ${why[i]}`);
            return;
          }
          const held = forecasts.get(f.id);
          if (!held || Number(f.version) >= Number(held.version)) forecasts.set(f.id, f);
        });
        renderForecast();
      })
      .catch((error) => console.warn('envmon: forecast handling failed', error));
  }

  // --- live ------------------------------------------------------------------

  function merge(next) {
    if (!state) return next;
    const readings = { ...state.readings };
    for (const [parameter, reading] of Object.entries(next.readings ?? {})) {
      const old = readings[parameter];
      if (!old || Date.parse(reading.observed_at) >= Date.parse(old.observed_at)) readings[parameter] = reading;
    }
    return { ...state, ...next, readings };
  }

  let ready = false;
  let retry = 500;

  function connect() {
    setConnection('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/live?station=${encodeURIComponent(code)}`);
    socket.addEventListener('open', () => {
      retry = 500;
      setConnection('open');
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === 'snapshot') {
        takeNotices(message.notices, true);
        takeForecasts(message.forecasts, true);
        state = (message.stations ?? []).find((s) => s.station === code) ?? state;
        if (!ready) {
          ready = true;
          loadSpark(config.kind === 'air' ? 'aqi' : waterParameter());
        }
        render();
        document.body.dataset.ready = 'true';
      } else if (message.type === 'notice') {
        takeNotices([message.notice], false);
      } else if (message.type === 'forecast') {
        takeForecasts([message.forecast], false);
      } else if (message.type === 'update' && message.state?.station === code) {
        state = merge(message.state);
        followLive(message.state);
        render();
      }
    });
    socket.addEventListener('close', () => {
      setConnection('closed');
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30_000);
    });
  }

  render();
  drawSpark();
  connect();
})();
