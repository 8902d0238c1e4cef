// What the page knows: the registry, the latest state of every station, the
// active notices and the visitor's choices. One object, shared by the modules.

export const KINDS = ['air', 'river', 'source'];

export const state = {
  lang: 'zh-CN',
  stations: [],
  stationByCode: new Map(),
  parameters: [],
  paramByCode: new Map(),
  /** station code -> Map(parameter code -> reading) */
  readings: new Map(),
  /** station code -> { updatedAt, aqi, water } */
  verdicts: new Map(),
  /** station code -> the shortest gap seen between two of its observations, in ms */
  cadence: new Map(),
  /** notice id -> notice, active ones only */
  notices: new Map(),
  /** station codes whose "why" disclosure the visitor opened */
  openWhy: new Set(),
  /** kinds shown on the map, in the table and in the list */
  filters: new Set(KINDS),
  /** 'map' or 'list' */
  view: 'map',
  conn: 'connecting',
  snapshotSeen: false,
  metaLoaded: false,
};
