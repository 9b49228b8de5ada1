// The project page: details, a mini-map of the linked sites, the history timeline, and for
// editors status transitions (only the allowed ones, each with a note), progress, field edits and
// linking sites by picking them on the mini-map. A stale edit shows both versions side by side.
import { miniMap, maplibregl } from '/minimap.js';
import { attachmentsPanel } from '/attachments.js';
import { t, label } from '/i18n.js';
import {
  api, el, caseItem, statusBadge, progressBar, timeline, notify, initChrome, canEdit, projectName, formatTime, extendBounds, siteSummary, factTable,
  CLASS_COLOURS,
} from '/common.js';

const projectId = Number(location.pathname.split('/').filter(Boolean)[1]);
const EDITABLE = ['name', 'responsible_unit', 'stage', 'planned_start', 'planned_end', 'actual_start', 'actual_end', 'description'];
const page = { project: null, etag: null, history: [], sites: [], picked: null };

// ---- reading ----

function classCell(cls) {
  return cls ? el('span', { class: 'badge class-badge', 'data-class': cls, style: `background:${CLASS_COLOURS[cls]}` }, label('class', cls)) : '—';
}

/** Each linked site's water before the works against after them. */
function renderEffect() {
  const sites = page.effect?.sites ?? [];
  document.getElementById('effect-card').hidden = sites.length === 0;
  document.getElementById('effect').replaceChildren(el('table', { class: 'facts monthly effect' },
    el('thead', {}, el('tr', {}, el('th', {}, t('code')), el('th', {}, t('effectBefore')), el('th', {}, t('effectAfter')), el('th', {}, t('limiting')))),
    el('tbody', {}, sites.map((s) => el('tr', { 'data-site': s.code, 'data-direction': s.direction ?? '' },
      el('td', {}, s.code), el('td', {}, classCell(s.before?.class)), el('td', {}, classCell(s.after.class)),
      el('td', {}, s.moved_by.map((p) => label('param', p)).join('、')))))),
  ...sites.filter((s) => s.change).map((s) => el('p', { class: 'effect-change' }, `${s.code}: ${s.change}`)));
}

async function load() {
  const card = document.getElementById('project-card');
  card.setAttribute('aria-busy', 'true');
  try {
    const [{ data: project, etag }, { data: history }, { data: sites }] = await Promise.all([
      api(`/api/projects/${projectId}`), api(`/api/projects/${projectId}/history`), api(`/api/sites?project=${projectId}&limit=1000`),
    ]);
    Object.assign(page, { project, etag, history, sites: sites.items });
    render();
    const cases = (await api(`/api/cases?project=${projectId}&limit=100`)).data.items;
    document.getElementById('cases-card').hidden = cases.length === 0;
    document.getElementById('case-list').replaceChildren(...cases.map(caseItem));
    drawSites();
    page.effect = (await api(`/api/projects/${projectId}/effect`)).data;
    renderEffect();
  } catch (e) {
    document.getElementById('project-name').textContent = e.status === 404 ? t('notFound') : e.message;
    notify(e.message, 'error');
  } finally {
    card.removeAttribute('aria-busy');
  }
}

function facts(p) {
  const funding = [p.funding_amount === null || p.funding_amount === undefined ? null : `${p.funding_amount} ${t('tenThousandYuan')}`, p.funding_source]
    .filter(Boolean).join(' · ');
  const rows = [
    [t('code'), p.code], [t('category'), label('category', p.category)], [t('programme'), p.programme_name ?? '—'],
    [t('status'), statusBadge(p.status)], [t('progress'), progressBar(p.progress)],
    [label('field', 'stage'), p.stage ? label('stage', p.stage) : '—'], [t('responsibleUnit'), p.responsible_unit ?? '—'], [t('town'), p.town_name ?? '—'],
    [t('funding'), funding || '—'],
    [t('plannedDates'), `${p.planned_start ?? '—'} ~ ${p.planned_end ?? '—'}`], [t('actualDates'), `${p.actual_start ?? '—'} ~ ${p.actual_end ?? '—'}`],
    [t('description'), p.description ?? '—'], [t('updatedAt'), formatTime(p.updated_at)], [t('version'), String(p.version)],
  ];
  if (p.status_reason) rows.splice(4, 0, [t('suspendReason'), p.status_reason]);
  return factTable(rows);
}

