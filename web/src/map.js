// The first map page: draws every sample layer from /api/layers, coloured by remediation state.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, language, setLanguage } from '/i18n.js';

const STATE_COLOURS = { none: '#94a3b8', in_progress: '#f59e0b', done: '#16a34a', suspended: '#dc2626' };
const stateColour = ['match', ['get', 'remediation_state'],
  'in_progress', STATE_COLOURS.in_progress, 'done', STATE_COLOURS.done, 'suspended', STATE_COLOURS.suspended,
  STATE_COLOURS.none];

// Drawing order, bottom to top, with each layer's own style.
const LAYERS = [
  { id: 'admin_area', swatch: '#64748b', styles: [
    { type: 'fill', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 }, filter: ['==', ['get', 'level'], 'town'] },
    { type: 'line', paint: { 'line-color': '#64748b', 'line-width': ['match', ['get', 'level'], 'district', 2.5, 1], 'line-dasharray': [3, 2] } },
  ] },
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

const counts = {};
const visible = Object.fromEntries(LAYERS.map((l) => [l.id, true]));

const map = new maplibregl.Map({
  container: 'map',
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }] },
  center: [119.86, 31.795],
  zoom: 11,
  localIdeographFontFamily: '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
  attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

function renderTexts() {
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.getElementById('lang').textContent = t('switchTo');
  document.title = `${t('title')} · remediation-tracker`;
  renderLayerList();
  renderLegend();
  renderReportLinks();
}

/** Today in China, where the bureau's dates are counted. */
function chinaToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** Each format's link downloads the report for the chosen date in the page's language. */
function renderReportLinks() {
  const input = document.getElementById('report-date');
  input.max = chinaToday();
  if (!input.value) input.value = chinaToday();
  const lang = language() === 'en' ? 'en' : 'zh';
  const valid = input.checkValidity();
  document.querySelectorAll('#report a[data-format]').forEach((a) => {
    const query = new URLSearchParams({ as_of: input.value, format: a.dataset.format, lang });
    a.href = `/api/reports?${query}`;
    a.toggleAttribute('aria-disabled', !valid);
  });
}
document.getElementById('report-date').addEventListener('input', renderReportLinks);
document.getElementById('report').addEventListener('submit', (e) => e.preventDefault());

function renderLayerList() {
  const list = document.getElementById('layer-list');
  list.replaceChildren(...LAYERS.map((layer) => {
    const item = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = visible[layer.id];
    box.dataset.layer = layer.id;
    box.addEventListener('change', () => setVisible(layer.id, box.checked));
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = layer.swatch;
    const name = document.createElement('span');
    name.textContent = t(layer.id);
    const count = document.createElement('span');
    count.className = 'count';
    count.textContent = counts[layer.id] ?? '…';
    label.append(box, swatch, name);
    item.append(label, count);
    return item;
  }));
}

function renderLegend() {
  const legend = document.getElementById('legend');
  legend.replaceChildren(...Object.entries(STATE_COLOURS).map(([state, colour]) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colour;
    const name = document.createElement('span');
    name.textContent = t(`state_${state}`);
    item.append(swatch, name);
    return item;
  }));
}

function setVisible(id, on) {
  visible[id] = on;
  document.body.dataset.idle = 'false';
  map.once('idle', () => { document.body.dataset.idle = 'true'; });
  const layer = LAYERS.find((l) => l.id === id);
  layer.styles.forEach((_, i) => map.setLayoutProperty(`${id}-${i}`, 'visibility', on ? 'visible' : 'none'));
}

function setStatus(text, isError = false) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

async function loadLayers() {
  const loaded = await Promise.all(LAYERS.map(async (layer) => {
    const response = await fetch(`/api/layers/${layer.id}`);
    if (!response.ok) throw new Error(`${layer.id}: HTTP ${response.status}`);
    return [layer, await response.json()];
  }));
  let total = 0;
  for (const [layer, data] of loaded) {
    counts[layer.id] = data.features.length;
    total += data.features.length;
    map.addSource(layer.id, { type: 'geojson', data });
    layer.styles.forEach((style, i) => {
      map.addLayer({ id: `${layer.id}-${i}`, source: layer.id, ...style });
      if (layer.id !== 'admin_area') {
        map.on('click', `${layer.id}-${i}`, (e) => showPopup(e, layer.id));
        map.on('mouseenter', `${layer.id}-${i}`, () => { map.getCanvas().style.cursor = 'pointer'; });
        map.on('mouseleave', `${layer.id}-${i}`, () => { map.getCanvas().style.cursor = ''; });
      }
    });
  }
  const district = loaded.find(([l]) => l.id === 'admin_area')[1];
  const bounds = new maplibregl.LngLatBounds();
  district.features.forEach((f) => f.geometry.coordinates.flat(2).forEach((c) => bounds.extend(c)));
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 30, duration: 0 });
  setStatus(t('loaded', { n: total }));
  renderLayerList();
  // lets tests (and anyone curious) know the first complete render has happened
  map.once('idle', () => { document.body.dataset.ready = 'true'; });
}

function showPopup(e, kind) {
  const f = e.features[0];
  const p = f.properties;
  const box = document.createElement('div');
  const title = document.createElement('b');
  title.textContent = language() === 'en' && p.name_en ? p.name_en : p.name;
  box.append(title);
  const rows = [[t('kind'), t(kind)], [t('code'), p.code], [t('town'), p.town_code ?? '—'], [t('state'), t(`state_${p.remediation_state}`)]];
  for (const [k, v] of rows) {
    const line = document.createElement('div');
    line.textContent = `${k}：${v}`;
    box.append(line);
  }
  if (p.placeholder === true || p.placeholder === 'true') {
    const note = document.createElement('div');
    note.className = 'note';
    note.textContent = t('placeholder');
    box.append(note);
  }
  new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(e.lngLat).setDOMContent(box).addTo(map);
}

document.getElementById('lang').addEventListener('click', () => {
  setLanguage(language() === 'en' ? 'zh-CN' : 'en');
  renderTexts();
});

setLanguage(language());
renderTexts();
map.on('load', () => loadLayers().catch((err) => setStatus(t('failed', { e: err.message }), true)));
