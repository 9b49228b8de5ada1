// A case's page: its facts (the complainant for editors only, as the server answers), its place
// on a mini-map, its history as a timeline and, for editors, the transitions its lifecycle allows
// next, each with a note; resolving asks for the resolution.
import { t, label } from '/i18n.js';
import { attachmentsPanel } from '/attachments.js';
import { api, el, statusBadge, timeline, notify, initChrome, canEdit, factTable, reportFailure } from '/common.js';
import { miniMap } from '/minimap.js';

const caseId = Number(location.pathname.split('/').filter(Boolean)[1]);
const page = { case: null, etag: null, history: [], map: null };

function facts(c) {
  const link = (href, text) => (text ? el('a', { href }, text) : null);
  const deadline = c.deadline ? [c.deadline, c.overdue ? el('span', { class: 'badge overdue', style: '--badge:#b91c1c' }, t('overdue')) : ''] : null;
  return factTable([
    [t('caseCode'), c.code], [t('caseKind'), label('kind', c.kind)], [t('caseCategory'), label('casecat', c.category)],
    [t('caseSource'), label('source', c.source)], [t('caseStatus'), statusBadge(c.status)],
    [t('receivedOn'), c.received_on], [t('deadline'), deadline ? el('span', {}, ...deadline) : null],
    [t('severity'), c.severity ? label('severity', c.severity) : null], [label('field', 'inspection'), c.inspection],
    [t('town'), c.town_name], [t('address'), c.address], [t('responsibleUnit'), c.responsible_unit],
    [t('linkedSite'), c.site_id ? el('span', {}, `${c.site_name ?? ''} (${c.site_code ?? ''}) `, c.placed_by_site ? t('placedBySite') : '') : null],
    [t('linkedProject'), c.project_id ? link(`/projects/${c.project_id}`, `${c.project_name} (${c.project_code})`) : null],
    [t('repeatOf'), c.repeat_of ? link(`/cases/${c.repeat_of}`, c.repeat_of_code) : null],
    [t('repeatCount'), c.repeat_count ? String(c.repeat_count) : null],
    [t('complainant'), c.complainant_name], [t('complainantPhone'), c.complainant_phone],
    [t('description'), c.description], [t('resolution'), c.resolution], [t('version'), String(c.version)],
  ]);
}

function renderTransitions() {
  const c = page.case;
  const form = document.getElementById('case-transition');
  const allowed = c.allowed_transitions ?? [];
  let chosen = null;
  const note = el('textarea', { id: 'case-note', rows: 2, placeholder: t('note'), 'aria-label': t('note') });
  const resolution = el('textarea', { id: 'case-resolution', rows: 2, placeholder: t('resolution'), 'aria-label': t('resolution'), hidden: true });
  resolution.value = c.resolution ?? '';
  const apply = el('button', { type: 'submit', class: 'primary', id: 'case-apply', disabled: true }, t('apply'));
  const buttons = allowed.map((to) => el('button', { type: 'button', 'data-to': to, 'aria-pressed': 'false', onclick: (e) => {
    chosen = to;
    buttons.forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
    resolution.hidden = to !== 'resolved';
    apply.disabled = false;
  } }, label('status', to)));
  form.onsubmit = (e) => {
    e.preventDefault();
    if (!chosen) return;
    const body = { to: chosen, note: note.value.trim() };
    if (chosen === 'resolved' && resolution.value.trim()) body.resolution = resolution.value.trim();
    reportFailure(api(`/api/cases/${caseId}/transitions`, { method: 'POST', etag: page.etag, body }).then(() => { notify(t('saved'), 'info'); return load(); }));
  };
  form.replaceChildren(...(allowed.length ? [el('div', { class: 'transition-buttons' }, buttons), note, resolution, el('div', {}, apply)] : [el('p', { class: 'muted' }, t('noTransitions'))]));
}

function render() {
  const c = page.case;
  if (!c) return;
  document.getElementById('case-title').textContent = `${c.title}`;
  document.title = `${c.code} · remediation-tracker`;
  document.getElementById('case-facts').replaceChildren(facts(c));
  document.getElementById('history').replaceChildren(timeline(page.history));
  document.getElementById('case-edit').hidden = !canEdit();
  if (canEdit()) renderTransitions();
  drawPlace();
}

function drawPlace() {
  const map = page.map;
  const geometry = page.case?.geometry;
  if (!map || !geometry) return;
  map.getSource('place').setData({ type: 'Feature', properties: {}, geometry });
  map.jumpTo({ center: geometry.coordinates, zoom: 15 });
}

async function load() {
  const card = document.getElementById('case-card');
  card.setAttribute('aria-busy', 'true');
  try {
    const [{ data, etag }, { data: history }] = await Promise.all([api(`/api/cases/${caseId}`), api(`/api/cases/${caseId}/history`)]);
    Object.assign(page, { case: data, etag, history });
    render();
  } catch (e) {
    document.getElementById('case-title').textContent = e.status === 404 ? t('notFound') : e.message;
    notify(e.message, 'error');
  } finally {
    card.removeAttribute('aria-busy');
  }
}

async function setUpMap() {
  const map = await miniMap('mini-map');
  map.addSource('place', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'place-point', type: 'circle', source: 'place', paint: { 'circle-radius': 8, 'circle-color': '#b91c1c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  page.map = map;
  drawPlace();
}

const evidence = () => attachmentsPanel(document.getElementById('attachments'), `cases/${caseId}`).catch((e) => notify(e.message, 'error'));
await initChrome('caseTitle', () => { reportFailure(load()); evidence(); });
await Promise.all([load(), setUpMap().catch((e) => notify(e.message, 'error')), evidence()]);
document.body.dataset.ready = 'true';
