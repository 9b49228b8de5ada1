// The staff's case layers on the map: the cases in view coloured by status, and the repeat
// petition hot spots sized by how often a place's first petition was repeated. Anonymous readers
// get neither (the server gives them no petition); the panel section shows once someone logs in.
import { t, label } from '/i18n.js';
import { api, el, loggedIn, reportFailure, CASE_STATUS_COLOURS } from '/common.js';
import { map } from '/map/state.js';
import { gcjDisplay, displayCrs } from '/map/display.js';
import { toGcj02, mapFeatures } from '/gcj02.js';

const empty = { type: 'FeatureCollection', features: [] };
const shown = { cases: false, hotspots: false };
const colour = ['match', ['get', 'status'], ...Object.entries(CASE_STATUS_COLOURS).flat(), '#64748b'];

function ensureLayers() {
  if (map.getSource('cases')) return;
  map.addSource('cases', { type: 'geojson', data: empty });
  map.addLayer({ id: 'cases-point', type: 'circle', source: 'cases', paint: {
    'circle-radius': 5, 'circle-color': colour, 'circle-stroke-color': ['case', ['get', 'overdue'], '#7f1d1d', '#fff'], 'circle-stroke-width': ['case', ['get', 'overdue'], 2.5, 1],
  } });
  map.addSource('hotspots', { type: 'geojson', data: empty });
  map.addLayer({ id: 'hotspots-circle', type: 'circle', source: 'hotspots', paint: {
    'circle-radius': ['interpolate', ['linear'], ['get', 'repeat_count'], 1, 10, 10, 30], 'circle-color': '#dc2626', 'circle-opacity': 0.35,
    'circle-stroke-color': '#b91c1c', 'circle-stroke-width': 1.5,
  } });
}

const display = (collection) => (gcjDisplay() ? mapFeatures(collection, toGcj02) : collection);

/** The cases in the view (at most 1000), asked in the display CRS so the box lines up. */
async function loadCases() {
  if (!shown.cases || !map.getSource('cases')) return;
  const b = map.getBounds();
  const params = new URLSearchParams({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','), crs: displayCrs(), limit: '1000' });
  const page = (await api(`/api/cases?${params}`)).data;
  const features = page.items.filter((c) => c.geometry).map((c) => ({
    type: 'Feature', id: c.id, geometry: c.geometry, properties: { code: c.code, status: c.status, overdue: c.overdue, kind: c.kind },
  }));
  map.getSource('cases').setData(display({ type: 'FeatureCollection', features }));
  document.getElementById('map').dataset.cases = String(features.length);
}

async function loadHotspots() {
  if (!shown.hotspots || !map.getSource('hotspots')) return;
  const spots = (await api('/api/cases/hotspots')).data;
  map.getSource('hotspots').setData(display(spots));
  document.getElementById('map').dataset.hotspots = String(spots.features.length);
}

function setShown(which, on) {
  shown[which] = on;
  ensureLayers();
  map.setLayoutProperty(which === 'cases' ? 'cases-point' : 'hotspots-circle', 'visibility', on ? 'visible' : 'none');
  reportFailure(which === 'cases' ? loadCases() : loadHotspots());
}

/** Shows the section to staff and hides (and empties) it for anonymous readers. */
export function renderCasesLayer() {
  const staff = loggedIn();
  document.getElementById('cases-panel').hidden = !staff;
  document.getElementById('legend-cases').replaceChildren(...Object.entries(CASE_STATUS_COLOURS).map(([status, c]) =>
    el('li', {}, el('span', { class: 'swatch round', style: `background:${c}` }), el('span', {}, label('status', status)))),
  el('li', {}, el('span', { class: 'swatch round', style: 'background:#fff;border:2.5px solid #7f1d1d' }), el('span', {}, t('overdue'))));
  if (!staff && map.getSource('cases')) {
    for (const which of ['cases', 'hotspots']) {
      shown[which] = false;
      document.getElementById(`${which}-toggle`).checked = false;
      map.getSource(which).setData(empty);
    }
  }
}

export function wireCasesLayer() {
  document.getElementById('cases-toggle').addEventListener('change', (e) => setShown('cases', e.target.checked));
  document.getElementById('hotspots-toggle').addEventListener('change', (e) => setShown('hotspots', e.target.checked));
  map.on('moveend', () => reportFailure(loadCases()));
  // a basemap in another CRS redraws the layers in it
  document.addEventListener('display-crs', () => reportFailure(Promise.all([loadCases(), loadHotspots()])));
}
