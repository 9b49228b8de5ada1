// The import of a file of sites by an editor: a dropped or chosen file is sent once as a dry
// run, whose answer shows the format, layer, CRS and encoding found, draws the first features on
// the map and names every refused feature; only then can it be imported. Both uploads show
// their progress.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from '/i18n.js';
import { api, el, canEdit, extendBounds, factTable, sendFile } from '/common.js';
import { page, map } from '/map/state.js';
import { LAYERS } from '/map/styles.js';
import { toDisplay, displayData } from '/map/display.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
// the file's fields renamed (a property) or left out (null), kept per layer kind in the browser
// so that the next file of the same source maps alike
let mapping = {};
const savedMappingKey = (kind) => `rt-import-mapping-${kind}`;

/** Sends the file with the panel's choices; resolves to [status, body]. */
function upload(file, dryRun) {
  const query = new URLSearchParams({ kind: document.getElementById('site-import-kind').value, file_name: file.name, dry_run: String(dryRun) });
  for (const [key, id] of [['crs', 'site-import-crs'], ['layer', 'site-import-layer']]) {
    const value = document.getElementById(id).value.trim();
    if (value) query.set(key, value);
  }
  if (Object.keys(mapping).length) query.set('mapping', JSON.stringify(mapping));
  return sendFile(`/api/imports?${query}`, file, document.getElementById('site-import-progress'));
}

