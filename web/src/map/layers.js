// The map's data layers: loading them (small ones as GeoJSON, large ones as vector tiles), the
// panel's layer list, legend and basemap chooser, and switching layers, outlines and basemap.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, label } from '/i18n.js';
import { api, el, extendBounds, STATE_COLOURS, STATUS_COLOURS, CLASS_COLOURS } from '/common.js';
import { page, map } from '/map/state.js';
import { LAYERS, OUTLINE_STYLES } from '/map/styles.js';
import { writeUrl } from '/map/url-state.js';
import { gcjDisplay, tileUrl, displayData, addOverlayLayers } from '/map/display.js';
import { renderFilterChoices, applyFilters } from '/map/filters.js';
import { clearQuery, resetCursor } from '/map/queries.js';

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

const visibility = (on) => (on ? 'visible' : 'none');

/** Shows or hides the map layers drawn from `source` with `styles` (once they exist). */
function setStyleVisibility(source, styles, on) {
  styles.forEach((_, i) => map.getLayer(`${source}-${i}`) && map.setLayoutProperty(`${source}-${i}`, 'visibility', visibility(on)));
}

/** Adds every layer to the map; `initialView` is the URL's view, else the map fits the district. */
export async function loadLayers(initialView) {
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
        layout: { visibility: visibility(page.visible[layer.id]) },
      });
      map.on('mouseenter', `${layer.id}-${i}`, () => { if (page.mode === 'point') map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', `${layer.id}-${i}`, resetCursor);
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

export function renderStatus() {
  const status = document.getElementById('status');
  status.textContent = page.failure ? t('failed', { e: page.failure }) : page.loaded ? t('loaded', { n: page.total }) : t('loading');
  status.classList.toggle('error', Boolean(page.failure));
}

export function renderLayerList() {
  document.getElementById('layer-list').replaceChildren(...LAYERS.map((layer) => {
    const box = el('input', { type: 'checkbox', 'data-layer': layer.id, onchange: (e) => setVisible(layer.id, e.target.checked) });
    box.checked = page.visible[layer.id];
    return el('li', {},
      el('label', {}, box, el('span', { class: 'swatch', style: `background:${layer.swatch}` }), el('span', {}, t(layer.id))),
      el('span', { class: 'count' }, page.counts[layer.id] ?? '…'));
  }));
}

export function renderLegend() {
  document.getElementById('legend').replaceChildren(...Object.entries(STATE_COLOURS).map(([state, colour]) =>
    el('li', {}, el('span', { class: 'swatch', style: `background:${colour}` }), el('span', {}, t(`state_${state}`)))));
  document.getElementById('legend-class').replaceChildren(...Object.entries(CLASS_COLOURS).map(([cls, colour]) =>
    el('li', { 'data-class': cls }, el('span', { class: 'swatch round', style: `background:${colour}` }), el('span', {}, label('class', cls)))));
  document.getElementById('legend-status').replaceChildren(...Object.entries(STATUS_COLOURS).map(([status, colour]) =>
    el('li', {}, el('span', { class: 'swatch', style: `background:${colour}` }), el('span', {}, label('status', status)))));
}

export function renderBasemapChooser() {
  const select = document.getElementById('basemap');
  select.replaceChildren(el('option', { value: 'none' }, t('basemap_none')),
    ...page.settings.basemaps.map((b) => el('option', { value: b.id }, label('basemap', b.id))));
  select.value = page.basemap;
}

function setVisible(id, on) {
  page.visible[id] = on;
  document.body.dataset.idle = 'false';
  map.once('idle', () => { document.body.dataset.idle = 'true'; });
  // before the layers are added, the choice is applied when they are
  setStyleVisibility(id, LAYERS.find((l) => l.id === id).styles, on);
  writeUrl();
}

function setOutlines(on) {
  page.outlines = on;
  setStyleVisibility('admin_area', OUTLINE_STYLES, on);
  writeUrl();
}

/** Re-requests every source in the display CRS; a query drawn in the old one no longer lines up. */
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
  if (previousGcj !== gcjDisplay()) {
    refreshSourcesForCrs();
    document.dispatchEvent(new Event('display-crs'));
  }
  writeUrl();
}

export function wireLayerControls() {
  document.getElementById('outlines').addEventListener('change', (e) => setOutlines(e.target.checked));
  document.getElementById('basemap').addEventListener('change', (e) => setBasemap(e.target.value));
}
