// The casework ledgers: the case list with its filters and overdue badges; for editors, the
// new-case form (placed by a click on the mini-map or by pasted coordinates in any input CRS),
// which shows the earlier petitions it likely repeats before anything is saved, and the ledger
// import with its preview. Anonymous readers see no petitions: the server leaves them out.
import { t, label } from '/i18n.js';
import { api, el, caseItem, statusBadge, notify, initChrome, canEdit, reportFailure } from '/common.js';
import { miniMap } from '/minimap.js';

const KINDS = ['petition', 'hidden_danger', 'inspection_finding', 'prominent_problem'];
const STATUSES = ['received', 'assigned', 'handling', 'resolved', 'closed', 'reopened'];
const CATEGORIES = ['air', 'water', 'noise', 'solid_waste', 'soil', 'other'];
const SOURCES = ['hotline_12345', 'letter', 'visit', 'online', 'inspection', 'higher_authority'];
const CRSS = [['EPSG:4326', 'crs_wgs84'], ['EPSG:4490', 'crs_cgcs2000'], ['EPSG:4549', 'crs_4549'], ['EPSG:4528', 'crs_4528'], ['gcj02', 'crs_gcj02']];
const PAGE = 50;
const state = { items: [], total: 0, place: null, repeatOf: null, map: null };

const select = (name, values, prefix, any = true) => el('select', { name, 'aria-label': t(name) },
  any ? el('option', { value: '' }, t('anyValue')) : null,
  values.map((v) => el('option', { value: v }, label(prefix, v))));

// ---- the list ----

function buildFilters() {
  const form = document.getElementById('case-filters');
  form.replaceChildren(
    el('label', {}, t('caseKind'), ' ', select('kind', KINDS, 'kind')),
    el('label', {}, t('caseStatus'), ' ', select('status', STATUSES, 'status')),
    el('label', {}, t('caseCategory'), ' ', select('category', CATEGORIES, 'casecat')),
    el('label', {}, el('input', { type: 'checkbox', name: 'overdue' }), ' ', t('overdueOnly')),
    el('input', { type: 'search', name: 'q', placeholder: t('caseSearch'), 'aria-label': t('caseSearch') }));
  form.addEventListener('change', () => reportFailure(loadCases()));
  form.addEventListener('submit', (e) => { e.preventDefault(); reportFailure(loadCases()); });
}

function query(offset) {
  const form = new FormData(document.getElementById('case-filters'));
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  for (const name of ['kind', 'status', 'category', 'q']) if (form.get(name)) params.set(name, form.get(name));
  if (form.get('overdue')) params.set('overdue', 'true');
  return params;
}

async function loadCases(offset = 0) {
  const list = document.getElementById('case-list');
  list.setAttribute('aria-busy', 'true');
  try {
    const page = (await api(`/api/cases?${query(offset)}`)).data;
    state.items = offset ? [...state.items, ...page.items] : page.items;
    state.total = page.total;
    renderList();
  } finally {
    list.removeAttribute('aria-busy');
  }
}

function renderList() {
  const count = document.getElementById('case-count');
  count.replaceChildren(t('caseCount', { n: state.total }), el('span', { class: 'case-legend', 'aria-label': t('legend') }, STATUSES.map(statusBadge)));
  document.getElementById('case-list').replaceChildren(...(state.items.length ? state.items.map(caseItem) : [el('li', { class: 'empty' }, t('noCases'))]));
  const more = document.getElementById('more-cases');
  more.hidden = state.items.length >= state.total;
  more.textContent = t('more', { n: state.total - state.items.length });
}

// ---- a new case ----

function placeOnMap(lon, lat) {
  state.place = [lon, lat];
  state.map?.getSource('place')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] });
  document.getElementById('place-text').textContent = t('placeSet', { lon: lon.toFixed(6), lat: lat.toFixed(6) });
  reportFailure(checkRepeats());
}

