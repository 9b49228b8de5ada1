// The map page: every layer coloured by remediation state, filters, search, a side panel per
// feature, location queries, results that follow the map, and a URL that keeps the view and the
// filters. Each of those lives in a module of /map/; this one creates the map and wires them up.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from '/i18n.js';
import { notify, initChrome, renderReportLinks, reportFailure } from '/common.js';
import { page, createMap } from '/map/state.js';
import { readUrl, writeUrl } from '/map/url-state.js';
import { loadLayers, renderStatus, renderLayerList, renderLegend, renderBasemapChooser, wireLayerControls } from '/map/layers.js';
import { renderFilterChoices, renderFilterSummary, wireFilters } from '/map/filters.js';
import { setMode, onMapClick, wireQueries } from '/map/queries.js';
import { refreshResults, renderResults, foldResults, wireResults } from '/map/results.js';
import { closeDetails, refreshDetails } from '/map/panel.js';
import { wireSearch } from '/map/search.js';
import { renderBell, wireBell } from '/map/alerts.js';
import { renderSampleImport, wireSampleImport } from '/map/sample-import.js';
import { renderSiteImport, wireSiteImport } from '/map/site-import.js';
import { renderExportChoices, wireExport } from '/map/layer-export.js';
import { renderProgressSheet, wireProgressSheet } from '/map/progress-sheet.js';
import { renderCasesLayer, wireCasesLayer } from '/map/cases-layer.js';
import { renderPhotosLayer, wirePhotosLayer } from '/map/photos-layer.js';
import { wireLocation } from '/map/location.js';
import { offline } from '/offline.js';

const initialView = readUrl();
const map = createMap(initialView);
map.addControl(new maplibregl.NavigationControl(), 'top-right');
wireLocation();
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
// a basemap host that cannot be reached (an offline network) leaves the data map working: say
// so once, in words, instead of an error per tile
map.on('error', (e) => {
  // offline, a tile never stored is simply not drawn: the offline note already says why
  if (offline()) return;
  if (String(e.sourceId ?? '').startsWith('basemap-')) notify(t('basemapFailed'), 'info');
  else notify(t('failed', { e: e.error?.message ?? '' }), 'error');
});

/** Everything the language, a login or a logout changes. */
function renderAll() {
  renderStatus();
  renderLayerList();
  renderLegend();
  renderReportLinks();
  renderFilterChoices();
  renderFilterSummary();
  renderBasemapChooser();
  setMode(page.mode);
  if (page.loaded) renderResults();
  refreshDetails();
  reportFailure(renderBell());
  renderSampleImport();
  renderSiteImport();
  renderExportChoices();
  renderProgressSheet();
  renderCasesLayer();
  renderPhotosLayer();
}

map.on('click', onMapClick);
map.on('moveend', () => { writeUrl(); refreshResults(); });
wireLayerControls();
wireFilters();
wireQueries();
wireResults();
wireSearch();
wireBell();
wireSampleImport();
wireSiteImport();
wireExport();
wireProgressSheet();
wireCasesLayer();
wirePhotosLayer();
document.getElementById('details-close').addEventListener('click', closeDetails);
document.getElementById('panel-toggle').addEventListener('click', (e) => {
  const panel = document.getElementById('panel');
  panel.classList.toggle('collapsed');
  e.currentTarget.setAttribute('aria-expanded', String(!panel.classList.contains('collapsed')));
});

const mapLoaded = new Promise((resolve) => { map.on('load', resolve); });
await initChrome('title', renderAll);
renderAll();
// on a phone the map comes first: the panel and the results start folded
if (window.matchMedia('(max-width: 600px)').matches) {
  document.getElementById('panel').classList.add('collapsed');
  document.getElementById('panel-toggle').setAttribute('aria-expanded', 'false');
  foldResults(true);
}
await mapLoaded;
loadLayers(initialView).catch((err) => {
  page.failure = err.message;
  renderStatus();
});
