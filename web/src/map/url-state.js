// The URL fragment keeps the view, the filters, hidden layers and the basemap, so that a link or
// a reload opens the same map. The filters' query parameters are built here once, for the URL
// and for the API requests that filter.
import { page, map, FILTER_FIELDS } from '/map/state.js';
import { LAYERS } from '/map/styles.js';

/** Adds the filters that are set to `params`. */
export function filterParams(params = new URLSearchParams()) {
  for (const f of FILTER_FIELDS) if (page.filters[f]) params.set(f, page.filters[f]);
  return params;
}

/** Sets the page state from the URL; returns the view it asks for, if any. */
export function readUrl() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const f of FILTER_FIELDS) page.filters[f] = params.get(f) ?? '';
  for (const id of (params.get('hide') ?? '').split(',').filter(Boolean)) if (id in page.visible) page.visible[id] = false;
  if (params.get('outlines') === '0') page.outlines = false;
  page.basemap = params.get('basemap') ?? 'none';
  const view = (params.get('map') ?? '').split('/').map(Number);
  return view.length === 3 && view.every(Number.isFinite) ? { zoom: view[0], center: [view[2], view[1]] } : null;
}

export function writeUrl() {
  if (!page.loaded) return;
  const params = new URLSearchParams();
  const c = map.getCenter();
  params.set('map', `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  filterParams(params);
  const hidden = LAYERS.filter((l) => !page.visible[l.id]).map((l) => l.id);
  if (hidden.length) params.set('hide', hidden.join(','));
  if (!page.outlines) params.set('outlines', '0');
  if (page.basemap !== 'none') params.set('basemap', page.basemap);
  // slashes and commas read better unescaped, and are safe in a fragment
  history.replaceState(null, '', `#${params.toString().replace(/%2F/g, '/').replace(/%2C/g, ',')}`);
}