function render() {
  const p = page.project;
  if (!p) return;
  document.getElementById('project-name').textContent = projectName(p);
  document.title = `${projectName(p)} · remediation-tracker`;
  document.getElementById('project-facts').replaceChildren(facts(p));
  renderEffect();
  document.getElementById('history').replaceChildren(timeline(page.history));
  const editor = canEdit();
  document.getElementById('edit-card').hidden = !editor;
  document.getElementById('viewer-note').hidden = editor;
  document.getElementById('pick-hint').hidden = !editor;
  if (editor) renderEditors();
  renderSiteList();
}

function renderSiteList() {
  const items = page.sites.map((s) => siteSummary(s,
    canEdit() ? el('button', { type: 'button', class: 'unlink', onclick: () => unlink(s) }, t('unlink')) : null));
  const picked = page.picked && canEdit() && !page.sites.some((s) => s.id === page.picked.id)
    ? el('li', { class: 'pick' }, el('button', { type: 'button', id: 'link-picked', class: 'primary', onclick: () => link(page.picked) }, t('linkSite', { n: page.picked.name })))
    : null;
  document.getElementById('site-list').replaceChildren(...items, ...(picked ? [picked] : []));
}

// ---- editing ----

function renderEditors() {
  const p = page.project;
  const body = document.getElementById('edit-body');
  const allowed = p.allowed_transitions ?? [];
  let chosen = null;
  const note = el('textarea', { id: 'transition-note', rows: 2, 'aria-label': t('note'), placeholder: t('note') });
  const reason = el('input', { id: 'transition-reason', type: 'text', placeholder: t('reason'), 'aria-label': t('reason'), hidden: true });
  const apply = el('button', { type: 'submit', class: 'primary', id: 'transition-apply', disabled: true }, t('apply'));
  const buttons = allowed.map((to) => el('button', { type: 'button', 'data-to': to, 'aria-pressed': 'false', onclick: (e) => {
    chosen = to;
    buttons.forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
    reason.hidden = to !== 'suspended';
    apply.disabled = false;
  } }, label('status', to)));
  const transitionForm = el('form', { class: 'edit-form', id: 'transition-form', onsubmit: (e) => {
    e.preventDefault();
    if (!chosen) return;
    const change = { kind: 'transition', to: chosen, note: note.value.trim(), reason: reason.value.trim() || undefined };
    write(change);
  } },
  el('h3', {}, t('transitionTo')),
  allowed.length ? el('div', { class: 'transition-buttons' }, buttons) : el('p', { class: 'muted' }, t('noTransitions')),
  allowed.length ? [note, reason, el('div', {}, apply)] : null);

  const progress = el('input', { id: 'progress-input', type: 'number', min: 0, max: 100, step: 1, value: p.progress, 'aria-label': t('progress') });
  const progressNote = el('input', { id: 'progress-note', type: 'text', placeholder: t('description'), 'aria-label': t('description') });
  const progressForm = el('form', { class: 'edit-form', id: 'progress-form', onsubmit: (e) => {
    e.preventDefault();
    write({ kind: 'progress', progress: Number(progress.value), note: progressNote.value.trim() || undefined });
  } }, el('h3', {}, t('setProgress')), el('div', { class: 'row' }, progress, progressNote, el('button', { type: 'submit' }, t('save'))));

  const inputs = Object.fromEntries(EDITABLE.map((field) => {
    const type = field.includes('start') || field.includes('end') ? 'date' : 'text';
    const input = field === 'description'
      ? el('textarea', { name: field, rows: 3 })
      : el('input', { name: field, type });
    input.value = p[field] ?? '';
    return [field, input];
  }));
  const fieldsForm = el('form', { class: 'edit-form', id: 'fields-form', onsubmit: (e) => {
    e.preventDefault();
    const fields = {};
    for (const [field, input] of Object.entries(inputs)) {
      const value = input.value.trim() === '' ? null : input.value.trim();
      if (value !== (page.project[field] ?? null)) fields[field] = value;
    }
    if (Object.keys(fields).length) write({ kind: 'edit', fields });
  } }, el('h3', {}, t('editFields')),
  Object.entries(inputs).map(([field, input]) => el('label', { class: 'stack' }, el('span', {}, label('field', field)), input)),
  el('div', {}, el('button', { type: 'submit' }, t('save'))));

  body.replaceChildren(transitionForm, progressForm, fieldsForm);
}

