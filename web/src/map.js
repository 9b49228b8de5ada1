// The map page: every layer coloured by remediation state (small layers as GeoJSON, large ones
// as vector tiles), filters, search, a side panel per feature, location queries (point, circle,
// polygon, typed coordinates), results that follow the map, CSV export, and a URL that keeps
// the view and the filters.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, label, language } from '/i18n.js';
import {
  api, el, statusBadge, progressBar, timeline, notify, initChrome, downloadCsv, formatDistance, projectName, renderReportLinks,
  extendBounds, siteSummary, factTable,
  STATE_COLOURS, STATUS_COLOURS, STATUSES, CATEGORIES,
} from '/common.js';
import { toGcj02, mapGeometry, mapFeatures } from '/gcj02.js';

const stateColour = ['match', ['get', 'remediation_state'],
  'in_progress', STATE_COLOURS.in_progress, 'done', STATE_COLOURS.done, 'suspended', STATE_COLOURS.suspended,
  STATE_COLOURS.none];

// Drawing order, bottom to top, with each layer's own style.
const LAYERS = [
  { id: 'key_zone', swatch: '#a855f7', styles: [
    { type: 'fill', paint: { 'fill-color': '#a855f7', 'fill-opacity': 0.08 } },
    { type: 'line', paint: { 'line-color': '#a855f7', 'line-width': 1.5 } },
  ] },
  { id: 'contaminated_plot', swatch: '#b45309', styles: [
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.55 } },
    { type: 'line', paint: { 'line-color': '#78350f', 'line-width': 1 } },
  ] },
  { id: 'river', swatch: '#3b82f6', styles: [
    { type: 'line', paint: { 'line-color': '#3b82f6', 'line-width': ['match', ['get', 'remediation_state'], 'none', 1.5, 3] } },
  ] },
  { id: 'black_odor_water', swatch: '#111827', styles: [
    { type: 'line', paint: { 'line-color': stateColour, 'line-width': 5 }, filter: ['==', ['geometry-type'], 'LineString'] },
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.8 }, filter: ['==', ['geometry-type'], 'Polygon'] },
  ] },
  { id: 'facility', swatch: '#0ea5e9', styles: [
    { type: 'fill', paint: { 'fill-color': '#0ea5e9', 'fill-opacity': 0.35 }, filter: ['==', ['geometry-type'], 'Polygon'] },
    { type: 'circle', paint: { 'circle-radius': 5, 'circle-color': '#0ea5e9', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }, filter: ['==', ['geometry-type'], 'Point'] },
  ] },
  { id: 'enterprise', swatch: '#6b7280', styles: [
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.6 }, filter: ['==', ['geometry-type'], 'Polygon'] },
    { type: 'circle', paint: { 'circle-radius': 3.5, 'circle-color': stateColour, 'circle-stroke-color': '#374151', 'circle-stroke-width': 0.5 }, filter: ['==', ['geometry-type'], 'Point'] },
  ] },
  { id: 'outfall', swatch: '#be123c', styles: [
    { type: 'circle', paint: { 'circle-radius': 4.5, 'circle-color': stateColour, 'circle-stroke-color': '#be123c', 'circle-stroke-width': 2 } },
  ] },
  { id: 'monitoring_section', swatch: '#0d9488', styles: [
    { type: 'circle', paint: { 'circle-radius': 3, 'circle-color': '#0d9488', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
  ] },
];
const OUTLINE_STYLES = [
  { type: 'fill', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 }, filter: ['==', ['get', 'level'], 'town'] },
  { type: 'line', paint: { 'line-color': '#64748b', 'line-width': ['match', ['get', 'level'], 'district', 2.5, 1], 'line-dasharray': [3, 2] } },
];
// a filter pulls at most this many site ids to restrict the map to
const FILTER_MAX_SITES = 5000;
const FILTER_FIELDS = ['status', 'category', 'programme', 'town'];

const page = {
  settings: { basemaps: [], geojson_max_features: 5000 },
  stats: null,
  counts: {},
  tiled: {},
  rawData: {},
  visible: Object.fromEntries(LAYERS.map((l) => [l.id, true])),
  outlines: true,
  basemap: 'none',
  filters: { status: '', category: '', programme: '', town: '' },
  filterIds: null,
  filterTotal: 0,
  mode: 'point',
  draft: [],
  query: null,
  siteCache: new Map(),
  loaded: false,
  failure: null,
  total: 0,
  // what the side panel shows, to show it again after a login or logout
  details: null,
};

// each kind of request counts its calls, so that an answer to an older one is dropped
const tickets = { filters: 0, query: 0, details: 0, hover: 0, search: 0, view: 0 };

// ---- the URL keeps the view, the filters, hidden layers and the basemap ----

function readUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const f of FILTER_FIELDS) page.filters[f] = params.get(f) ?? '';
  for (const id of (params.get('hide') ?? '').split(',').filter(Boolean)) if (id in page.visible) page.visible[id] = false;
  if (params.get('outlines') === '0') page.outlines = false;
  page.basemap = params.get('basemap') ?? 'none';
  const view = (params.get('map') ?? '').split('/').map(Number);
  return view.length === 3 && view.every(Number.isFinite) ? { zoom: view[0], center: [view[2], view[1]] } : null;
}

function writeUrl() {
  if (!page.loaded) return;
  const params = new URLSearchParams();
  const c = map.getCenter();
  params.set('map', `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  for (const f of FILTER_FIELDS) if (page.filters[f]) params.set(f, page.filters[f]);
  const hidden = LAYERS.filter((l) => !page.visible[l.id]).map((l) => l.id);
  if (hidden.length) params.set('hide', hidden.join(','));
  if (!page.outlines) params.set('outlines', '0');
  if (page.basemap !== 'none') params.set('basemap', page.basemap);
  // slashes and commas read better unescaped, and are safe in a fragment
  history.replaceState(null, '', `#${params.toString().replace(/%2F/g, '/').replace(/%2C/g, ',')}`);
}

const initialView = readUrl();
const map = new maplibregl.Map({
  container: 'map',
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }] },
  center: initialView?.center ?? [119.86, 31.795],
  zoom: initialView?.zoom ?? 11,
  localIdeographFontFamily: '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
  attributionControl: false,
  doubleClickZoom: false,
  // draw new tiles at once rather than fading them in
  fadeDuration: 0,
});
map.addControl(new maplibregl.NavigationControl(), 'top-right');
// a handle for the browser tests (and anyone curious in the console)
window.remediationMap = map;
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
// a basemap host that cannot be reached (an offline network) leaves the data map working: say
// so once, in words, instead of an error per tile
map.on('error', (e) => {
  if (String(e.sourceId ?? '').startsWith('basemap-')) notify(t('basemapFailed'), 'info');
  else notify(t('failed', { e: e.error?.message ?? '' }), 'error');
});

// ---- display CRS: on a GCJ-02 basemap everything is drawn shifted to GCJ-02 ----

function gcjDisplay() {
  return page.settings.basemaps.find((b) => b.id === page.basemap)?.gcj02 === true;
}
function displayCrs() { return gcjDisplay() ? 'gcj02' : 'EPSG:4326'; }
function toDisplay(geometry) { return gcjDisplay() ? mapGeometry(geometry, toGcj02) : geometry; }
function toDisplayPoint(lonLat) { return gcjDisplay() ? toGcj02(lonLat) : lonLat; }

function tileUrl(kind) {
  const shift = gcjDisplay() ? '?shift=gcj02' : '';
  return `${location.origin}/tiles/${kind}/{z}/{x}/{y}.mvt${shift}`;
}

/** A GeoJSON layer's data as drawn: shifted to GCJ-02 on a GCJ-02 basemap. */
function displayData(id) {
  return gcjDisplay() ? mapFeatures(page.rawData[id], toGcj02) : page.rawData[id];
}

function refreshSourcesForCrs() {
  for (const id of ['admin_area', ...LAYERS.map((l) => l.id)]) {
    const source = map.getSource(id);
    if (!source) continue;
    if (page.tiled[id]) source.setTiles([tileUrl(id)]);
    else source.setData(displayData(id));
  }
  clearQuery();
}

function setBasemap(id) {
  const previousGcj = gcjDisplay();
  page.basemap = page.settings.basemaps.some((b) => b.id === id) ? id : 'none';
  for (const layer of map.getStyle().layers.filter((l) => l.id.startsWith('basemap-'))) map.removeLayer(layer.id);
  for (const source of Object.keys(map.getStyle().sources).filter((s) => s.startsWith('basemap-'))) map.removeSource(source);
  const basemap = page.settings.basemaps.find((b) => b.id === page.basemap);
  basemap?.layers.forEach((url, i) => {
    map.addSource(`basemap-${i}`, { type: 'raster', tiles: [url], tileSize: 256, attribution: basemap.attribution, maxzoom: 18 });
    map.addLayer({ id: `basemap-${i}`, type: 'raster', source: `basemap-${i}` }, map.getLayer('admin_area-0') ? 'admin_area-0' : undefined);
  });
  if (previousGcj !== gcjDisplay()) refreshSourcesForCrs();
  writeUrl();
}

// ---- panel: layers, legend, filters ----

function renderLayerList() {
  document.getElementById('layer-list').replaceChildren(...LAYERS.map((layer) => {
    const box = el('input', { type: 'checkbox', 'data-layer': layer.id, onchange: (e) => setVisible(layer.id, e.target.checked) });
    box.checked = page.visible[layer.id];
    return el('li', {},
      el('label', {}, box, el('span', { class: 'swatch', style: `background:${layer.swatch}` }), el('span', {}, t(layer.id))),
      el('span', { class: 'count' }, page.counts[layer.id] ?? '…'));
  }));
}

