// Location queries: what is at a clicked point, within a circle, inside a drawn polygon or at
// typed coordinates. Clicks are asked in the display CRS so that the server answers for the
// place people see, on a GCJ-02 basemap too.
import { t } from '/i18n.js';
import { api, notify, reportFailure } from '/common.js';
import { page, map, tickets } from '/map/state.js';
import { LAYERS } from '/map/styles.js';
import { displayCrs, toDisplay, toDisplayPoint, drawQueryShape, setHighlight } from '/map/display.js';
import { refreshResults, renderResults, foldResults } from '/map/results.js';
import { showSite } from '/map/panel.js';

/** A circle of `radius` metres around [lon, lat] as a 64-sided polygon (WGS84). */
export function circlePolygon([lon, lat], radius) {
  const ring = [];
  for (let i = 0; i <= 64; i += 1) {
    const angle = (i / 64) * 2 * Math.PI;
    const dLat = (radius * Math.cos(angle)) / 111320;
    const dLon = (radius * Math.sin(angle)) / (111320 * Math.cos((lat * Math.PI) / 180));
    ring.push([lon + dLon, lat + dLat]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/**
 * What is within `radius` metres of a WGS84 position, as the results list; `extra` is kept with
 * the query (`here` marks the user's own position). Resolves to the answer.
 */
export function locateWgs84([lon, lat], radiusMetres, extra = {}) {
  return runLocate(new URLSearchParams({ lon: lon.toFixed(7), lat: lat.toFixed(7), crs: 'EPSG:4326', radius: String(radiusMetres) }), extra);
}

async function runLocate(params, extra = {}) {
  const ticket = ++tickets.query;
  const { data } = await api(`/api/locate?${params}`);
  if (ticket !== tickets.query) return data;
  const point = [data.lon, data.lat];
  const circle = Number(params.get('radius')) > 0 ? circlePolygon(point, data.radius_m) : null;
  page.query = {
    point: toDisplayPoint(point),
    shape: circle && toDisplay(circle),
    sites: data.sites,
    projects: data.projects,
    town: data.town?.name,
    zones: data.key_zones.map((z) => z.name),
    wgs84: point,
    ...extra,
  };
  drawQueryShape();
  foldResults(false);
  renderResults();
  return data;
}

async function queryPoint(lngLat) {
  const params = new URLSearchParams({ lon: lngLat.lng.toFixed(7), lat: lngLat.lat.toFixed(7), crs: displayCrs() });
  if (page.mode === 'circle') params.set('radius', String(radius()));
  await runLocate(params);
}

function radius() {
  const value = Number(document.getElementById('radius').value);
  return Number.isFinite(value) && value >= 10 ? Math.min(value, 50000) : 3000;
}

async function queryPolygon() {
  if (page.draft.length < 3) return;
  const ring = [...page.draft, page.draft[0]];
  const area = { type: 'Polygon', coordinates: [ring] };
  const crs = displayCrs();
  const ticket = ++tickets.query;
  const [sites, projects] = await Promise.all([
    api(`/api/sites/search?crs=${crs}&limit=1000`, { method: 'POST', body: area }),
    api(`/api/projects/search?crs=${crs}&limit=1000`, { method: 'POST', body: area }),
  ]);
  if (ticket !== tickets.query) return;
  page.draft = [];
  page.query = { point: null, shape: area, sites: sites.data.items, projects: projects.data.items };
  setMode('point');
  foldResults(false);
  renderResults();
}

/** The pointer over the map when it is not over a feature: a crosshair while a click queries a shape. */
export function resetCursor() {
  map.getCanvas().style.cursor = page.mode === 'point' ? '' : 'crosshair';
}

export function setMode(mode) {
  page.mode = mode;
  document.querySelector(`input[name=mode][value=${mode}]`).checked = true;
  document.getElementById('draw-buttons').hidden = mode !== 'polygon';
  document.getElementById('mode-hint').textContent = t({ point: 'modeHintPoint', circle: 'modeHintCircle', polygon: 'modeHintPolygon' }[mode]);
  resetCursor();
  if (mode !== 'polygon') page.draft = [];
  drawQueryShape();
}

export function clearQuery() {
  tickets.query += 1;
  page.query = null;
  drawQueryShape();
  setHighlight(null);
  refreshResults();
}

async function goToCoordinates(event) {
  event.preventDefault();
  const numbers = document.getElementById('coord-input').value.split(/[\s,，;]+/).filter(Boolean).map(Number);
  if (numbers.length !== 2 || !numbers.every(Number.isFinite)) {
    notify(t('badCoordinates'), 'error');
    return;
  }
  notify('');
  const params = new URLSearchParams({ lon: String(numbers[0]), lat: String(numbers[1]), crs: document.getElementById('coord-crs').value });
  params.set('radius', String(page.mode === 'circle' ? radius() : 200));
  const data = await runLocate(params);
  map.flyTo({ center: toDisplayPoint([data.lon, data.lat]), zoom: Math.max(map.getZoom(), 14) });
}

/** A click adds a corner to the polygon being drawn, opens the site under it, or asks what is there. */
export function onMapClick(e) {
  // a key zone's fill covers everything inside it: a click there asks what is here
  const layers = LAYERS.flatMap((l) => l.styles.map((_, i) => `${l.id}-${i}`)).filter((id) => id !== 'key_zone-0' && map.getLayer(id));
  if (page.mode === 'polygon') {
    page.draft.push([e.lngLat.lng, e.lngLat.lat]);
    drawQueryShape();
    return;
  }
  const hit = page.mode === 'point' ? map.queryRenderedFeatures(e.point, { layers })[0] : null;
  const id = hit ? (hit.id ?? hit.properties.id) : null;
  if (id !== null && id !== undefined) {
    showSite(Number(id));
  } else {
    reportFailure(queryPoint(e.lngLat));
  }
}

export function wireQueries() {
  document.querySelectorAll('input[name=mode]').forEach((input) => input.addEventListener('change', () => setMode(input.value)));
  document.getElementById('finish-polygon').addEventListener('click', () => reportFailure(queryPolygon()));
  document.getElementById('cancel-polygon').addEventListener('click', () => setMode('point'));
  document.getElementById('coord-form').addEventListener('submit', (e) => reportFailure(goToCoordinates(e)));
  document.getElementById('results-back').addEventListener('click', clearQuery);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && page.mode === 'polygon') setMode('point');
  });
}