/** The request of one change, against the version in `etag`. */
function send(change, etag) {
  const path = `/api/projects/${projectId}`;
  switch (change.kind) {
    case 'transition': return api(`${path}/transitions`, { method: 'POST', etag, body: { to: change.to, note: change.note, reason: change.reason } });
    case 'progress': return api(`${path}/progress`, { method: 'POST', etag, body: { progress: change.progress, note: change.note } });
    case 'edit': return api(path, { method: 'PATCH', etag, body: change.fields });
    case 'link': return api(`${path}/sites`, { method: 'POST', etag, body: { site_id: change.site.id } });
    default: return api(`${path}/sites/${change.site.id}`, { method: 'DELETE', etag });
  }
}

async function write(change, etag = page.etag) {
  notify('');
  document.getElementById('conflict').hidden = true;
  // one write at a time: a second click would only meet the first one as a conflict
  const buttons = [...document.querySelectorAll('#edit-body button, #site-list button')];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await send(change, etag);
    page.picked = null;
    notify(t('saved'), 'info');
    await load();
  } catch (e) {
    if (e.status === 412 && e.problem.current) showConflict(change, e.problem.current);
    else notify(e.message, 'error');
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    document.getElementById('transition-apply')?.toggleAttribute('disabled', !document.querySelector('#transition-form [aria-pressed=true]'));
  }
}

function link(site) { write({ kind: 'link', site }); }
function unlink(site) { write({ kind: 'unlink', site }); }

/** What a change would set, as field → value, to compare with the current version. */
function intended(change) {
  switch (change.kind) {
    case 'transition': return { status: label('status', change.to), note: change.note };
    case 'progress': return { progress: `${change.progress}%` };
    case 'edit': return change.fields;
    default: return { [change.kind]: change.site.name };
  }
}

function fieldName(field) {
  switch (field) {
    case 'note': return t('note');
    case 'link': case 'unlink': return t(field);
    default: return label('field', field);
  }
}

function shown(project, field) {
  if (field === 'status') return label('status', project.status);
  if (field === 'progress') return `${project.progress}%`;
  return project[field] ?? '—';
}

/** Someone else wrote first: both versions side by side; nothing is lost or sent silently. */
function showConflict(change, current) {
  const box = document.getElementById('conflict');
  const mine = intended(change);
  const fields = [...new Set(['status', 'progress', ...Object.keys(mine).filter((f) => f !== 'note' && f !== 'link' && f !== 'unlink')])];
  const theirs = el('table', {}, el('tbody', {}, fields.map((f) => el('tr', {}, el('th', { scope: 'row' }, fieldName(f)), el('td', {}, String(shown(current, f)))))));
  const yours = el('table', {}, el('tbody', {}, Object.entries(mine).map(([f, v]) => el('tr', {},
    el('th', { scope: 'row' }, fieldName(f)),
    el('td', { class: f in current && String(shown(current, f)) !== String(v ?? '—') ? 'differs' : '' }, String(v ?? '—'))))));
  box.replaceChildren(
    el('h2', { id: 'conflict-title' }, t('conflictTitle')),
    el('p', {}, t('conflictText')),
    el('div', { class: 'conflict-grid' },
      el('div', { id: 'conflict-theirs' }, el('h3', {}, t('conflictTheirs')), theirs),
      el('div', { id: 'conflict-mine' }, el('h3', {}, t('conflictMine')), yours)),
    el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'primary', id: 'conflict-retry', onclick: () => write(change, `"${current.version}"`) }, t('retry')),
      el('button', { type: 'button', id: 'conflict-discard', onclick: () => { box.hidden = true; load(); } }, t('discard'))));
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
  box.querySelector('#conflict-retry').focus();
}

