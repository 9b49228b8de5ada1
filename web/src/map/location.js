// "My location": the browser's own position (WGS84) on the map with its accuracy circle, followed
// as the user walks until they pan; a second tap, or the results' button, asks what is here with
// a radius of at least the accuracy. On a GCJ-02 basemap the drawing is shifted like every layer.
import { t } from '/i18n.js';
import { el, notify, reportFailure } from '/common.js';
import { map } from '/map/state.js';
import { toDisplay, toDisplayPoint } from '/map/display.js';
import { circlePolygon, locateWgs84 } from '/map/queries.js';

// the server's default radius of a point query, the least a position query asks for
const DEFAULT_RADIUS_M = 200;

export const here = { watch: null, position: null, accuracy: 0, follow: false };
// set once the map's style has loaded; isStyleLoaded() also waits for every source's tiles, which
// a basemap just switched on has not yet
let styleReady = false;

const GEO_ERRORS = { 1: 'geoDenied', 2: 'geoUnavailable', 3: 'geoTimeout' };

function button() { return document.getElementById('my-location'); }

function setButtonState(state) {
  button().dataset.state = state;
  button().setAttribute('aria-pressed', String(state === 'active'));
}

function draw() {
  if (!here.position || !styleReady) return;
  const features = [
    { type: 'Feature', properties: { part: 'accuracy' }, geometry: toDisplay(circlePolygon(here.position, Math.max(here.accuracy, 1))) },
    { type: 'Feature', properties: { part: 'position' }, geometry: { type: 'Point', coordinates: toDisplayPoint(here.position) } },
  ];
  const data = { type: 'FeatureCollection', features };
  if (map.getSource('my-location')) {
    map.getSource('my-location').setData(data);
  } else {
    map.addSource('my-location', { type: 'geojson', data });
    map.addLayer({ id: 'my-location-accuracy', type: 'fill', source: 'my-location', filter: ['==', ['get', 'part'], 'accuracy'],
      paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.12, 'fill-outline-color': '#2563eb' } });
    map.addLayer({ id: 'my-location-point', type: 'circle', source: 'my-location', filter: ['==', ['get', 'part'], 'position'],
      paint: { 'circle-radius': 8, 'circle-color': '#2563eb', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } });
  }
  // layers added after the position (the data layers load later) must not cover it
  map.moveLayer('my-location-accuracy');
  map.moveLayer('my-location-point');
  document.getElementById('map').dataset.myLocation = here.position.map((v) => v.toFixed(6)).join(',');
  document.getElementById('map').dataset.myAccuracy = String(Math.round(here.accuracy));
}

function onPosition(position) {
  const first = !here.position;
  here.position = [position.coords.longitude, position.coords.latitude];
  here.accuracy = position.coords.accuracy ?? 0;
  setButtonState('active');
  notify('');
  draw();
  document.getElementById('what-is-here').hidden = false;
  const center = toDisplayPoint(here.position);
  if (first) map.flyTo({ center, zoom: Math.max(map.getZoom(), 16) });
  else if (here.follow) map.easeTo({ center });
}

function onPositionError(error) {
  stopWatching();
  notify(t(GEO_ERRORS[error.code] ?? 'geoUnavailable'), 'error');
}

function stopWatching() {
  if (here.watch !== null) navigator.geolocation.clearWatch(here.watch);
  here.watch = null;
  here.follow = false;
  setButtonState(here.position ? 'stale' : 'off');
}

function startWatching() {
  if (!window.isSecureContext) { notify(t('geoInsecure'), 'error'); return; }
  if (!('geolocation' in navigator)) { notify(t('geoUnsupported'), 'error'); return; }
  here.follow = true;
  setButtonState('searching');
  notify(t('locating'), 'info');
  here.watch = navigator.geolocation.watchPosition(onPosition, onPositionError, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
}

/** Lists the sites and projects around the position, within at least its accuracy. */
export function whatIsHere() {
  if (!here.position) return Promise.resolve();
  here.follow = true;
  map.easeTo({ center: toDisplayPoint(here.position), zoom: Math.max(map.getZoom(), 15) });
  return locateWgs84(here.position, Math.max(Math.ceil(here.accuracy), DEFAULT_RADIUS_M), { here: true, accuracy: Math.round(here.accuracy) });
}

/** The first tap starts following the position; a tap once it is known asks what is here. */
function tap() {
  if (here.watch === null) startWatching();
  else if (here.position) reportFailure(whatIsHere());
}

/** The control in the map's corner, 44 px so that a thumb finds it. */
class MyLocationControl {
  onAdd() {
    this.container = el('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group my-location-ctrl' },
      el('button', { type: 'button', id: 'my-location', class: 'my-location', 'data-i18n-label': 'myLocation', 'aria-label': t('myLocation'),
        'data-state': 'off', 'aria-pressed': 'false', onclick: tap }, el('span', { 'aria-hidden': 'true' }, '◎')));
    return this.container;
  }

  onRemove() { this.container.remove(); }
}

export function wireLocation() {
  map.addControl(new MyLocationControl(), 'top-right');
  map.once('load', () => { styleReady = true; draw(); });
  // panning by hand stops the map following the walk; the position keeps being drawn
  map.on('dragstart', () => { here.follow = false; });
  document.addEventListener('display-crs', draw);
  document.getElementById('what-is-here').addEventListener('click', () => reportFailure(whatIsHere()));
}
