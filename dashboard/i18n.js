// Every visible string in both languages, the names of pollutants and water
// items, units, and the helpers that pick the visitor's language.

import { state } from './store.js';

export const LANGS = ['zh-CN', 'en'];
const LANG_KEY = 'envmon.lang';

export const ROMAN = ['', 'I', 'II', 'III', 'IV', 'V'];
// GB 3838-2002 prints its classes with these Roman numeral characters.
export const ROMAN_ZH = ['', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ'];

const STRINGS = {
  'zh-CN': {
    pageTitle: '上海环境质量实时数据',
    description: '上海市空气与水环境质量实时监测数据',
    title: '上海环境质量实时数据',
    tagline: '空气与地表水自动监测站最新观测值，实时更新',
    skip: '跳到主要内容',
    navLabel: '站点类别',
    langLabel: '语言 / Language',
    connecting: '连接中…',
    open: '实时',
    closed: '正在重连…',
    loading: '正在加载站点信息…',
    loadError: '暂时无法加载站点信息，正在重试…',
    'kind.air': '空气自动监测站',
    'kind.river': '地表水断面',
    'kind.source': '饮用水水源地',
    stationCount: (n) => `${n} 个站点`,
    noStations: '暂无站点',
    noData: '暂无数据',
    stationCode: '站点编码',
    observedAt: '观测时间',
    timeSuffix: '（北京时间）',
    target: (c) => `目标 ${waterClassName(c)}`,
    'waterType.river': '河流',
    'waterType.lake': '湖库',
    flagUnknown: (code) => `标记：${code}`,
    footTime: '时间均为北京时间（UTC+8）。',
    footData: '数据为自动监测站实时结果，未经人工审核，仅供参考。',
    footColors:
      'AQI 颜色为 HJ 633 规定的级别颜色；水质类别的颜色为本站自选的示意色，并非标准规定。',
    listSep: '、',
    // overview
    'city.title': '上海市空气质量',
    'city.noData': '暂无数据',
    'city.hour': (time, n) => `${time} 时段 · ${n} 个评价点位均值`,
    'districts.title': '各区空气质量排名',
    'districts.note': '按当前小时 AQI 由低到高排列（空气由好到差），颜色与级别来自 HJ 633。',
    'districts.list': '各区排名',
    'year.title': '今年以来',
    'year.this': (y) => `${y}年优良天数比例`,
    'year.before': (y) => `${y}年同期`,
    'year.count': (good, valid) => `（优良 ${good} 天 / 有效 ${valid} 天）`,
    'year.change': (points) => `同比 ${points} 个百分点`,
    'year.noChange': '无可比数据',
    'year.none': '暂无今年的统计数据。',
    'calendar.alt': (y, ratio) => `上海市${y}年每日空气质量指数日历，每天按 AQI 级别着色；优良天数比例 ${ratio}`,
    'calendar.caption': '每日 AQI 日历（灰色为无数据），可嵌入或下载：',
    'calendar.links': '图表下载',
    'calendar.link.calendar': (f) => `AQI 日历 ${f}`,
    'calendar.link.good-days': (f) => `各月优良天数比例 ${f}`,
    'calendar.link.annual': (f) => `污染物与限值 ${f}`,
    chartMissing: '图表暂时无法显示。',
    'waterMonth.title': '本月地表水水质',
    'waterMonth.of': (month, n) => `${month}，${n} 个断面参与评价`,
    'waterMonth.mix': (month) => `${month}各类别断面数`,
    'waterMonth.sections': (n) => `${n} 个`,
    'waterMonth.attainment': '达标率',
    'waterMonth.good': '优良（Ⅰ～Ⅲ类）比例',
    'waterMonth.worse': '劣Ⅴ类比例',
    'waterMonth.none': '本月和上月暂无水质评价结果。',
    'overview.title': '当前概况',
    'overview.air': '空气质量',
    'overview.water': '地表水水质',
    'overview.airHint': (n) => `按 AQI 级别，${n} 个站点`,
    'overview.waterHint': (n) => `按水质类别，${n} 个断面及水源地`,
    'overview.na': '暂不发布',
    'overview.stale': '数据过时',
    'overview.none': '暂无评价',
    'overview.meets': (m, n) => `达到目标类别 ${m} / ${n}`,
    'overview.chipsAir': '各 AQI 级别的站点数',
    'overview.chipsWater': '各水质类别的站点数',
    // stale
    stale: '数据已过时',
    staleSince: (time) => `最近一次数据为 ${time}，已超过 2 小时。`,
    // AQI verdict
    aqiLabel: 'AQI',
    aqiNa: '暂不发布',
    aqiNaLong: 'AQI 暂不发布',
    primary: (names) => `首要污染物 ${names}`,
    noPrimary: '无首要污染物',
    hourOf: (time) => `${time} 时段`,
    // water verdict
    waterLabel: '水质',
    waterClass: (c) => waterClassName(c),
    meets: '达标',
    notMeets: '未达标',
    meetsUnknown: '无法判断',
    determinedBy: (names) => `定类因子 ${names}`,
    noWaterClass: '暂无法定类',
    sourceOk: '饮用水源地达标',
    sourceFail: '饮用水源地不达标',
    sourceRequired: (c) => `（按${waterClassName(c)}评价）`,
    sourceUnknown: '饮用水源地达标情况暂无法评价',
    sourceFailItems: (names) => `：${names}`,
    // why
    why: '为什么是这个结果？',
    whyAirLead: (aqi, who, cat) =>
      `AQI 取各污染物空气质量分指数（IAQI）中的最大值：${who} 的分指数为 ${aqi}，因此 AQI 为 ${aqi}，属于“${cat}”。`,
    whyAirLeadLow: (aqi, cat) =>
      `AQI 取各污染物空气质量分指数（IAQI）中的最大值，为 ${aqi}，属于“${cat}”；AQI 不超过 50 时不设首要污染物。`,
    whyAirNa: (computed) =>
      computed == null
        ? '没有可用于计算的污染物浓度。'
        : `按已有污染物计算的 AQI 为 ${computed}，但依规定本时段 AQI 不予发布。`,
    colPollutant: '污染物',
    colConcentration: '浓度',
    colIaqi: '分指数 IAQI',
    airTableCaption: '各污染物浓度与空气质量分指数',
    primaryTag: '首要',
    averagingNote: (avg) => `浓度为 ${avg}值。`,
    pmBreakpointNote: (names, avg) => `${names} 的浓度按 ${avg}浓度限值计算分指数（实时报做法）。`,
    missing: (list) => `缺测：${list}。`,
    exceeding: (list) => `超标污染物：${list}。`,
    sensitive: (who, groups) => `对 ${who} 敏感的人群：${groups}。`,
    health: (text) => `对健康影响：${text}。`,
    edition: (ed, time) => `依据 ${ed}，${time} 时段（北京时间）。`,
    'avg.1h': '1 小时平均',
    'avg.8h': '8 小时平均',
    'avg.24h': '24 小时平均',
    'na.missing':
      '有污染物缺测，且由其余污染物计算的 AQI 不超过 100。按 HJ 633-2026 第 5.3 条，此时 AQI、级别、类别和首要污染物均发布为 NA（暂不发布）。',
    'na.nodata': '没有任何污染物的有效浓度。',
    'na.short': '有污染物缺测，且其余污染物计算的 AQI 不超过 100，按 HJ 633-2026 第 5.3 条暂不发布。',
    'special.so2_2026': 'SO₂ 1 小时平均浓度高于 800 µg/m³，分指数按 200 计（HJ 633-2026 表 3 注 b）。',
    'special.o3_2026': 'O₃ 8 小时平均浓度高于 800 µg/m³，分指数按 300 计（HJ 633-2026 表 3 注 c）。',
    'special.so2_2012': 'SO₂ 1 小时平均浓度高于 800 µg/m³，不按 1 小时浓度计算分指数，改用 24 小时平均浓度（HJ 633-2012 表 1 注 2）。',
    'special.o3_2012': 'O₃ 8 小时平均浓度高于 800 µg/m³，不按 8 小时浓度计算分指数，改用 1 小时平均浓度（HJ 633-2012 表 1 注 3）。',
    'special.cap500': '浓度超过分指数 500 对应的限值，HJ 633 未作规定，分指数按 500 计（与国家发布平台做法一致）。',
    whyWaterLead: (names, cls) =>
      `按 GB 3838-2002 单因子评价法，水质类别取参与定类各项目中最差的类别：${names} 为${cls}，因此本站水质为${cls}。`,
    whyWaterNone: '没有参与定类的有效监测项目，暂无法确定水质类别。',
    whyWaterTarget: (c, meets) =>
      `目标为${waterClassName(c)}，${meets === true ? '达标' : meets === false ? '未达标' : '无法判断是否达标'}。`,
    missingItem: (name, avg) => `${name}（${avg}）`,
    decidesTag: '定类',
    sourceVerdict: (ok) => (ok === true ? '达标' : ok === false ? '不达标' : '无法评价'),
    colItem: '项目',
    colValue: '监测值',
    colClass: '类别',
    colLimit: (c) => `${waterClassName(c)}限值`,
    waterTableCaption: '各项目监测值、类别与目标类别限值',
    over: (m) => `超标 ${m} 倍`,
    overNa: '不达标',
    notCounted: '不参与定类，仅作参考',
    exceedanceNote: '超标倍数 =（监测值 − 标准限值）÷ 标准限值。',
    invalid: (list) => `无效数据，未参与评价：${list}。`,
    sourceHead: '饮用水水源地评价',
    sourceBasis: (c, n) =>
      `按 GB 3838-2002 表 1 的${waterClassName(c)}限值及表 2 补充项目，共评价 ${n} 项：`,
    sourceFailure: (name, value, limit, tbl, over) =>
      `${name} ${value}，${tbl}限值 ${limit}${over ? `，${over}` : ''}`,
    sourceTable: (n, c) => (n === 2 ? '表 2 ' : `${waterClassName(c)}`),
    waterBasis: (time) => `依据 GB 3838-2002《地表水环境质量标准》，${time} 监测值（北京时间）。`,
    serverText: '评价说明（英文原文）',
    worseThanV: '劣Ⅴ类',
    // views and filters
    'view.label': '显示方式',
    'view.map': '地图',
    'view.list': '列表',
    'filter.label': '显示的站点类别',
    'kindShort.air': '空气',
    'kindShort.river': '河流断面',
    'kindShort.source': '饮用水源',
    'kindOne.air': '空气站',
    'kindOne.river': '河流断面',
    'kindOne.source': '饮用水水源地',
    'kind.plant': '水厂出厂水',
    'kind.tap': '管网水（末梢水）监测点',
    'kindShort.plant': '出厂水',
    'kindShort.tap': '管网水',
    'kindOne.plant': '水厂出厂水',
    'kindOne.tap': '管网水监测点',
    'kind.radiation': '辐射环境自动监测站',
    'kindShort.radiation': '辐射',
    'kindOne.radiation': '辐射环境自动监测站',
    'radiation.within': '处于天然本底涨落范围内',
    'radiation.above': '高于天然本底',
    'radiation.below': '低于天然本底',
    'radiation.noBackground': '天然本底尚未确定',
    'radiation.invalid': '本小时数据不足',
    'radiation.explainUnit': '空气吸收剂量率以纳戈瑞每小时（nGy/h）计，表示环境中的 γ 辐射在空气中每小时沉积的能量。来自土壤、岩石和宇宙射线的天然辐射一直存在。',
    'radiation.explainRange': '每个自动站都有自己的天然本底涨落范围；在范围内即为正常的天然水平。超出范围时由工作人员调查原因。',
    'radiation.explainRain': '降雨会把空气中天然氡的衰变子体冲刷到地面，使剂量率在降雨期间及之后数小时内升高，这是正常的自然现象。',
    'map.legendSupply': '饮用水卫生标准 GB 5749（六边形：出厂水；三角形：管网水）',
    'map.legendSupply.ok': '合格 ✓',
    'map.legendSupply.fail': '不合格 ✗',
    'nav.label': '页面',
    'nav.live': '实时数据',
    'nav.drinking': '饮用水',
    'supply.ok': 'GB 5749 合格',
    'supply.fail': (items) => `GB 5749 不合格${items ? `：${items}` : ''}`,
    'supply.unknown': 'GB 5749 无法判定',
    'supply.okShort': '合格',
    'supply.failShort': '不合格',
    'supply.notJudged': '未判定',
    'supply.atOutlet': '出厂水，按 GB 5749-2022 判定',
    'supply.atNetwork': '管网水（末梢水），按 GB 5749-2022 判定',
    'supply.notDetected': '未检出',
    'supply.detected': '检出',
    'supply.none': '无',
    'supply.observed': '有',
    'supply.mustNotDetect': '不应检出',
    'supply.guidance': (v) => `指导值 ${v}`,
    'supply.exDetected': '（检出）',
    'supply.exObserved': '（可察觉）',
    'supply.exMultiple': (m) => `（为限值的 ${m} 倍）`,
    'supply.exBelow': (d) => `（低于最低要求 ${d}）`,
    'supply.exOutside': (d) => `（超出范围 ${d}）`,
    'supply.colLimit': '限值',
    'supply.colOutcome': '结果',
    'supply.caption': '各项指标的测定值、限值与判定',
    'supply.basis': (time) => `依据 GB 5749-2022《生活饮用水卫生标准》，在线监测 ${time}（北京时间）。`,
    shownCount: (n, total) => `显示 ${n} / ${total} 个站点`,
    noneShown: '没有选中任何站点类别。',
    // map
    'map.title': '上海市地图：各区空气质量与监测站点',
    'map.skip': '跳过地图，转到表格',
    'map.label': (n) => `上海市地图，共 ${n} 个站点，各区按当前 AQI 着色。同样内容见下方表格。`,
    'map.note':
      '区界为国家审定的行政区划界线（数据来源见 geo/SOURCE.md）。河流断面与水源地的坐标为估计值；密集处的标记已错开，细线指向实际位置。',
    'map.scale': (km) => `${km} 公里`,
    'map.legend': '图例',
    'map.legendAqi': 'AQI 级别（圆形：空气站）',
    'map.legendWater': '水质类别（方形：河流断面；菱形：饮用水源地）',
    'map.legendOther': '空心：数据过时；灰色：暂无结果',
    'map.markerStale': '数据过时',
    'map.markerNone': '暂无结果',
    'map.approx': '坐标为估计值',
    // map: pan and zoom, districts, near me
    'map.roledescription': '地图',
    'map.help': '拖动、双指缩放或用方向键移动地图；+ 和 − 键缩放，0 键复原。点击地图上任一点，可列出离该点最近的站点。',
    'map.zoomIn': '放大',
    'map.zoomOut': '缩小',
    'map.zoomHome': '复原到全市',
    'map.scaleM': (m) => `${m} 米`,
    'map.summary': (parts) => `各区当前空气质量：${parts.join('；')}。`,
    'map.districtSays': (name, aqi, text, worst) => `${name} AQI ${aqi}，${text}${worst ? '（区内站点最高值）' : ''}`,
    'map.districtNone': (name) => `${name} 暂无数据`,
    'map.legendDistricts': '区的底色：该区当前小时 AQI 级别；尚无区 AQI 时取区内空气站的最高值；浅灰：暂无数据',
    'near.title': '离我最近的站点',
    'near.useLocation': '使用我的位置',
    'near.district': '只看某区：',
    'near.allDistricts': '全部区',
    'near.hint': '点击“使用我的位置”（仅在点击时询问定位权限），或点击地图上的任一点。',
    'near.fromLocation': '离您所在位置最近的站点',
    'near.fromMap': '离地图上所选位置最近的站点',
    'near.fromDistrictCentre': '离该区中心最近的站点',
    'near.inDistrict': (where, name) => `${where}（仅${name}）`,
    'near.loading': '正在查找最近的站点…',
    'near.failed': '暂时无法查找最近的站点，请稍后再试。',
    'near.none': '该范围内没有站点。',
    'near.locating': '正在获取您的位置…',
    'near.denied': '未获准使用您的位置。可以点击地图上的位置代替。',
    'near.unavailable': '无法获取您的位置。可以点击地图上的位置代替。',
    'near.noGeolocation': '此浏览器不能提供位置。可以点击地图上的位置代替。',
    'near.metres': (m) => `${m} 米`,
    'near.km': (km) => `${km} 公里`,
    'table.summary': '以表格查看（与地图内容相同）',
    'table.caption': '各站点当前结果',
    'table.station': '站点',
    'table.kind': '类型',
    'table.district': '所在区',
    'table.result': '当前结果',
    'table.time': '观测时间',
    'table.status': '数据状态',
    'status.ok': '正常',
    'status.stale': '过时',
    'status.flagged': (n) => `${n} 项带质量标记`,
    'status.none': '暂无数据',
    details: '详情',
    detailsOf: (name) => `${name}：查看详情`,
    // detail
    close: '关闭',
    closeDetail: '关闭站点详情',
    'detail.readings': '各项最新数据',
    'detail.advice': '建议',
    'detail.waterUse': '这类水能做什么',
    'detail.chart': '最近 24 小时',
    'detail.chartParam': '图表项目',
    'detail.chartAlt': (name, param) => `${name}最近 24 小时的${param}变化图`,
    'detail.chartFallback': '图表暂时无法显示。可在下方“数据”中查看数值。',
    'detail.data': '数据',
    'detail.dataLatest': '最新数据（JSON）',
    'detail.dataAqi': '最近 24 小时逐时 AQI（JSON）',
    'detail.dataAqiDaily': '最近 30 天逐日 AQI（JSON）',
    'detail.dataWater': '最近 7 天水质评价（JSON）',
    'detail.dataCompleteness': '最近 24 小时数据完整性（JSON）',
    'detail.dataHistory': (name) => `${name} 逐时历史：`,
    'detail.embed': '嵌入本站数据',
    'detail.embedIntro': '把本站的实时数据放到你的网页上：复制下面的代码。',
    'detail.embedIframe': '网页嵌入代码（iframe）',
    'detail.embedImage': '图表图片地址（SVG / PNG）',
    'detail.copy': '复制',
    'detail.copied': '已复制',
    'detail.coords': (lat, lon) => `北纬 ${lat}°，东经 ${lon}°`,
    'chart.aqi': 'AQI（逐时）',
    // water class uses, GB 3838-2002 §4
    'use.1': 'Ⅰ类水：主要适用于源头水、国家自然保护区。',
    'use.2': 'Ⅱ类水：主要适用于集中式生活饮用水地表水源地一级保护区、珍稀水生生物栖息地、鱼虾类产卵场等。',
    'use.3': 'Ⅲ类水：主要适用于集中式生活饮用水地表水源地二级保护区、鱼虾类越冬场、洄游通道、水产养殖区等渔业水域及游泳区。',
    'use.4': 'Ⅳ类水：主要适用于一般工业用水区及人体非直接接触的娱乐用水区。',
    'use.5': 'Ⅴ类水：主要适用于农业用水区及一般景观要求水域。',
    'use.6': '劣Ⅴ类水：水质差于Ⅴ类，不宜作任何用途，请勿接触。',
    'use.basis': '依据 GB 3838-2002 第 4 章水域功能分类。',
    // stale and flagged
    staleCadence: (time, gap) => `最近一次数据为 ${time}（北京时间），已超过正常更新间隔（约 ${gap}）的两倍。`,
    flaggedSummary: (n, list) => `${n} 项数据带有质量标记（${list}），仅供参考，未参与或可能影响评价。`,
    'dur.s': (n) => `${n} 秒`,
    'dur.min': (n) => `${n} 分钟`,
    'dur.h': (n) => `${n} 小时`,
    // alerts
    'alerts.label': '预警信息',
    'sev.blue': '蓝色预警',
    'sev.yellow': '黄色预警',
    'sev.orange': '橙色预警',
    'sev.red': '红色预警',
    'alert.area': '范围',
    'alert.city': '全市',
    'alert.valid': (from, to) => `有效期：${from} 至 ${to}（北京时间）`,
    'alert.updated': '已更新',
    'alert.more': '详细内容与建议',
    'alert.cap': 'CAP 原文',
    'alert.evidence': '依据',
    // screen-reader announcements
    'say.open': '已连接，数据实时更新。',
    'say.closed': '连接中断，正在重连。',
    'say.alert': (sev, headline) => `${sev}：${headline}`,
    'say.alertEnded': (headline) => `预警已解除：${headline}`,
    'say.update': (name, text) => `${name}已更新：${text}`,
    // forecasts
    'forecast.title': '未来三天空气质量预报',
    'forecast.issued': (time) => `${time} 发布`,
    'forecast.range': (low, high) => `AQI ${low}～${high}`,
    'forecast.dayAhead': (n) => ['今天', '明天', '后天', '大后天'][n] ?? `${n} 天后`,
    'forecast.part.morning': '上午',
    'forecast.part.afternoon': '下午',
    'forecast.part.night': '夜间',
    'forecast.primary': (list) => `首要污染物：${list}`,
    'forecast.updated': '已更新',
    'say.forecast': (area) => `${area}空气质量预报已更新。`,
  },
  en: {
    pageTitle: 'Shanghai environmental quality — live data',
    description: 'Live air and water quality data for Shanghai',
    title: 'Shanghai environmental quality, live',
    tagline: 'Latest readings from automatic air and surface-water monitoring stations, updated live',
    skip: 'Skip to main content',
    navLabel: 'Station types',
    langLabel: '语言 / Language',
    connecting: 'Connecting…',
    open: 'Live',
    closed: 'Reconnecting…',
    loading: 'Loading stations…',
    loadError: 'Could not load the station list. Retrying…',
    'kind.air': 'Air monitoring stations',
    'kind.river': 'River sections',
    'kind.source': 'Drinking-water sources',
    stationCount: (n) => (n === 1 ? '1 station' : `${n} stations`),
    noStations: 'No stations',
    noData: 'No data yet',
    stationCode: 'Station code',
    observedAt: 'Observed',
    timeSuffix: ' (China Standard Time)',
    target: (c) => `Target class ${ROMAN[c]}`,
    'waterType.river': 'River',
    'waterType.lake': 'Lake / reservoir',
    flagUnknown: (code) => `Flag: ${code}`,
    footTime: 'All times are China Standard Time (UTC+8).',
    footData: 'Real-time results from automatic monitoring stations, not manually reviewed. For reference only.',
    footColors:
      'AQI colours are the level colours set by HJ 633. Water-class colours are envmon’s own choice, not set by any standard.',
    listSep: ', ',
    'city.title': 'Shanghai air quality',
    'city.noData': 'No data yet',
    'city.hour': (time, n) => `Hour ending ${time} · mean of ${n} evaluation stations`,
    'districts.title': 'Districts ranked',
    'districts.note': 'By the current hourly AQI, lowest (cleanest) first; colours and levels as HJ 633 gives them.',
    'districts.list': 'District ranking',
    'year.title': 'This year so far',
    'year.this': (y) => `Good days in ${y}`,
    'year.before': (y) => `Same period of ${y}`,
    'year.count': (good, valid) => `(${good} good of ${valid} valid days)`,
    'year.change': (points) => `${points} percentage points year on year`,
    'year.noChange': 'no comparable data',
    'year.none': 'No statistics for this year yet.',
    'calendar.alt': (y, ratio) => `Calendar of Shanghai's daily Air Quality Index in ${y}, each day coloured by its AQI level; good days ${ratio}`,
    'calendar.caption': 'Daily AQI calendar (grey: no data), to embed or download:',
    'calendar.links': 'Chart downloads',
    'calendar.link.calendar': (f) => `AQI calendar ${f}`,
    'calendar.link.good-days': (f) => `Good days by month ${f}`,
    'calendar.link.annual': (f) => `Pollutants against limits ${f}`,
    chartMissing: 'The chart cannot be shown right now.',
    'waterMonth.title': 'Surface water this month',
    'waterMonth.of': (month, n) => `${month}: ${n} river sections assessed`,
    'waterMonth.mix': (month) => `River sections by class, ${month}`,
    'waterMonth.sections': (n) => `${n} ${n === 1 ? 'section' : 'sections'}`,
    'waterMonth.attainment': 'Meeting their target',
    'waterMonth.good': 'Class I–III (good)',
    'waterMonth.worse': 'Worse than class V',
    'waterMonth.none': 'No water assessment for this month or the last yet.',
    'overview.title': 'Right now',
    'overview.air': 'Air quality',
    'overview.water': 'Surface water',
    'overview.airHint': (n) => `by AQI level, ${n === 1 ? '1 station' : `${n} stations`}`,
    'overview.waterHint': (n) => `by water class, ${n === 1 ? '1 site' : `${n} sites`}`,
    'overview.na': 'Not published',
    'overview.stale': 'Stale data',
    'overview.none': 'Not assessed',
    'overview.meets': (m, n) => `${m} of ${n} meet their target class`,
    'overview.chipsAir': 'Stations per AQI level',
    'overview.chipsWater': 'Sites per water class',
    stale: 'Data is stale',
    staleSince: (time) => `The latest data is from ${time}, more than 2 hours ago.`,
    aqiLabel: 'AQI',
    aqiNa: 'not published',
    aqiNaLong: 'AQI not published',
    primary: (names) => `Primary pollutant: ${names}`,
    noPrimary: 'No primary pollutant',
    hourOf: (time) => `Hour ending ${time}`,
    waterLabel: 'Water',
    waterClass: (c) => (c === 6 ? 'Worse than Class V' : `Class ${ROMAN[c]}`),
    meets: 'meets',
    notMeets: 'does not meet',
    meetsUnknown: 'cannot be judged',
    determinedBy: (names) => `Determined by ${names}`,
    noWaterClass: 'No class yet',
    sourceOk: 'Drinking-water source: compliant',
    sourceFail: 'Drinking-water source: not compliant',
    sourceRequired: (c) => ` (assessed against class ${ROMAN[c]})`,
    sourceUnknown: 'Drinking-water source: compliance cannot be judged',
    sourceFailItems: (names) => ` (${names})`,
    why: 'Why this result?',
    whyAirLead: (aqi, who, cat) =>
      `The AQI is the highest of the pollutants’ sub-indices (IAQI): ${who} has ${aqi}, so the AQI is ${aqi}, “${cat}”.`,
    whyAirLeadLow: (aqi, cat) =>
      `The AQI is the highest of the pollutants’ sub-indices (IAQI): ${aqi}, “${cat}”. At 50 or below there is no primary pollutant.`,
    whyAirNa: (computed) =>
      computed == null
        ? 'No pollutant concentration is available to compute an AQI.'
        : `The pollutants that were measured give an AQI of ${computed}, but the rules say this hour’s AQI is not published.`,
    colPollutant: 'Pollutant',
    colConcentration: 'Concentration',
    colIaqi: 'IAQI',
    airTableCaption: 'Concentration and sub-index of each pollutant',
    primaryTag: 'primary',
    averagingNote: (avg) => `Concentrations are ${avg} means.`,
    pmBreakpointNote: (names, avg) =>
      `${names} are indexed against the ${avg} breakpoints, as real-time reports do.`,
    missing: (list) => `Missing: ${list}.`,
    exceeding: (list) => `Pollutants above standard: ${list}.`,
    sensitive: (who, groups) => `Groups sensitive to ${who}: ${groups}.`,
    health: (text) => `Health effects: ${text}`,
    edition: (ed, time) => `Assessed under ${ed}, hour ending ${time} (China Standard Time).`,
    'avg.1h': '1-hour',
    'avg.8h': '8-hour',
    'avg.24h': '24-hour',
    'na.missing':
      'A pollutant is missing and the AQI from the others is not above 100. Under HJ 633-2026 §5.3 the AQI, level, category and primary pollutant are then published as NA.',
    'na.nodata': 'No pollutant has a valid concentration.',
    'na.short': 'A pollutant is missing and the AQI from the others is not above 100, so it is not published (HJ 633-2026 §5.3).',
    'special.so2_2026': 'SO₂ 1-hour mean above 800 µg/m³: the IAQI is taken as 200 (HJ 633-2026 Table 3 note b).',
    'special.o3_2026': 'O₃ 8-hour mean above 800 µg/m³: the IAQI is taken as 300 (HJ 633-2026 Table 3 note c).',
    'special.so2_2012':
      'SO₂ 1-hour mean above 800 µg/m³: the IAQI comes from the 24-hour mean instead (HJ 633-2012 Table 1 note 2).',
    'special.o3_2012':
      'O₃ 8-hour mean above 800 µg/m³: the IAQI comes from the 1-hour mean instead (HJ 633-2012 Table 1 note 3).',
    'special.cap500':
      'Above the concentration for IAQI 500, which HJ 633 does not cover: the IAQI is capped at 500, as the national platform publishes.',
    whyWaterLead: (names, cls) =>
      `Under GB 3838-2002’s single-factor method a site takes the worst class of its counted items: ${names} ${names.includes(',') ? 'are' : 'is'} ${cls}, so the site is ${cls}.`,
    whyWaterNone: 'No counted item has a valid value, so there is no class yet.',
    whyWaterTarget: (c, meets) =>
      meets === true
        ? `That meets its target, class ${ROMAN[c]}.`
        : meets === false
          ? `That does not meet its target, class ${ROMAN[c]}.`
          : `Whether it meets its target, class ${ROMAN[c]}, cannot be judged.`,
    missingItem: (name, avg) => `${name} (${avg})`,
    decidesTag: 'decides',
    sourceVerdict: (ok) => (ok === true ? 'compliant.' : ok === false ? 'not compliant.' : 'cannot be judged.'),
    colItem: 'Item',
    colValue: 'Value',
    colClass: 'Class',
    colLimit: (c) => `Class ${ROMAN[c]} limit`,
    waterTableCaption: 'Each item’s value, class and target-class limit',
    over: (m) => `exceeds by ${m}×`,
    overNa: 'not met',
    notCounted: 'not counted towards the class; for reference',
    exceedanceNote: 'Exceedance multiple = (value − limit) ÷ limit.',
    invalid: (list) => `Not a valid measurement, left out: ${list}.`,
    sourceHead: 'Drinking-water source',
    sourceBasis: (c, n) =>
      `Checked against GB 3838-2002 Table 1 class ${ROMAN[c]} and the Table 2 supplementary items, ${n === 1 ? '1 item' : `${n} items`}:`,
    sourceFailure: (name, value, limit, tbl, over) =>
      `${name} ${value}, ${tbl} limit ${limit}${over ? `, ${over}` : ''}`,
    sourceTable: (n, c) => (n === 2 ? 'Table 2' : `class ${ROMAN[c]}`),
    waterBasis: (time) =>
      `Assessed under GB 3838-2002 (Environmental quality standards for surface water), values of ${time} (China Standard Time).`,
    serverText: 'Assessment text',
    worseThanV: 'worse than V',
    'view.label': 'Show as',
    'view.map': 'Map',
    'view.list': 'List',
    'filter.label': 'Station types shown',
    'kindShort.air': 'Air',
    'kindShort.river': 'River sections',
    'kindShort.source': 'Drinking water',
    'kindOne.air': 'Air station',
    'kindOne.river': 'River section',
    'kindOne.source': 'Drinking-water source',
    'kind.plant': 'Water plant outlets',
    'kind.tap': 'Network (tap) points',
    'kindShort.plant': 'Plant outlets',
    'kindShort.tap': 'Network',
    'kindOne.plant': 'Water plant outlet',
    'kindOne.tap': 'Network point',
    'kind.radiation': 'Radiation monitoring stations',
    'kindShort.radiation': 'Radiation',
    'kindOne.radiation': 'Radiation monitoring station',
    'radiation.within': 'within the natural background',
    'radiation.above': 'above the natural background',
    'radiation.below': 'below the natural background',
    'radiation.noBackground': 'natural background not known yet',
    'radiation.invalid': 'too little data this hour',
    'radiation.explainUnit': 'The ambient gamma dose rate is measured in nanogray per hour (nGy/h): the energy gamma radiation deposits in air each hour. Natural radiation from soil, rock and cosmic rays is always present.',
    'radiation.explainRange': 'Each station has its own natural background range; within it, the level is the natural one. Above it, staff investigate why.',
    'radiation.explainRain': 'Rain washes natural radon decay products out of the air onto the ground and raises the dose rate during and for a few hours after it: a natural effect.',
    'map.legendSupply': 'Drinking water, GB 5749 (hexagons: plant outlets; triangles: network points)',
    'map.legendSupply.ok': 'Compliant ✓',
    'map.legendSupply.fail': 'Not compliant ✗',
    'nav.label': 'Pages',
    'nav.live': 'Live data',
    'nav.drinking': 'Drinking water',
    'supply.ok': 'GB 5749: compliant',
    'supply.fail': (items) => `GB 5749: not compliant${items ? ` (${items})` : ''}`,
    'supply.unknown': 'GB 5749: cannot be judged',
    'supply.okShort': 'compliant',
    'supply.failShort': 'fails',
    'supply.notJudged': 'not judged',
    'supply.atOutlet': 'Water leaving the plant, judged by GB 5749-2022',
    'supply.atNetwork': 'Water in the network (at the tap), judged by GB 5749-2022',
    'supply.notDetected': 'not detected',
    'supply.detected': 'detected',
    'supply.none': 'none',
    'supply.observed': 'observed',
    'supply.mustNotDetect': 'must not be detected',
    'supply.guidance': (v) => `guidance value ${v}`,
    'supply.exDetected': '(detected)',
    'supply.exObserved': '(observed)',
    'supply.exMultiple': (m) => `(${m} times the limit)`,
    'supply.exBelow': (d) => `(${d} below the minimum)`,
    'supply.exOutside': (d) => `(${d} outside the range)`,
    'supply.colLimit': 'Limit',
    'supply.colOutcome': 'Outcome',
    'supply.caption': 'Each item: value, limit and verdict',
    'supply.basis': (time) => `By GB 5749-2022, Standards for drinking water quality; online monitoring at ${time} (Beijing time).`,
    shownCount: (n, total) => `Showing ${n} of ${total} stations`,
    noneShown: 'No station type is selected.',
    'map.title': 'Map of Shanghai: air quality by district, and the stations',
    'map.skip': 'Skip the map, go to the table',
    'map.label': (n) => `Map of Shanghai with ${n} stations; districts coloured by their current AQI. The table below has the same content.`,
    'map.note':
      'District boundaries are the official administrative boundaries (source in geo/SOURCE.md). River sections and sources have estimated coordinates. Where markers crowd they are spread apart, with a thin line to the true position.',
    'map.scale': (km) => `${km} km`,
    'map.legend': 'Legend',
    'map.legendAqi': 'AQI level (circles: air stations)',
    'map.legendWater': 'Water class (squares: river sections; diamonds: drinking-water sources)',
    'map.legendOther': 'Hollow: stale data; grey: no result yet',
    'map.markerStale': 'stale data',
    'map.markerNone': 'no result yet',
    'map.approx': 'estimated coordinates',
    // map: pan and zoom, districts, near me
    'map.roledescription': 'map',
    'map.help': 'Drag, pinch or use the arrow keys to move the map; + and − zoom, 0 goes back to the whole city. Click anywhere on the map to list the nearest stations.',
    'map.zoomIn': 'Zoom in',
    'map.zoomOut': 'Zoom out',
    'map.zoomHome': 'Back to the whole city',
    'map.scaleM': (m) => `${m} m`,
    'map.summary': (parts) => `Air quality by district now: ${parts.join('; ')}.`,
    'map.districtSays': (name, aqi, text, worst) => `${name} AQI ${aqi}, ${text}${worst ? ' (highest of its stations)' : ''}`,
    'map.districtNone': (name) => `${name} no data yet`,
    'map.legendDistricts': 'District fill: the district’s AQI level this hour; until there is one, the highest of its air stations; light grey: no data',
    'near.title': 'Stations near me',
    'near.useLocation': 'Use my location',
    'near.district': 'Only in district:',
    'near.allDistricts': 'All districts',
    'near.hint': 'Press “Use my location” (your browser asks only then), or click anywhere on the map.',
    'near.fromLocation': 'Nearest to where you are',
    'near.fromMap': 'Nearest to the point chosen on the map',
    'near.fromDistrictCentre': 'Nearest to the middle of the district',
    'near.inDistrict': (where, name) => `${where} (${name} only)`,
    'near.loading': 'Finding the nearest stations…',
    'near.failed': 'The nearest stations cannot be found just now; please try again later.',
    'near.none': 'No station there.',
    'near.locating': 'Finding your location…',
    'near.denied': 'Your location was not shared. Click a place on the map instead.',
    'near.unavailable': 'Your location is not available. Click a place on the map instead.',
    'near.noGeolocation': 'This browser cannot give a location. Click a place on the map instead.',
    'near.metres': (m) => `${m} m`,
    'near.km': (km) => `${km} km`,
    'table.summary': 'Show as a table (same content as the map)',
    'table.caption': 'Current result of each station',
    'table.station': 'Station',
    'table.kind': 'Type',
    'table.district': 'District',
    'table.result': 'Result',
    'table.time': 'Observed',
    'table.status': 'Data',
    'status.ok': 'Current',
    'status.stale': 'Stale',
    'status.flagged': (n) => (n === 1 ? '1 value flagged' : `${n} values flagged`),
    'status.none': 'No data yet',
    details: 'Details',
    detailsOf: (name) => `${name}: details`,
    close: 'Close',
    closeDetail: 'Close station details',
    'detail.readings': 'Latest values',
    'detail.advice': 'What to do',
    'detail.waterUse': 'What this water is fit for',
    'detail.chart': 'Last 24 hours',
    'detail.chartParam': 'Chart of',
    'detail.chartAlt': (name, param) => `${param} at ${name} over the last 24 hours`,
    'detail.chartFallback': 'The chart cannot be shown right now. The values are under “Data” below.',
    'detail.data': 'Data',
    'detail.dataLatest': 'Latest values (JSON)',
    'detail.dataAqi': 'Hourly AQI, last 24 hours (JSON)',
    'detail.dataAqiDaily': 'Daily AQI, last 30 days (JSON)',
    'detail.dataWater': 'Water assessments, last 7 days (JSON)',
    'detail.dataCompleteness': 'Data completeness, last 24 hours (JSON)',
    'detail.dataHistory': (name) => `${name}, hourly history:`,
    'detail.embed': 'Embed this station',
    'detail.embedIntro': 'Put this station’s live data on your own page: copy the code below.',
    'detail.embedIframe': 'Embed code (iframe)',
    'detail.embedImage': 'Chart image URLs (SVG / PNG)',
    'detail.copy': 'Copy',
    'detail.copied': 'Copied',
    'detail.coords': (lat, lon) => `${lat}° N, ${lon}° E`,
    'chart.aqi': 'AQI (hourly)',
    'use.1': 'Class I: mainly for headwaters and national nature reserves.',
    'use.2':
      'Class II: mainly for first-level protection zones of drinking-water sources, habitats of rare aquatic life, and spawning grounds of fish and shrimp.',
    'use.3':
      'Class III: mainly for second-level protection zones of drinking-water sources, fish wintering grounds and migration routes, aquaculture, and swimming.',
    'use.4': 'Class IV: mainly for general industrial use and recreation without direct body contact.',
    'use.5': 'Class V: mainly for agricultural use and ordinary landscape waters.',
    'use.6': 'Worse than class V: fit for no use; avoid contact.',
    'use.basis': 'Water-use classes of GB 3838-2002, chapter 4.',
    staleCadence: (time, gap) =>
      `The latest data is from ${time} (China Standard Time), more than twice the usual interval between updates (about ${gap}).`,
    flaggedSummary: (n, list) =>
      `${n === 1 ? '1 value is' : `${n} values are`} flagged (${list}): for reference only.`,
    'dur.s': (n) => `${n} s`,
    'dur.min': (n) => (n === 1 ? '1 minute' : `${n} minutes`),
    'dur.h': (n) => (n === 1 ? '1 hour' : `${n} hours`),
    'alerts.label': 'Alerts',
    'sev.blue': 'Blue alert',
    'sev.yellow': 'Yellow alert',
    'sev.orange': 'Orange alert',
    'sev.red': 'Red alert',
    'alert.area': 'Area',
    'alert.city': 'Whole city',
    'alert.valid': (from, to) => `In force ${from} to ${to} (China Standard Time)`,
    'alert.updated': 'Updated',
    'alert.more': 'Details and what to do',
    'alert.cap': 'CAP message',
    'alert.evidence': 'Evidence',
    'say.open': 'Connected; data updates live.',
    'say.closed': 'Connection lost; reconnecting.',
    'say.alert': (sev, headline) => `${sev}: ${headline}`,
    'say.alertEnded': (headline) => `Alert lifted: ${headline}`,
    'say.update': (name, text) => `${name} updated: ${text}`,
    // forecasts
    'forecast.title': 'Air quality forecast, next three days',
    'forecast.issued': (time) => `Issued ${time}`,
    'forecast.range': (low, high) => `AQI ${low}–${high}`,
    'forecast.dayAhead': (n) => ['Today', 'Tomorrow', 'Day after tomorrow'][n] ?? `In ${n} days`,
    'forecast.part.morning': 'morning',
    'forecast.part.afternoon': 'afternoon',
    'forecast.part.night': 'night',
    'forecast.primary': (list) => `Primary pollutant: ${list}`,
    'forecast.updated': 'Updated',
    'say.forecast': (area) => `${area} air quality forecast updated.`,
  },
};

// Reading quality flags in words: envmon_core::QualityFlag. Anything not
// listed (a newer server) is shown as "Flag: <code>".
const QUALITY = {
  calibration: { 'zh-CN': '校准中', en: 'Calibrating' },
  maintenance: { 'zh-CN': '维护中', en: 'Under maintenance' },
  instrument_fault: { 'zh-CN': '仪器故障', en: 'Instrument fault' },
  out_of_range: { 'zh-CN': '超出合理范围', en: 'Out of plausible range' },
  spike: { 'zh-CN': '突变值', en: 'Sudden jump (spike)' },
  flatline: { 'zh-CN': '数值长时间不变', en: 'Stuck value (flatline)' },
};

const UNITS = {
  'ug/m3': 'µg/m³',
  'mg/m3': 'mg/m³',
  'mg/L': 'mg/L',
  'uS/cm': 'µS/cm',
  Cel: '°C',
  NTU: 'NTU',
  '/L': '个/L',
  1: '',
};

// HJ 633 levels, used only when a report lacks its level texts. The colours
// are the official ones (HJ 633 Table 2 / HJ 633-2026), as the server sends.
export const AQI_LEVELS = {
  1: { zh: '优', en: 'Excellent', hex: '#00E400' },
  2: { zh: '良', en: 'Good', hex: '#FFFF00' },
  3: { zh: '轻度污染', en: 'Lightly Polluted', hex: '#FF7E00' },
  4: { zh: '中度污染', en: 'Moderately Polluted', hex: '#FF0000' },
  5: { zh: '重度污染', en: 'Heavily Polluted', hex: '#99004C' },
  6: { zh: '严重污染', en: 'Severely Polluted', hex: '#7E0023' },
};

// AQI pollutants, for names the parameter list does not give.
export const POLLUTANTS = {
  so2: { zh: '二氧化硫', en: 'SO2' },
  no2: { zh: '二氧化氮', en: 'NO2' },
  co: { zh: '一氧化碳', en: 'CO' },
  o3: { zh: '臭氧', en: 'O3' },
  pm10: { zh: 'PM10', en: 'PM10' },
  pm25: { zh: 'PM2.5', en: 'PM2.5' },
  o3_8h: { zh: '臭氧（8小时）', en: 'O3 (8-hour)' },
};

// GB 3838-2002 items (envmon_core::water::WaterItem): short Chinese name,
// English symbol as envmon's explanations use it, unit. The parameter list
// gives the Chinese names of the monitored ones; these cover the rest.
export const WATER_ITEMS = {
  temp: ['水温', 'Water temperature', 'Cel'],
  ph: ['pH', 'pH', '1'],
  do: ['溶解氧', 'DO', 'mg/L'],
  codmn: ['高锰酸盐指数', 'CODMn', 'mg/L'],
  cod: ['化学需氧量', 'COD', 'mg/L'],
  bod5: ['五日生化需氧量', 'BOD5', 'mg/L'],
  nh3n: ['氨氮', 'NH3-N', 'mg/L'],
  tp: ['总磷', 'TP', 'mg/L'],
  tn: ['总氮', 'TN', 'mg/L'],
  cu: ['铜', 'Cu', 'mg/L'],
  zn: ['锌', 'Zn', 'mg/L'],
  fluoride: ['氟化物', 'Fluoride', 'mg/L'],
  se: ['硒', 'Se', 'mg/L'],
  as: ['砷', 'As', 'mg/L'],
  hg: ['汞', 'Hg', 'mg/L'],
  cd: ['镉', 'Cd', 'mg/L'],
  cr6: ['六价铬', 'Cr(VI)', 'mg/L'],
  pb: ['铅', 'Pb', 'mg/L'],
  cyanide: ['氰化物', 'Cyanide', 'mg/L'],
  volatile_phenol: ['挥发酚', 'Volatile phenol', 'mg/L'],
  petroleum: ['石油类', 'Petroleum', 'mg/L'],
  las: ['阴离子表面活性剂', 'LAS', 'mg/L'],
  sulfide: ['硫化物', 'Sulfide', 'mg/L'],
  fecal_coliform: ['粪大肠菌群', 'Fecal coliform', '/L'],
  sulfate: ['硫酸盐', 'Sulfate', 'mg/L'],
  chloride: ['氯化物', 'Chloride', 'mg/L'],
  nitrate: ['硝酸盐', 'Nitrate', 'mg/L'],
  fe: ['铁', 'Fe', 'mg/L'],
  mn: ['锰', 'Mn', 'mg/L'],
};

export function loadLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    // storage unavailable (private mode, blocked cookies): use the default
  }
  return 'zh-CN';
}