function renderLegend() {
  document.getElementById('legend').replaceChildren(...Object.entries(STATE_COLOURS).map(([state, colour]) =>
    el('li', {}, el('span', { class: 'swatch', style: `background:${colour}` }), el('span', {}, t(`state_${state}`)))));
  document.getElementById('legend-status').replaceChildren(...Object.entries(STATUS_COLOURS).map(([status, colour]) =>
    el('li', {}, el('span', { class: 'swatch', style: `background:${colour}` }), el('span', {}, label('status', status)))));
}

function renderBasemapChooser() {
  const select = document.getElementById('basemap');
  select.replaceChildren(el('option', { value: 'none' }, t('basemap_none')),
    ...page.settings.basemaps.map((b) => el('option', { value: b.id }, label('basemap', b.id))));
  select.value = page.basemap;
}

function renderFilterChoices() {
  const stats = page.stats;
  const choices = {
    status: STATUSES.map((s) => [s, label('status', s)]),
    category: CATEGORIES.map((c) => [c, label('category', c)]),
    programme: (stats?.programmes ?? []).map((p) => [p.code, language() === 'en' ? p.code : p.name]),
    town: (stats?.by_town ?? []).map((town) => [town.key, town.name ?? town.key]),
  };
  for (const field of FILTER_FIELDS) {
    const select = document.getElementById(`filter-${field}`);
    select.replaceChildren(el('option', { value: '' }, t('all')), ...choices[field].map(([value, text]) => el('option', { value }, text)));
    select.value = page.filters[field];
  }
}

function renderFilterSummary() {
  const summary = document.getElementById('filter-summary');
  if (!page.filterIds) { summary.textContent = ''; return; }
  summary.textContent = page.filterTotal > page.filterIds.length
    ? t('filteredSitesCapped', { n: page.filterTotal, m: page.filterIds.length })
    : t('filteredSites', { n: page.filterTotal });
}

function setVisible(id, on) {
  page.visible[id] = on;
  document.body.dataset.idle = 'false';
  map.once('idle', () => { document.body.dataset.idle = 'true'; });
  const layer = LAYERS.find((l) => l.id === id);
  // before the layers are added, the choice is applied when they are
  layer.styles.forEach((_, i) => map.getLayer(`${id}-${i}`) && map.setLayoutProperty(`${id}-${i}`, 'visibility', on ? 'visible' : 'none'));
  writeUrl();
}

function setOutlines(on) {
  page.outlines = on;
  OUTLINE_STYLES.forEach((_, i) => map.getLayer(`admin_area-${i}`) && map.setLayoutProperty(`admin_area-${i}`, 'visibility', on ? 'visible' : 'none'));
  writeUrl();
}

function filterQuery() {
  const params = new URLSearchParams();
  for (const f of FILTER_FIELDS) if (page.filters[f]) params.set(f, page.filters[f]);
  return params;
}

/** Restricts the site layers to the sites the filters match (fetched by id, up to a cap). */
async function applyFilters() {
  writeUrl();
  const ticket = ++tickets.filters;
  const query = filterQuery();
  if ([...query.keys()].length === 0) {
    page.filterIds = null;
  } else {
    const ids = [];
    let total = 0;
    for (let offset = 0; offset < FILTER_MAX_SITES; offset += 1000) {
      query.set('limit', '1000');
      query.set('offset', String(offset));
      const { data } = await api(`/api/sites?${query}`);
      if (ticket !== tickets.filters) return;
      total = data.total;
      ids.push(...data.items.map((s) => s.id));
      if (ids.length >= total || data.items.length === 0) break;
    }
    page.filterIds = ids;
    page.filterTotal = total;
  }
  for (const layer of LAYERS) {
    layer.styles.forEach((style, i) => {
      const own = style.filter;
      const byId = page.filterIds ? ['in', ['id'], ['literal', page.filterIds]] : null;
      const combined = own && byId ? ['all', own, byId] : own ?? byId;
      if (map.getLayer(`${layer.id}-${i}`)) map.setFilter(`${layer.id}-${i}`, combined ?? null);
    });
  }
  renderFilterSummary();
  refreshResults();
}

// ---- loading the layers ----

/**
 * The data the first render needs, requested as soon as the module runs, in parallel with
 * MapLibre's start-up and the session check: settings and counts, then every layer small
 * enough for GeoJSON (the rest come as tiles).
 */
const firstData = (async () => {
  const [{ data: settings }, { data: stats }, { data: admin }] = await Promise.all([
    api('/api/settings'), api('/api/stats'), api('/api/layers/admin_area')]);
  const count = (id) => stats.sites_by_kind.find((c) => c.key === id)?.count ?? 0;
  const small = LAYERS.filter((l) => count(l.id) <= settings.geojson_max_features);
  const layers = await Promise.all(small.map(async (l) => [l.id, (await api(`/api/layers/${l.id}`)).data]));
  return { settings, stats, admin, layers };
})();
// a failure is reported where the data is awaited
firstData.catch(() => {});