// ---- the mini-map ----

let map = null;

async function setUpMap() {
  map = await miniMap('mini-map');
  // every site, from tiles, to pick from; the linked ones drawn over them
  map.addSource('all-sites', { type: 'vector', tiles: [`${location.origin}/tiles/sites/{z}/{x}/{y}.mvt`], maxzoom: 16 });
  map.addLayer({ id: 'all-sites-fill', type: 'fill', source: 'all-sites', 'source-layer': 'sites', paint: { 'fill-color': '#94a3b8', 'fill-opacity': 0.25 }, filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['!=', ['get', 'kind'], 'key_zone']] });
  map.addLayer({ id: 'all-sites-line', type: 'line', source: 'all-sites', 'source-layer': 'sites', paint: { 'line-color': '#94a3b8', 'line-width': 1.5 }, filter: ['==', ['geometry-type'], 'LineString'] });
  map.addLayer({ id: 'all-sites-point', type: 'circle', source: 'all-sites', 'source-layer': 'sites', paint: { 'circle-radius': 3, 'circle-color': '#94a3b8' }, filter: ['==', ['geometry-type'], 'Point'] });
  map.addSource('linked', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'linked-fill', type: 'fill', source: 'linked', paint: { 'fill-color': '#0f766e', 'fill-opacity': 0.4 }, filter: ['==', ['geometry-type'], 'Polygon'] });
  map.addLayer({ id: 'linked-line', type: 'line', source: 'linked', paint: { 'line-color': '#0f766e', 'line-width': 4 } });
  map.addLayer({ id: 'linked-point', type: 'circle', source: 'linked', paint: { 'circle-radius': 7, 'circle-color': '#0f766e', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 }, filter: ['==', ['geometry-type'], 'Point'] });
  map.addSource('picked', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'picked-point', type: 'circle', source: 'picked', paint: { 'circle-radius': 9, 'circle-color': 'rgba(245,158,11,.5)', 'circle-stroke-color': '#b45309', 'circle-stroke-width': 3 } });
  map.on('click', (e) => {
    if (!canEdit()) return;
    const hit = map.queryRenderedFeatures(e.point, { layers: ['all-sites-fill', 'all-sites-line', 'all-sites-point'] })[0];
    if (!hit) return;
    page.picked = { id: Number(hit.id), name: hit.properties.name };
    map.getSource('picked').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [e.lngLat.lng, e.lngLat.lat] } }] });
    renderSiteList();
  });
  drawSites();
  map.once('idle', () => { document.body.dataset.ready = 'true'; });
}

function drawSites() {
  const source = map?.getSource('linked');
  if (!source) return;
  source.setData({ type: 'FeatureCollection', features: page.sites.map((s) => ({ type: 'Feature', id: s.id, properties: { name: s.name }, geometry: s.geometry })) });
  map.getSource('picked')?.setData({ type: 'FeatureCollection', features: [] });
  const bounds = new maplibregl.LngLatBounds();
  page.sites.forEach((s) => extendBounds(bounds, s.geometry));
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 40, maxZoom: 15, duration: 0 });
}

const evidence = () => attachmentsPanel(document.getElementById('attachments'), `projects/${projectId}`).catch((e) => notify(e.message, 'error'));
await initChrome('projectTitle', () => { render(); evidence(); });
await Promise.all([load(), setUpMap().catch((e) => notify(e.message, 'error')), evidence()]);
