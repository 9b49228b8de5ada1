// What the map draws in: WGS84, or GCJ-02 when the basemap is a Chinese web map, so that the
// data lines up with it. The overlays (highlight, query shape) are drawn here too because every
// geometry they show must pass through the same shift.
import { toGcj02, mapGeometry, mapFeatures } from '/gcj02.js';
import { page, map, tickets } from '/map/state.js';
import { OVERLAYS } from '/map/styles.js';

export function gcjDisplay() {
  return page.settings.basemaps.find((b) => b.id === page.basemap)?.gcj02 === true;
}
export function displayCrs() { return gcjDisplay() ? 'gcj02' : 'EPSG:4326'; }
export function toDisplay(geometry) { return gcjDisplay() ? mapGeometry(geometry, toGcj02) : geometry; }
export function toDisplayPoint(lonLat) { return gcjDisplay() ? toGcj02(lonLat) : lonLat; }

export function tileUrl(kind) {
  const shift = gcjDisplay() ? '?shift=gcj02' : '';
  return `${location.origin}/tiles/${kind}/{z}/{x}/{y}.mvt${shift}`;
}

/** A GeoJSON layer's data as drawn: shifted to GCJ-02 on a GCJ-02 basemap. */
export function displayData(id) {
  return gcjDisplay() ? mapFeatures(page.rawData[id], toGcj02) : page.rawData[id];
}

function featureCollection(geometries) {
  return { type: 'FeatureCollection', features: geometries.map((geometry) => ({ type: 'Feature', properties: {}, geometry })) };
}

export function addOverlayLayers() {
  for (const { source, layers } of OVERLAYS) {
    map.addSource(source, { type: 'geojson', data: featureCollection([]) });
    for (const layer of layers) map.addLayer({ ...layer, source });
  }
}

/** Highlights `geometries` (WGS84), or nothing; an older hover that resolves later is dropped. */
export function setHighlight(geometries) {
  tickets.hover += 1;
  const source = map.getSource('highlight');
  if (!source) return;
  const shown = (geometries ?? []).filter(Boolean).map(toDisplay);
  source.setData(featureCollection(shown));
  document.getElementById('map').dataset.highlighted = String(shown.length);
}

/** Draws the current query's shape or the polygon being drawn (both in display coordinates). */
export function drawQueryShape() {
  const source = map.getSource('query-shape');
  if (!source) return;
  const geometries = [];
  if (page.mode === 'polygon' && page.draft.length) {
    const ring = page.draft.length >= 3 ? [...page.draft, page.draft[0]] : page.draft;
    geometries.push(ring.length >= 4 ? { type: 'Polygon', coordinates: [ring] } : { type: 'LineString', coordinates: ring.length > 1 ? ring : [ring[0], ring[0]] });
    page.draft.forEach((c) => geometries.push({ type: 'Point', coordinates: c }));
  } else if (page.query?.shape) {
    geometries.push(page.query.shape);
    if (page.query.point) geometries.push({ type: 'Point', coordinates: page.query.point });
  }
  source.setData(featureCollection(geometries));
}