async function loadLayers() {
  const { settings, stats, admin, layers } = await firstData;
  page.settings = settings;
  page.stats = stats;
  for (const c of stats.sites_by_kind) page.counts[c.key] = c.count;
  for (const layer of LAYERS) page.counts[layer.id] ??= 0;
  renderBasemapChooser();
  renderFilterChoices();
  renderLayerList();

  page.rawData.admin_area = admin;
  map.addSource('admin_area', { type: 'geojson', data: displayData('admin_area') });
  OUTLINE_STYLES.forEach((style, i) => map.addLayer({ id: `admin_area-${i}`, source: 'admin_area', ...style }));

  for (const [id, data] of layers) page.rawData[id] = data;
  for (const layer of LAYERS) {
    page.tiled[layer.id] = !page.rawData[layer.id];
    if (page.tiled[layer.id]) {
      map.addSource(layer.id, { type: 'vector', tiles: [tileUrl(layer.id)], minzoom: 0, maxzoom: 16 });
    } else {
      map.addSource(layer.id, { type: 'geojson', data: displayData(layer.id), promoteId: 'id' });
    }
    layer.styles.forEach((style, i) => {
      map.addLayer({
        id: `${layer.id}-${i}`, source: layer.id, ...(page.tiled[layer.id] ? { 'source-layer': layer.id } : {}), ...style,
        layout: { visibility: page.visible[layer.id] ? 'visible' : 'none' },
      });
      map.on('mouseenter', `${layer.id}-${i}`, () => { if (page.mode === 'point') map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', `${layer.id}-${i}`, () => { map.getCanvas().style.cursor = page.mode === 'point' ? '' : 'crosshair'; });
    });
  }
  addOverlayLayers();
  setOutlines(page.outlines);
  document.getElementById('outlines').checked = page.outlines;
  // the sources above are already in the basemap's CRS; this adds its raster layers
  if (page.basemap !== 'none') setBasemap(page.basemap);

  if (!initialView) {
    const bounds = new maplibregl.LngLatBounds();
    admin.features.forEach((f) => extendBounds(bounds, f.geometry));
    if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 30, duration: 0 });
  }
  page.total = Object.values(page.counts).reduce((a, b) => a + b, 0);
  page.loaded = true;
  renderStatus();
  await applyFilters();
  writeUrl();
  // lets tests (and anyone curious) know the first complete render has happened
  map.once('idle', () => {
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
  });
}

// ---- overlays: highlight, query shape, polygon draft ----

function addOverlayLayers() {
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('query-shape', { type: 'geojson', data: empty });
  map.addLayer({ id: 'query-shape-fill', type: 'fill', source: 'query-shape', paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.08 }, filter: ['==', ['geometry-type'], 'Polygon'] });
  map.addLayer({ id: 'query-shape-line', type: 'line', source: 'query-shape', paint: { 'line-color': '#2563eb', 'line-width': 2, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'query-shape-point', type: 'circle', source: 'query-shape', paint: { 'circle-radius': 4, 'circle-color': '#2563eb' }, filter: ['==', ['geometry-type'], 'Point'] });
  map.addSource('highlight', { type: 'geojson', data: empty });
  map.addLayer({ id: 'highlight-fill', type: 'fill', source: 'highlight', paint: { 'fill-color': '#22d3ee', 'fill-opacity': 0.35 }, filter: ['==', ['geometry-type'], 'Polygon'] });
  map.addLayer({ id: 'highlight-line', type: 'line', source: 'highlight', paint: { 'line-color': '#0891b2', 'line-width': 5 } });
  map.addLayer({ id: 'highlight-point', type: 'circle', source: 'highlight', paint: { 'circle-radius': 9, 'circle-color': 'rgba(34,211,238,0.4)', 'circle-stroke-color': '#0891b2', 'circle-stroke-width': 3 }, filter: ['==', ['geometry-type'], 'Point'] });
}

function setHighlight(geometries) {
  tickets.hover += 1;
  const source = map.getSource('highlight');
  if (!source) return;
  const features = (geometries ?? []).filter(Boolean).map((g) => ({ type: 'Feature', properties: {}, geometry: toDisplay(g) }));
  source.setData({ type: 'FeatureCollection', features });
  document.getElementById('map').dataset.highlighted = String(features.length);
}