export function saveLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not remembered; still switch for this visit
  }
}

/** The string `key` in the visitor's language; functions are called with `args`. */
export function t(key, ...args) {
  const value = STRINGS[state.lang][key] ?? STRINGS['zh-CN'][key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

/** Whether `key` has a translation (for keys built from server values). */
export const hasString = (key) => Object.hasOwn(STRINGS[state.lang], key);

export const isEn = () => state.lang === 'en';

/** Picks the zh or en variant; falls back to the other, tagging its language. */
export function pick(zh, en) {
  const want = isEn() ? en : zh;
  if (want != null && want !== '') return { text: String(want), lang: null };
  const other = isEn() ? zh : en;
  if (other != null && other !== '') {
    return { text: String(other), lang: isEn() ? 'zh-CN' : 'en' };
  }
  return { text: '', lang: null };
}

export function displayUnit(unit) {
  if (unit == null) return '';
  return Object.hasOwn(UNITS, unit) ? UNITS[unit] : String(unit);
}

/** A quality flag in words, or null for a valid reading. */
export function qualityText(quality) {
  if (quality == null || quality === 'valid') return null;
  const known = QUALITY[quality];
  return known ? known[state.lang] : t('flagUnknown', quality);
}

/** "Ⅲ类", "劣Ⅴ类" (zh); "Class III", "Worse than Class V" (en). */
export function waterClassName(c) {
  if (isEn()) return c === 6 ? 'worse than class V' : `class ${ROMAN[c] ?? '?'}`;
  return c === 6 ? '劣Ⅴ类' : `${ROMAN_ZH[c] ?? '?'}类`;
}

/** A class in a table cell: "Ⅲ" / "III", "劣Ⅴ" / "worse than V". */
export function waterClassShort(c) {
  if (c == null) return '—';
  if (c === 6) return isEn() ? t('worseThanV') : '劣Ⅴ';
  return isEn() ? ROMAN[c] : ROMAN_ZH[c];
}

export function pollutantName(code) {
  const param = state.paramByCode.get(code);
  const known = POLLUTANTS[code];
  if (isEn()) return param?.name_en || known?.en || String(code);
  return param?.name_zh || known?.zh || String(code);
}

/** Water items: Chinese names, English symbols ("总磷" / "TP"). */
export function waterItemName(code) {
  const known = WATER_ITEMS[code];
  if (isEn()) return known?.[1] || state.paramByCode.get(code)?.name_en || String(code);
  return state.paramByCode.get(code)?.name_zh || known?.[0] || String(code);
}

export function waterItemUnit(code) {
  return WATER_ITEMS[code]?.[2] ?? state.paramByCode.get(code)?.unit ?? '';
}

export function joinList(items) {
  return items.filter((s) => s !== '').join(t('listSep'));
}

/** A reading's label: in English, water items get their symbol too ("Total phosphorus (TP)"). */
export function readingLabel(paramCode, param) {
  if (!param) return { text: paramCode, lang: null };
  const name = pick(param.name_zh, param.name_en);
  const symbol = WATER_ITEMS[paramCode]?.[1];
  if (isEn() && !name.lang && symbol && !name.text.toLowerCase().includes(symbol.toLowerCase())) {
    return { text: `${name.text} (${symbol})`, lang: null };
  }
  return name;
}
