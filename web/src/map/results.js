// The results list under the map: the projects in view (following the map and the filters), or
// the answer of the last location query, and its CSV export.
import { t } from '/i18n.js';
import { api, el, downloadCsv, reportFailure, canEdit, notify } from '/common.js';
import { uploadOne, progressRow } from '/attachments.js';
import { page, map, tickets } from '/map/state.js';
import { filterParams } from '/map/url-state.js';
import { displayCrs } from '/map/display.js';
import { projectRow, siteRow } from '/map/panel.js';

let resultsTimer = 0;
/** Lists the projects in view once the map or the filters have stopped changing for a moment. */
export function refreshResults() {
  clearTimeout(resultsTimer);
  resultsTimer = setTimeout(() => { if (!page.query) reportFailure(loadProjectsInView()); }, 250);
}

async function loadProjectsInView() {
  const bounds = map.getBounds();
  const params = filterParams();
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

/**
 * For editors, what to do from where they stand: start a case at the position, or photograph
 * for the nearest site (the camera on a phone; the photo's EXIF place, else the position).
 */
function fromHere({ here, wgs84, sites }) {
  if (!here || !canEdit()) return null;
  const [lon, lat] = wgs84;
  const caseLink = el('a', { class: 'button-like', id: 'new-case-here', href: `/cases?${new URLSearchParams({ lon: lon.toFixed(7), lat: lat.toFixed(7) })}` }, t('newCaseHere'));
  const nearest = sites[0];
  if (!nearest) return el('section', { class: 'from-here', 'aria-label': t('fromHere') }, caseLink);
  const input = el('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'photo-here', class: 'visually-hidden' });
  const uploads = el('ul', { class: 'uploads' });
  input.addEventListener('change', async () => {
    const [file] = input.files;
    if (!file) return;
    const bar = progressRow(file);
    uploads.replaceChildren(bar.row);
    try {
      await uploadOne(`/api/sites/${nearest.id}/attachments`, file, { lon: lon.toFixed(7), lat: lat.toFixed(7) }, bar);
      bar.row.dataset.state = 'done';
      bar.status.textContent = t('photoUploaded', { name: nearest.name });
    } catch (e) {
      bar.row.dataset.state = 'failed';
      bar.status.textContent = e.message;
      notify(e.message, 'error');
    }
    input.value = '';
  });
  return el('section', { class: 'from-here', 'aria-label': t('fromHere') }, caseLink,
    el('label', { for: 'photo-here', class: 'button-like', id: 'photo-here-label' }, t('photoNearest', { name: nearest.name })), input, uploads);
}

export function renderResults() {
  const body = document.getElementById('results-body');
  body.removeAttribute('aria-busy');
  const title = document.getElementById('results-title');
  document.getElementById('results-back').hidden = !page.query;
  if (page.query) {
    const { sites, projects, town, zones } = page.query;
    title.textContent = `${t('resultsQuery')} · ${t('sites')} ${sites.length} · ${t('projects')} ${projects.length}`;
    const info = [page.query.here ? t('hereAccuracy', { m: page.query.accuracy }) : null, town ? t('inTown', { t: town }) : null, zones?.length ? t('zonesHere', { z: zones.join('、') }) : null].filter(Boolean);
    if (!sites.length && !projects.length) {
      body.replaceChildren(...info.map((i) => el('p', { class: 'muted' }, i)), el('p', { class: 'empty' }, t('queryEmpty')), fromHere(page.query) ?? '');
      return;
    }
    body.replaceChildren(
      ...info.map((i) => el('p', { class: 'muted' }, i)), fromHere(page.query) ?? '',
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

export function foldResults(folded) {
  document.getElementById('results').classList.toggle('folded', folded);
  document.getElementById('results-toggle').setAttribute('aria-expanded', String(!folded));
}

export function wireResults() {
  document.getElementById('export-csv').addEventListener('click', exportResults);
  document.getElementById('results-toggle').addEventListener('click', () => {
    foldResults(!document.getElementById('results').classList.contains('folded'));
  });
}