/** A circle of `radius` metres around [lon, lat] as a 64-sided polygon (WGS84). */
function circlePolygon([lon, lat], radius) {
  const ring = [];
  for (let i = 0; i <= 64; i += 1) {
    const angle = (i / 64) * 2 * Math.PI;
    const dLat = (radius * Math.cos(angle)) / 111320;
    const dLon = (radius * Math.sin(angle)) / (111320 * Math.cos((lat * Math.PI) / 180));
    ring.push([lon + dLon, lat + dLat]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/** Draws the current query's shape or the polygon being drawn (both in display coordinates). */
function drawQueryShape() {
  const source = map.getSource('query-shape');
  if (!source) return;
  const features = [];
  if (page.mode === 'polygon' && page.draft.length) {
    const ring = page.draft.length >= 3 ? [...page.draft, page.draft[0]] : page.draft;
    features.push({ type: 'Feature', properties: {}, geometry: ring.length >= 4 ? { type: 'Polygon', coordinates: [ring] } : { type: 'LineString', coordinates: ring.length > 1 ? ring : [ring[0], ring[0]] } });
    page.draft.forEach((c) => features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
  } else if (page.query?.shape) {
    features.push({ type: 'Feature', properties: {}, geometry: page.query.shape });
    if (page.query.point) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: page.query.point } });
  }
  source.setData({ type: 'FeatureCollection', features });
}

// ---- results: projects in view, or the last location query ----

let resultsTimer = 0;
function refreshResults() {
  clearTimeout(resultsTimer);
  resultsTimer = setTimeout(() => { if (!page.query) loadProjectsInView().catch((e) => notify(e.message, 'error')); }, 250);
}

async function loadProjectsInView() {
  const bounds = map.getBounds();
  const params = filterQuery();
  params.set('bbox', [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((v) => v.toFixed(6)).join(','));
  params.set('crs', displayCrs());
  params.set('limit', '50');
  const ticket = ++tickets.view;
  const body = document.getElementById('results-body');
  body.setAttribute('aria-busy', 'true');
  const { data } = await api(`/api/projects?${params}`);
  if (ticket !== tickets.view || page.query) return;
  page.viewResults = data;
  // which request the list shows, for tests and for anyone reading the page
  body.dataset.query = params.toString();
  renderResults();
}

function projectRow(p, distance) {
  return el('li', { class: 'result', tabindex: 0, 'data-project': p.id,
    onmouseenter: () => highlightProject(p.id), onfocus: () => highlightProject(p.id), onmouseleave: () => setHighlight(null), onblur: () => setHighlight(null),
    onclick: () => showProject(p.id), onkeydown: (e) => { if (e.key === 'Enter') showProject(p.id); } },
  el('div', { class: 'result-line' }, el('span', { class: 'result-name' }, projectName(p)), statusBadge(p.status)),
  el('div', { class: 'result-line' }, el('span', { class: 'muted' }, p.code), progressBar(p.progress),
    distance === undefined ? null : el('span', { class: 'distance' }, formatDistance(distance))));
}

function siteRow(s) {
  return siteSummary(s, el('span', { class: 'distance' }, formatDistance(s.distance_m)), {
    tabindex: 0, onmouseenter: () => highlightSite(s), onfocus: () => highlightSite(s),
    onmouseleave: () => setHighlight(null), onblur: () => setHighlight(null),
    onclick: () => showSite(s.id, true), onkeydown: (e) => { if (e.key === 'Enter') showSite(s.id, true); },
  });
}

function renderResults() {
  const body = document.getElementById('results-body');
  body.removeAttribute('aria-busy');
  const title = document.getElementById('results-title');
  document.getElementById('results-back').hidden = !page.query;
  if (page.query) {
    const { sites, projects, town, zones } = page.query;
    title.textContent = `${t('resultsQuery')} · ${t('sites')} ${sites.length} · ${t('projects')} ${projects.length}`;
    const info = [town ? t('inTown', { t: town }) : null, zones?.length ? t('zonesHere', { z: zones.join('、') }) : null].filter(Boolean);
    if (!sites.length && !projects.length) {
      body.replaceChildren(...info.map((i) => el('p', { class: 'muted' }, i)), el('p', { class: 'empty' }, t('queryEmpty')));
      return;
    }
    body.replaceChildren(
      ...info.map((i) => el('p', { class: 'muted' }, i)),
      el('h3', {}, t('projects')), el('ul', { class: 'result-list', id: 'query-projects' }, projects.map((p) => projectRow(p, p.distance_m))),
      el('h3', {}, t('sites')), el('ul', { class: 'result-list', id: 'query-sites' }, sites.map(siteRow)));
    return;
  }
  const data = page.viewResults;
  title.textContent = `${t('resultsInView')} (${data?.total ?? 0})`;
  if (!data?.items.length) {
    body.replaceChildren(el('p', { class: 'empty' }, t('resultsEmpty')));
    return;
  }
  body.replaceChildren(el('ul', { class: 'result-list', id: 'view-projects' }, data.items.map((p) => projectRow(p))),
    data.total > data.items.length ? el('p', { class: 'muted' }, t('more', { n: data.total - data.items.length })) : null);
}

function exportResults() {
  const header = ['type', 'id', 'code', 'name', 'status_or_state', 'progress', 'distance_m'];
  const rows = [];
  if (page.query) {
    for (const p of page.query.projects) rows.push(['project', p.id, p.code, p.name, p.status, p.progress, p.distance_m?.toFixed(1)]);
    for (const s of page.query.sites) rows.push([s.kind, s.id, s.code, s.name, s.remediation_state, '', s.distance_m?.toFixed(1)]);
  } else {
    for (const p of page.viewResults?.items ?? []) rows.push(['project', p.id, p.code, p.name, p.status, p.progress, '']);
  }
  downloadCsv(page.query ? 'query-results.csv' : 'projects-in-view.csv', header, rows);
}

async function siteGeometry(id) {
  if (!page.siteCache.has(id)) page.siteCache.set(id, (await api(`/api/sites/${id}`)).data);
  return page.siteCache.get(id).geometry;
}

/** Highlights what `geometries` resolves to, unless the pointer left (or moved on) meanwhile. */
async function highlightWhenReady(geometries) {
  const ticket = ++tickets.hover;
  try {
    const found = await geometries;
    if (ticket === tickets.hover) setHighlight(found);
  } catch (e) {
    notify(e.message, 'error');
  }
}

function highlightSite(site) {
  highlightWhenReady(site.geometry ? Promise.resolve([site.geometry]) : siteGeometry(site.id).then((g) => [g]));
}

const projectSites = new Map();
async function sitesOfProject(id) {
  if (!projectSites.has(id)) projectSites.set(id, (await api(`/api/sites?project=${id}&limit=200`)).data.items);
  return projectSites.get(id);
}

function highlightProject(id) {
  highlightWhenReady(sitesOfProject(id).then((sites) => sites.map((s) => s.geometry)));
}

// ---- location queries ----

async function runLocate(params) {
  const ticket = ++tickets.query;
  const { data } = await api(`/api/locate?${params}`);
  if (ticket !== tickets.query) return data;
  const point = [data.lon, data.lat];
  const circle = Number(params.get('radius')) > 0 ? circlePolygon(point, data.radius_m) : null;
  page.query = {
    point: toDisplayPoint(point),
    shape: circle && toDisplay(circle),
    sites: data.sites,
    projects: data.projects,
    town: data.town?.name,
    zones: data.key_zones.map((z) => z.name),
  };
  drawQueryShape();
  foldResults(false);
  renderResults();
  return data;
}

async function queryPoint(lngLat) {
  const params = new URLSearchParams({ lon: lngLat.lng.toFixed(7), lat: lngLat.lat.toFixed(7), crs: displayCrs() });
  if (page.mode === 'circle') params.set('radius', String(radius()));
  await runLocate(params);
}

function radius() {
  const value = Number(document.getElementById('radius').value);
  return Number.isFinite(value) && value >= 10 ? Math.min(value, 50000) : 3000;
}

async function queryPolygon() {
  if (page.draft.length < 3) return;
  const ring = [...page.draft, page.draft[0]];
  const area = { type: 'Polygon', coordinates: [ring] };
  const crs = displayCrs();
  const ticket = ++tickets.query;
  const [sites, projects] = await Promise.all([
    api(`/api/sites/search?crs=${crs}&limit=1000`, { method: 'POST', body: area }),
    api(`/api/projects/search?crs=${crs}&limit=1000`, { method: 'POST', body: area }),
  ]);
  if (ticket !== tickets.query) return;
  page.draft = [];
  page.query = { point: null, shape: area, sites: sites.data.items, projects: projects.data.items };
  setMode('point');
  foldResults(false);
  renderResults();
}

function setMode(mode) {
  page.mode = mode;
  document.querySelector(`input[name=mode][value=${mode}]`).checked = true;
  document.getElementById('draw-buttons').hidden = mode !== 'polygon';
  document.getElementById('mode-hint').textContent = t({ point: 'modeHintPoint', circle: 'modeHintCircle', polygon: 'modeHintPolygon' }[mode]);
  map.getCanvas().style.cursor = mode === 'point' ? '' : 'crosshair';
  if (mode !== 'polygon') page.draft = [];
  drawQueryShape();
}

function clearQuery() {
  tickets.query += 1;
  page.query = null;
  drawQueryShape();
  setHighlight(null);
  refreshResults();
}

async function goToCoordinates(event) {
  event.preventDefault();
  const numbers = document.getElementById('coord-input').value.split(/[\s,，;]+/).filter(Boolean).map(Number);
  if (numbers.length !== 2 || !numbers.every(Number.isFinite)) {
    notify(t('badCoordinates'), 'error');
    return;
  }
  notify('');
  const params = new URLSearchParams({ lon: String(numbers[0]), lat: String(numbers[1]), crs: document.getElementById('coord-crs').value });
  params.set('radius', String(page.mode === 'circle' ? radius() : 200));
  const data = await runLocate(params);
  map.flyTo({ center: toDisplayPoint([data.lon, data.lat]), zoom: Math.max(map.getZoom(), 14) });
}

// ---- the side panel of a site or project ----

/** Opens the side panel for `shown` ({ kind, id }); returns its body and the ticket of this opening. */
function openDetails(title, shown) {
  page.details = shown;
  const details = document.getElementById('details');
  details.hidden = false;
  document.getElementById('details-title').textContent = title;
  const body = document.getElementById('details-body');
  body.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  return [body, ++tickets.details];
}

/** An attribute value in words: enumerated codes and booleans through the catalogue. */
function attributeValue(value) {
  if (Array.isArray(value)) return value.map(attributeValue).join('、');
  return typeof value === 'string' || typeof value === 'boolean' ? label('value', String(value)) : value;
}

async function projectCard(p) {
  const history = (await api(`/api/projects/${p.id}/history`)).data;
  return el('article', { class: 'project-card', 'data-project': p.id },
    el('header', {}, el('a', { href: `/projects/${p.id}` }, projectName(p)), statusBadge(p.status)),
    el('div', { class: 'result-line' }, el('span', { class: 'muted' }, `${p.code} · ${p.programme_name ?? label('category', p.category)}`), progressBar(p.progress)),
    el('details', {}, el('summary', {}, `${t('history')} (${history.length})`), timeline(history)));
}

async function showSite(id, fly = false) {
  const [body, ticket] = openDetails(t('details'), { kind: 'site', id });
  try {
    const site = (await api(`/api/sites/${id}`)).data;
    if (ticket !== tickets.details) return;
    page.siteCache.set(id, site);
    document.getElementById('details-title').textContent = language() === 'en' && site.name_en ? site.name_en : site.name;
    setHighlight([site.geometry]);
    if (fly) flyToGeometries([site.geometry]);
    const projects = (await api(`/api/projects?site=${id}&limit=100`)).data.items;
    const cards = await Promise.all(projects.map(projectCard));
    if (ticket !== tickets.details) return;
    body.replaceChildren(
      factTable([[t('kind'), t(site.kind)], [t('code'), site.code], [t('town'), site.town_name ?? site.town_code],
        [t('state'), t(`state_${site.remediation_state}`)], ...Object.entries(site.attrs ?? {}).map(([k, v]) => [label('attr', k), attributeValue(v)])]),
      site.placeholder ? el('p', { class: 'note' }, t('placeholder')) : null,
      el('h3', {}, `${t('linkedProjects')} (${projects.length})`),
      projects.length ? el('div', { class: 'cards' }, cards) : el('p', { class: 'empty' }, t('noProjects')));
    body.querySelector('.project-card details')?.setAttribute('open', '');
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

async function showProject(id) {
  const [body, ticket] = openDetails(t('details'), { kind: 'project', id });
  try {
    const project = (await api(`/api/projects/${id}`)).data;
    const sites = await sitesOfProject(id);
    const card = await projectCard(project);
    if (ticket !== tickets.details) return;
    document.getElementById('details-title').textContent = projectName(project);
    setHighlight(sites.map((s) => s.geometry));
    flyToGeometries(sites.map((s) => s.geometry));
    card.querySelector('details')?.setAttribute('open', '');
    body.replaceChildren(card,
      el('h3', {}, `${t('linkedSites')} (${sites.length})`),
      el('ul', { class: 'result-list' }, sites.map(siteRow)),
      el('p', {}, el('a', { class: 'button', href: `/projects/${id}` }, t('openProject'))));
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

function flyToGeometries(geometries) {
  const bounds = new maplibregl.LngLatBounds();
  for (const g of geometries.filter(Boolean)) extendBounds(bounds, toDisplay(g));
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 80, maxZoom: 15, duration: 600 });
}

// ---- search ----

let searchTimer = 0;
function closeSearch() {
  tickets.search += 1;
  document.getElementById('search-results').hidden = true;
  document.getElementById('search').setAttribute('aria-expanded', 'false');
}

function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => runSearch().catch((e) => notify(e.message, 'error')), 250);
}

async function runSearch() {
  const input = document.getElementById('search');
  const list = document.getElementById('search-results');
  const q = input.value.trim();
  if (!q) { closeSearch(); return; }
  const ticket = ++tickets.search;
  const query = new URLSearchParams({ q, limit: '8' });
  const [sites, projects] = await Promise.all([api(`/api/sites?${query}`), api(`/api/projects?${query}`)]);
  if (ticket !== tickets.search) return;
  const choose = (action) => { closeSearch(); action(); };
  const option = (text, sub, action) => el('li', { role: 'option', tabindex: -1, onclick: () => choose(action),
    onkeydown: (e) => onOptionKey(e, () => choose(action)) }, el('span', {}, text), el('span', { class: 'muted' }, sub));
  const items = [
    ...projects.data.items.map((p) => option(projectName(p), `${t('searchProjects')} · ${p.code}`, () => showProject(p.id))),
    ...sites.data.items.map((s) => option(s.name, `${t(s.kind)} · ${s.code}`, () => showSite(s.id, true))),
  ];
  list.replaceChildren(...(items.length ? items : [el('li', { class: 'empty' }, t('noMatches'))]));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

function onSearchKey(e) {
  const options = [...document.getElementById('search-results').querySelectorAll('[role=option]')];
  if (e.key === 'ArrowDown' && options.length) { e.preventDefault(); options[0].focus(); }
  if (e.key === 'Enter' && options.length) { e.preventDefault(); options[0].click(); }
  if (e.key === 'Escape') closeSearch();
}

/** Up and down move between the options, Enter picks one, Escape goes back to the box. */
function onOptionKey(e, pick) {
  const option = e.currentTarget;
  if (e.key === 'Enter') pick();
  else if (e.key === 'ArrowDown') { e.preventDefault(); option.nextElementSibling?.focus(); }
  else if (e.key === 'ArrowUp') { e.preventDefault(); (option.previousElementSibling ?? document.getElementById('search')).focus(); }
  else if (e.key === 'Escape') { closeSearch(); document.getElementById('search').focus(); }
}

// ---- wiring ----

function renderStatus() {
  const status = document.getElementById('status');
  status.textContent = page.failure ? t('failed', { e: page.failure }) : page.loaded ? t('loaded', { n: page.total }) : t('loading');
  status.classList.toggle('error', Boolean(page.failure));
}

/** Everything the language, a login or a logout changes. */
function renderAll() {
  renderStatus();
  renderLayerList();
  renderLegend();
  renderReportLinks();
  renderFilterChoices();
  renderFilterSummary();
  renderBasemapChooser();
  setMode(page.mode);
  if (page.loaded) renderResults();
  // what the panel shows may depend on who is logged in (staff-only attributes)
  if (page.details && !document.getElementById('details').hidden) {
    if (page.details.kind === 'site') showSite(page.details.id);
    else showProject(page.details.id);
  }
}

map.on('click', (e) => {
  // a key zone's fill covers everything inside it: a click there asks what is here
  const layers = LAYERS.flatMap((l) => l.styles.map((_, i) => `${l.id}-${i}`)).filter((id) => id !== 'key_zone-0' && map.getLayer(id));
  if (page.mode === 'polygon') {
    page.draft.push([e.lngLat.lng, e.lngLat.lat]);
    drawQueryShape();
    return;
  }
  const hit = page.mode === 'point' ? map.queryRenderedFeatures(e.point, { layers })[0] : null;
  const id = hit ? (hit.id ?? hit.properties.id) : null;
  if (id !== null && id !== undefined) {
    showSite(Number(id));
  } else {
    queryPoint(e.lngLat).catch((err) => notify(err.message, 'error'));
  }
});
map.on('moveend', () => { writeUrl(); refreshResults(); });

document.getElementById('outlines').addEventListener('change', (e) => setOutlines(e.target.checked));
document.getElementById('basemap').addEventListener('change', (e) => setBasemap(e.target.value));
for (const field of FILTER_FIELDS) {
  document.getElementById(`filter-${field}`).addEventListener('change', (e) => {
    page.filters[field] = e.target.value;
    applyFilters().catch((err) => notify(err.message, 'error'));
  });
}
document.getElementById('clear-filters').addEventListener('click', () => {
  for (const f of FILTER_FIELDS) page.filters[f] = '';
  renderFilterChoices();
  applyFilters().catch((err) => notify(err.message, 'error'));
});
document.querySelectorAll('input[name=mode]').forEach((input) => input.addEventListener('change', () => setMode(input.value)));
document.getElementById('finish-polygon').addEventListener('click', () => queryPolygon().catch((err) => notify(err.message, 'error')));
document.getElementById('cancel-polygon').addEventListener('click', () => setMode('point'));
document.getElementById('coord-form').addEventListener('submit', (e) => goToCoordinates(e).catch((err) => notify(err.message, 'error')));
document.getElementById('results-back').addEventListener('click', clearQuery);
document.getElementById('export-csv').addEventListener('click', exportResults);
document.getElementById('details-close').addEventListener('click', () => {
  document.getElementById('details').hidden = true;
  page.details = null;
  tickets.details += 1;
  setHighlight(null);
});
document.getElementById('search').addEventListener('input', onSearchInput);
document.getElementById('search').addEventListener('keydown', onSearchKey);
document.getElementById('panel-toggle').addEventListener('click', (e) => {
  const panel = document.getElementById('panel');
  panel.classList.toggle('collapsed');
  e.currentTarget.setAttribute('aria-expanded', String(!panel.classList.contains('collapsed')));
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && page.mode === 'polygon') setMode('point');
});

const mapLoaded = new Promise((resolve) => { map.on('load', resolve); });
await initChrome('title', renderAll);
renderAll();
function foldResults(folded) {
  document.getElementById('results').classList.toggle('folded', folded);
  document.getElementById('results-toggle').setAttribute('aria-expanded', String(!folded));
}
document.getElementById('results-toggle').addEventListener('click', () => {
  foldResults(!document.getElementById('results').classList.contains('folded'));
});
// on a phone the map comes first: the panel and the results start folded
if (window.matchMedia('(max-width: 600px)').matches) {
  document.getElementById('panel').classList.add('collapsed');
  document.getElementById('panel-toggle').setAttribute('aria-expanded', 'false');
  foldResults(true);
}
await mapLoaded;
loadLayers().catch((err) => {
  page.failure = err.message;
  renderStatus();
});
