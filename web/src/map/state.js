// The state the modules of the map page share: the MapLibre map, what the page shows (`page`) and
// the request tickets. Kept in one place so that each module's imports say what it reads.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { LAYERS } from '/map/styles.js';

export const FILTER_FIELDS = ['status', 'category', 'programme', 'town'];

export const page = {
  settings: { basemaps: [], geojson_max_features: 5000 },
  stats: null,
  counts: {},
  tiled: {},
  rawData: {},
  visible: Object.fromEntries(LAYERS.map((l) => [l.id, true])),
  outlines: true,
  basemap: 'none',
  filters: Object.fromEntries(FILTER_FIELDS.map((f) => [f, ''])),
  filterIds: null,
  // sections missing their water target only
  notMeetingTarget: false,
  filterTotal: 0,
  mode: 'point',
  draft: [],
  query: null,
  viewResults: null,
  loaded: false,
  failure: null,
  total: 0,
  // what the side panel shows, to show it again after a login or logout
  details: null,
};

// each kind of request counts its calls, so that an answer to an older one is dropped
export const tickets = { filters: 0, query: 0, details: 0, hover: 0, search: 0, view: 0 };

/** The page's one map; map.js creates it once the URL has been read, before anything draws. */
export let map = null;

export function createMap(view) {
  map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }] },
    center: view?.center ?? [119.86, 31.795],
    zoom: view?.zoom ?? 11,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
    attributionControl: false,
    doubleClickZoom: false,
    // draw new tiles at once rather than fading them in
    fadeDuration: 0,
  });
  // a handle for the browser tests (and anyone curious in the console)
  window.remediationMap = map;
  return map;
}