/** Earlier petitions this one likely repeats, asked before saving whenever place or category change. */
async function checkRepeats() {
  const form = document.getElementById('new-case');
  const box = document.getElementById('repeat-warning');
  state.repeatOf = null;
  if (form.elements.kind.value !== 'petition' || !state.place) { box.replaceChildren(); return; }
  const params = new URLSearchParams({ lon: String(state.place[0]), lat: String(state.place[1]), category: form.elements.category.value });
  if (form.elements.received_on.value) params.set('received_on', form.elements.received_on.value);
  const check = (await api(`/api/cases/repeats?${params}`)).data;
  const vars = { n: check.candidates.length, r: check.radius_m, d: check.days };
  if (!check.candidates.length) {
    box.dataset.count = '0';
    box.replaceChildren(el('p', { class: 'muted' }, t('repeatNone', vars)));
    drawCandidates([]);
    return;
  }
  box.dataset.count = String(check.candidates.length);
  const choice = (id, text) => el('label', { class: 'repeat-choice' },
    el('input', { type: 'radio', name: 'repeat_of', value: id ?? '', checked: id === null, onchange: () => { state.repeatOf = id; } }), ' ', text);
  box.replaceChildren(
    el('p', { class: 'warning', role: 'status' }, t('repeatWarning', vars)),
    el('ul', { class: 'repeat-list' }, check.candidates.map((c) => el('li', { 'data-code': c.code },
      choice(c.id, `${c.code} · ${c.received_on} · ${Math.round(c.distance_m)} m · ${c.title} · ${label('status', c.status)} · ${t('linkRepeat')}`)))),
    choice(null, t('notRepeat')));
  drawCandidates(check.candidates);
}

function drawCandidates(candidates) {
  const features = candidates.map((c) => ({ type: 'Feature', properties: { code: c.code }, geometry: c.geometry }));
  state.map?.getSource('candidates')?.setData({ type: 'FeatureCollection', features });
}

function buildNewCase() {
  const form = document.getElementById('new-case');
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const coords = el('input', { name: 'coords', type: 'text', placeholder: t('coordinatesHint'), 'aria-label': t('coordinatesHint') });
  const crs = el('select', { name: 'crs', 'aria-label': t('crs') }, CRSS.map(([v, key]) => el('option', { value: v }, t(key))));
  const severity = el('label', { class: 'stack', hidden: true }, el('span', {}, t('severity')), select('severity', ['general', 'major'], 'severity', false));
  const complainant = el('div', { class: 'row' },
    el('input', { name: 'complainant_name', placeholder: t('complainant'), 'aria-label': t('complainant') }),
    el('input', { name: 'complainant_phone', placeholder: t('complainantPhone'), 'aria-label': t('complainantPhone') }));
  form.replaceChildren(
    el('div', { class: 'row' },
      el('label', {}, t('caseKind'), ' ', select('kind', KINDS, 'kind', false)),
      el('label', {}, t('caseCategory'), ' ', select('category', CATEGORIES, 'casecat', false)),
      el('label', {}, t('caseSource'), ' ', select('source', SOURCES, 'source', false))),
    el('label', { class: 'stack' }, el('span', {}, t('caseSubject')), el('input', { name: 'title', required: true, maxlength: 200 })),
    el('label', { class: 'stack' }, el('span', {}, t('description')), el('textarea', { name: 'description', rows: 2 })),
    el('div', { class: 'row' },
      el('label', {}, t('receivedOn'), ' ', el('input', { name: 'received_on', type: 'date', value: today, required: true })),
      el('label', {}, t('deadline'), ' ', el('input', { name: 'deadline', type: 'date' }))),
    el('label', { class: 'stack' }, el('span', {}, t('address')), el('input', { name: 'address' })),
    el('label', { class: 'stack' }, el('span', {}, t('responsibleUnit')), el('input', { name: 'responsible_unit' })),
    severity,
    complainant,
    el('div', { class: 'row' }, coords, crs, el('button', { type: 'button', id: 'place-from-coords', onclick: () => reportFailure(placeFromCoords(coords.value, crs.value)) }, t('go'))),
    el('p', { id: 'place-text', class: 'muted' }, t('placeMissing')),
    el('div', { id: 'repeat-warning', class: 'repeat-warning' }),
    el('div', {}, el('button', { type: 'submit', class: 'primary', id: 'create-case' }, t('createCase'))));
  form.elements.kind.addEventListener('change', () => {
    const kind = form.elements.kind.value;
    severity.hidden = kind !== 'hidden_danger';
    complainant.hidden = kind !== 'petition';
    form.elements.source.value = kind === 'petition' ? 'hotline_12345' : kind === 'prominent_problem' ? 'higher_authority' : 'inspection';
    reportFailure(checkRepeats());
  });
  form.elements.category.addEventListener('change', () => reportFailure(checkRepeats()));
  form.elements.received_on.addEventListener('change', () => reportFailure(checkRepeats()));
  form.addEventListener('submit', (e) => { e.preventDefault(); reportFailure(createCase()); });
}