function drawPreview(collection) {
  if (!map.getSource('import-preview')) {
    map.addSource('import-preview', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'import-preview-fill', type: 'fill', source: 'import-preview', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#a855f7', 'fill-opacity': 0.25 } });
    map.addLayer({ id: 'import-preview-line', type: 'line', source: 'import-preview', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#7e22ce', 'line-width': 2 } });
    map.addLayer({ id: 'import-preview-point', type: 'circle', source: 'import-preview', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 6, 'circle-color': '#a855f7', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  }
  const shown = { type: 'FeatureCollection', features: (collection?.features ?? []).map((f) => ({ ...f, geometry: toDisplay(f.geometry) })) };
  map.getSource('import-preview').setData(shown);
  document.getElementById('map').dataset.importPreview = String(shown.features.length);
  const bounds = new maplibregl.LngLatBounds();
  shown.features.forEach((f) => extendBounds(bounds, f.geometry));
  // clear of the side panel, where the import is done
  const panel = document.getElementById('panel');
  const left = panel.classList.contains('collapsed') ? 40 : panel.getBoundingClientRect().right + 40;
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: { top: 60, bottom: 60, right: 60, left }, maxZoom: 16, duration: 0 });
}

function foundFacts(found) {
  if (!found) return null;
  return factTable([
    [t('importFormat'), t(found.layers.length ? 'importFound' : 'importFoundSheet', { driver: found.driver, layer: found.layer, n: found.features })],
    [t('crs'), t('importCrsFound', { crs: found.crs, from: t(`from_${found.crs_from}`) })],
    found.encoding ? [t('importEncodingLabel'), t('importEncoding', { name: found.encoding.name, from: t(`from_${found.encoding.from}`) })] : null,
  ].filter(Boolean));
}

function rejectionTable(body) {
  const sheet = ['CSV', 'XLSX'].includes(body.found?.driver);
  return el('table', { class: 'facts monthly rejections' },
    el('thead', {}, el('tr', {}, el('th', {}, t(sheet ? 'sheetRow' : 'featureIndex')), el('th', {}, t('caseCode')), el('th', {}, t('rejectReason')))),
    el('tbody', {}, body.rejected.map((r) => el('tr', { 'data-index': r.index }, el('td', {}, r.index), el('td', {}, r.code ?? ''), el('td', {}, r.reason)))));
}

/** The properties a kind's sites take, as the OGC collection describes them. */
async function propertiesOf(kind) {
  const { data } = await api(`/ogc/collections/${kind}/queryables`);
  return Object.keys(data.properties ?? {}).filter((p) => p !== 'geometry' && p !== 'id');
}

/** A select per file field: keep its name, leave it out, or name the property it is. */
async function mappingEditor(found, kind, again) {
  if (!found?.fields?.length) return null;
  const properties = await propertiesOf(kind);
  const rows = found.fields.map((field, i) => {
    const select = el('select', { id: `import-map-${i}`, 'data-field': field, 'aria-label': field },
      el('option', { value: '' }, t('mapKeep')), el('option', { value: '-' }, t('mapDrop')),
      ...properties.map((p) => el('option', { value: p }, p)));
    select.value = field in mapping ? (mapping[field] ?? '-') : '';
    select.addEventListener('change', () => {
      if (select.value === '') delete mapping[field];
      else mapping[field] = select.value === '-' ? null : select.value;
    });
    return el('tr', {}, el('th', { scope: 'row' }, field), el('td', {}, select));
  });
  const save = el('button', { type: 'button', id: 'import-map-save', onclick: () => {
    localStorage.setItem(savedMappingKey(kind), JSON.stringify(mapping));
    const url = URL.createObjectURL(new Blob([JSON.stringify(mapping, null, 2)], { type: 'application/json' }));
    const link = el('a', { href: url, download: `mapping-${kind}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } }, t('mapSave'));
  return el('details', { class: 'import-mapping', open: true },
    el('summary', {}, t('mapTitle')),
    el('table', { class: 'attrs' }, el('tbody', {}, rows)),
    el('div', { class: 'buttons' }, el('button', { type: 'button', id: 'import-map-apply', onclick: again }, t('mapApply')), save));
}

/** The imported kind's layer drawn again from the server (tiled layers follow by themselves). */
async function refreshLayer(kind) {
  if (page.tiled[kind] || !map.getSource(kind)) return;
  page.rawData[kind] = (await api(`/api/layers/${kind}`)).data;
  map.getSource(kind).setData(displayData(kind));
}

async function preview(file) {
  const result = document.getElementById('site-import-result');
  const kind = document.getElementById('site-import-kind').value;
  result.replaceChildren(el('p', { class: 'muted' }, t('uploading')));
  const [status, body] = await upload(file, true);
  if (status !== 200) {
    drawPreview(EMPTY);
    result.replaceChildren(el('p', { class: 'error' }, body.detail ?? `HTTP ${status}`));
    return;
  }
  drawPreview(body.preview);
  const editor = await mappingEditor(body.found, kind, () => report(preview(file)));
  if (body.rejected_total > 0) {
    result.replaceChildren(foundFacts(body.found) ?? '', el('p', { class: 'error', id: 'site-import-refused' }, t('importRejected', { n: body.rejected_total })), rejectionTable(body), editor ?? '');
    return;
  }
  const go = el('button', { type: 'button', id: 'site-import-go', class: 'primary', onclick: async () => {
    go.disabled = true;
    const [done, summary] = await upload(file, false);
    drawPreview(EMPTY);
    result.replaceChildren(done === 200
      ? el('p', { class: 'note', id: 'site-imported' }, t('importDone', { n: summary.inserted }))
      : el('p', { class: 'error' }, summary.detail ?? `HTTP ${done}`));
    if (done === 200) await refreshLayer(kind);
  } }, t('doImport'));
  result.replaceChildren(foundFacts(body.found) ?? '', el('p', { id: 'site-import-ready' }, t('importReady', { n: body.read })), go, editor ?? '');
}

/** A new file starts from the mapping last saved for the kind. */
function startFile(file) {
  const kind = document.getElementById('site-import-kind').value;
  try { mapping = JSON.parse(localStorage.getItem(savedMappingKey(kind)) ?? '{}') ?? {}; } catch { mapping = {}; }
  report(preview(file));
}

function report(promise) {
  promise.catch((err) => document.getElementById('site-import-result').replaceChildren(el('p', { class: 'error' }, err.message)));
}

/** Shows the import panel to editors only, with the layers to import into. */
export function renderSiteImport() {
  document.getElementById('site-import').hidden = !canEdit();
  const select = document.getElementById('site-import-kind');
  const chosen = select.value;
  select.replaceChildren(...LAYERS.map((l) => el('option', { value: l.id }, t(l.id))), el('option', { value: 'admin_area' }, t('admin_area')));
  if (chosen) select.value = chosen;
}

export function wireSiteImport() {
  const input = document.getElementById('site-import-file');
  input.addEventListener('change', () => {
    const [file] = input.files;
    if (file) startFile(file);
    input.value = '';
  });
  const zone = document.getElementById('site-import-drop');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const file = e.dataTransfer?.files?.[0];
    if (file) startFile(file);
  });
}
