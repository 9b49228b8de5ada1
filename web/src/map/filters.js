// The filters of the panel (status, category, programme, town): their choices, and restricting the
// site layers to the sites they match. Most of them are about a site's linked projects, which the
// layers' features do not carry, so the API finds the sites and the layers filter by id.
import { t, label, language } from '/i18n.js';
import { api, el, reportFailure, STATUSES, CATEGORIES } from '/common.js';
import { page, map, tickets, FILTER_FIELDS } from '/map/state.js';
import { LAYERS } from '/map/styles.js';
import { filterParams, writeUrl } from '/map/url-state.js';
import { refreshResults } from '/map/results.js';

// a filter pulls at most this many site ids to restrict the map to
const FILTER_MAX_SITES = 5000;

export function renderFilterChoices() {
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

export function renderFilterSummary() {
  const summary = document.getElementById('filter-summary');
  if (!page.filterIds) { summary.textContent = ''; return; }
  summary.textContent = page.filterTotal > page.filterIds.length
    ? t('filteredSitesCapped', { n: page.filterTotal, m: page.filterIds.length })
    : t('filteredSites', { n: page.filterTotal });
}

/** Restricts the site layers to the sites the filters match (fetched by id, up to a cap). */
export async function applyFilters() {
  writeUrl();
  const ticket = ++tickets.filters;
  const query = filterParams();
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
      const missing = page.notMeetingTarget && layer.id === 'monitoring_section' ? ['==', ['get', 'meets_target'], false] : null;
      const parts = [own, byId, missing].filter(Boolean);
      const combined = parts.length > 1 ? ['all', ...parts] : parts[0];
      if (map.getLayer(`${layer.id}-${i}`)) map.setFilter(`${layer.id}-${i}`, combined ?? null);
    });
  }
  renderFilterSummary();
  refreshResults();
}

export function wireFilters() {
  for (const field of FILTER_FIELDS) {
    document.getElementById(`filter-${field}`).addEventListener('change', (e) => {
      page.filters[field] = e.target.value;
      reportFailure(applyFilters());
    });
  }
  document.getElementById('filter-not-meeting').addEventListener('change', (e) => {
    page.notMeetingTarget = e.target.checked;
    reportFailure(applyFilters());
  });
  document.getElementById('clear-filters').addEventListener('click', () => {
    for (const f of FILTER_FIELDS) page.filters[f] = '';
    page.notMeetingTarget = false;
    document.getElementById('filter-not-meeting').checked = false;
    renderFilterChoices();
    reportFailure(applyFilters());
  });
}