/** Pasted coordinates in any input CRS, brought to WGS84 by the server's own conversion. */
async function placeFromCoords(text, crs) {
  const numbers = text.split(/[\s,，]+/).filter(Boolean).map(Number);
  if (numbers.length !== 2 || numbers.some((n) => !Number.isFinite(n))) { notify(t('coordinatesHint'), 'error'); return; }
  const located = (await api(`/api/locate?${new URLSearchParams({ lon: String(numbers[0]), lat: String(numbers[1]), crs, radius: '0' })}`)).data;
  placeOnMap(located.lon, located.lat);
  state.map?.jumpTo({ center: [located.lon, located.lat], zoom: Math.max(state.map.getZoom(), 14) });
}

async function createCase() {
  const form = document.getElementById('new-case');
  const f = form.elements;
  const kind = f.kind.value;
  const body = { kind, category: f.category.value, source: f.source.value, title: f.title.value, received_on: f.received_on.value };
  for (const name of ['description', 'deadline', 'address', 'responsible_unit']) if (f[name].value.trim()) body[name] = f[name].value.trim();
  if (kind === 'hidden_danger') body.severity = f.severity.value;
  if (kind === 'petition') {
    for (const name of ['complainant_name', 'complainant_phone']) if (f[name].value.trim()) body[name] = f[name].value.trim();
    if (state.repeatOf) body.repeat_of = state.repeatOf;
  }
  if (state.place) body.geometry = { type: 'Point', coordinates: state.place };
  const created = (await api('/api/cases', { method: 'POST', body })).data;
  notify(t('caseCreated', { code: created.code }), 'info');
  form.reset();
  state.place = null;
  state.repeatOf = null;
  buildNewCase();
  state.map?.getSource('place')?.setData({ type: 'FeatureCollection', features: [] });
  await loadCases();
}

// ---- a ledger ----

function buildLedger() {
  const form = document.getElementById('ledger-form');
  const file = el('input', { type: 'file', name: 'file', accept: '.csv,.xlsx', required: true, 'aria-label': t('importLedger') });
  form.replaceChildren(
    el('div', { class: 'row' }, select('ledger_kind', KINDS, 'kind', false),
      el('select', { name: 'ledger_crs', 'aria-label': t('crs') }, CRSS.map(([v, key]) => el('option', { value: v }, t(key))))),
    file,
    el('div', { class: 'buttons' },
      el('button', { type: 'button', id: 'ledger-preview', onclick: () => reportFailure(sendLedger(true)) }, t('preview')),
      el('button', { type: 'button', id: 'ledger-import', class: 'primary', disabled: true, onclick: () => reportFailure(sendLedger(false)) }, t('doImport'))));
  file.addEventListener('change', () => { document.getElementById('ledger-import').disabled = true; });
}

