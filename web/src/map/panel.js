// The side panel of a site or project, and the list rows that open it: the results list and the
// panel's own list of a project's sites share them, so that hovering and opening work alike.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, label, language } from '/i18n.js';
import {
  api, el, statusBadge, progressBar, timeline, notify, formatDistance, projectName, extendBounds, siteSummary, factTable,
} from '/common.js';
import { page, map, tickets } from '/map/state.js';
import { toDisplay, setHighlight } from '/map/display.js';
import { qualitySection } from '/map/quality.js';
import { attachmentsPanel } from '/attachments.js';

// panels of other modules (the alert list), shown again the same way
const otherDetails = new Map();
export function registerDetails(kind, show) { otherDetails.set(kind, show); }

// sites and projects' sites already fetched, so that hovering a row again costs no request
const siteCache = new Map();
const projectSites = new Map();

async function siteGeometry(id) {
  if (!siteCache.has(id)) siteCache.set(id, (await api(`/api/sites/${id}`)).data);
  return siteCache.get(id).geometry;
}

async function sitesOfProject(id) {
  if (!projectSites.has(id)) projectSites.set(id, (await api(`/api/sites?project=${id}&limit=200`)).data.items);
  return projectSites.get(id);
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

function highlightProject(id) {
  highlightWhenReady(sitesOfProject(id).then((sites) => sites.map((s) => s.geometry)));
}

/** A row's handlers: pointer or focus on it highlights, a click or Enter opens it. */
function rowEvents(highlight, open) {
  return {
    tabindex: 0, onmouseenter: highlight, onfocus: highlight, onmouseleave: () => setHighlight(null), onblur: () => setHighlight(null),
    onclick: open, onkeydown: (e) => { if (e.key === 'Enter') open(); },
  };
}

export function projectRow(p, distance) {
  return el('li', { class: 'result', 'data-project': p.id, ...rowEvents(() => highlightProject(p.id), () => showProject(p.id)) },
    el('div', { class: 'result-line' }, el('span', { class: 'result-name' }, projectName(p)), statusBadge(p.status)),
    el('div', { class: 'result-line' }, el('span', { class: 'muted' }, p.code), progressBar(p.progress),
      distance === undefined ? null : el('span', { class: 'distance' }, formatDistance(distance))));
}

export function siteRow(s) {
  return siteSummary(s, el('span', { class: 'distance' }, formatDistance(s.distance_m)),
    rowEvents(() => highlightSite(s), () => showSite(s.id, true)));
}

/** Opens the side panel for `shown` ({ kind, id }); returns its body and the ticket of this opening. */
export function openDetails(title, shown) {
  page.details = shown;
  const details = document.getElementById('details');
  details.hidden = false;
  document.getElementById('details-title').textContent = title;
  const body = document.getElementById('details-body');
  body.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  return [body, ++tickets.details];
}

export function closeDetails() {
  document.getElementById('details').hidden = true;
  page.details = null;
  tickets.details += 1;
  setHighlight(null);
}

/** Shows the open panel again: what it shows may depend on who is logged in (staff-only attributes). */
export function refreshDetails() {
  if (!page.details || document.getElementById('details').hidden) return;
  if (page.details.kind === 'site') showSite(page.details.id);
  else if (page.details.kind === 'project') showProject(page.details.id);
  else otherDetails.get(page.details.kind)?.();
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

export async function showSite(id, fly = false) {
  const [body, ticket] = openDetails(t('details'), { kind: 'site', id });
  try {
    const site = (await api(`/api/sites/${id}`)).data;
    if (ticket !== tickets.details) return;
    siteCache.set(id, site);
    document.getElementById('details-title').textContent = language() === 'en' && site.name_en ? site.name_en : site.name;
    setHighlight([site.geometry]);
    if (fly) flyToGeometries([site.geometry]);
    const projects = (await api(`/api/projects?site=${id}&limit=100`)).data.items;
    const evidence = el('div', { class: 'evidence site-evidence' });
    const [cards, quality] = await Promise.all([Promise.all(projects.map(projectCard)), qualitySection(site),
      attachmentsPanel(evidence, `sites/${id}`)]);
    if (ticket !== tickets.details) return;
    // replaceChildren would write a null as the text "null"
    body.replaceChildren(...[
      factTable([[t('kind'), t(site.kind)], [t('code'), site.code], [t('town'), site.town_name ?? site.town_code],
        [t('state'), t(`state_${site.remediation_state}`)], ...Object.entries(site.attrs ?? {}).map(([k, v]) => [label('attr', k), attributeValue(v)])]),
      site.placeholder ? el('p', { class: 'note' }, t('placeholder')) : null,
      quality,
      el('h3', {}, `${t('linkedProjects')} (${projects.length})`),
      projects.length ? el('div', { class: 'cards' }, cards) : el('p', { class: 'empty' }, t('noProjects')),
      el('h3', {}, t('attachments')), evidence].filter(Boolean));
    body.querySelector('.project-card details')?.setAttribute('open', '');
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

export async function showProject(id) {
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