async function sendLedger(dryRun) {
  const form = document.getElementById('ledger-form');
  const file = form.elements.file.files[0];
  if (!file) return;
  const params = new URLSearchParams({ kind: form.elements.ledger_kind.value, crs: form.elements.ledger_crs.value, dry_run: String(dryRun), file_name: file.name });
  const out = document.getElementById('ledger-result');
  out.replaceChildren(el('progress', { 'aria-label': t('uploading') }));
  const response = await fetch(`/api/cases/import?${params}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file, credentials: 'same-origin' });
  const summary = await response.json();
  const rejected = summary.rejected ?? [];
  if (rejected.length || !response.ok) {
    out.replaceChildren(el('p', { class: 'error' }, summary.rejected_total ? t('previewRejected', { n: summary.rejected_total }) : (summary.detail ?? `HTTP ${response.status}`)),
      el('table', { class: 'facts' }, el('thead', {}, el('tr', {}, el('th', {}, t('row')), el('th', {}, t('column')), el('th', {}, t('rejectReason')))),
        el('tbody', {}, rejected.map((r) => el('tr', {}, el('td', {}, String(r.row)), el('td', {}, r.column ?? ''), el('td', {}, r.reason))))));
    document.getElementById('ledger-import').disabled = true;
    return;
  }
  if (dryRun) {
    out.replaceChildren(el('p', {}, t('ledgerPreviewOk', { rows: summary.rows })),
      el('ul', { class: 'result-list' }, summary.preview.map((r) => el('li', {}, `${r.row}: ${r.code} · ${r.received_on} · ${label('casecat', r.category)} · ${r.title} · ${label('status', r.status)}`))));
    document.getElementById('ledger-import').disabled = false;
  } else {
    out.replaceChildren(el('p', {}, t('ledgerImported', { n: summary.inserted })));
    document.getElementById('ledger-import').disabled = true;
    await loadCases();
  }
}

// ---- the map of the form ----

async function setUpMap() {
  const map = await miniMap('mini-map');
  state.map = map;
  map.addSource('cases', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'cases-point', type: 'circle', source: 'cases', paint: { 'circle-radius': 4, 'circle-color': '#64748b', 'circle-opacity': 0.7 } });
  map.addSource('place', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'place-point', type: 'circle', source: 'place', paint: { 'circle-radius': 8, 'circle-color': 'rgba(220,38,38,.5)', 'circle-stroke-color': '#b91c1c', 'circle-stroke-width': 3 } });
  map.addSource('candidates', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'candidates-point', type: 'circle', source: 'candidates', paint: { 'circle-radius': 7, 'circle-color': 'rgba(245,158,11,.6)', 'circle-stroke-color': '#b45309', 'circle-stroke-width': 2 } });
  map.on('click', (e) => placeOnMap(e.lngLat.lng, e.lngLat.lat));
  const petitions = (await api('/api/cases?kind=petition&limit=1000')).data.items;
  map.getSource('cases').setData({ type: 'FeatureCollection', features: petitions.filter((c) => c.geometry).map((c) => ({ type: 'Feature', properties: { code: c.code }, geometry: c.geometry })) });
  await new Promise((resolve) => { map.once('idle', resolve); map.triggerRepaint(); });
}

/** A case started from the map's "new case here" comes with its place in the URL (WGS84). */
function placeFromUrl() {
  const query = new URLSearchParams(location.search);
  const [lon, lat] = ['lon', 'lat'].map((k) => Number(query.get(k)));
  if (!query.has('lon') || !Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return;
  placeOnMap(lon, lat);
  state.map?.jumpTo({ center: [lon, lat], zoom: 16 });
  document.getElementById('new-case-card').scrollIntoView({ block: 'start' });
}

let mapStarted = null;
async function render() {
  buildFilters();
  const editor = canEdit();
  document.getElementById('new-case-card').hidden = !editor;
  document.getElementById('ledger-card').hidden = !editor;
  if (editor) {
    buildNewCase();
    buildLedger();
    mapStarted ??= setUpMap();
  }
  await loadCases();
  if (editor) {
    await mapStarted;
    placeFromUrl();
  }
}

document.getElementById('more-cases').addEventListener('click', () => reportFailure(loadCases(state.items.length)));
await initChrome('casesTitle', () => reportFailure(render()));
try {
  await render();
} catch (e) {
  notify(e.message, 'error');
}
document.body.dataset.ready = 'true';
