// The small maps of the detail pages: a plain background (works offline), the district and town
// outlines, and zoom buttons. A handle stays on window for the browser tests.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { api } from '/common.js';

/** A mini-map in `container`; resolves once its outlines are drawn. */
export async function miniMap(container, { center = [119.86, 31.795], zoom = 11 } = {}) {
  const map = new maplibregl.Map({
    container,
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }] },
    center,
    zoom,
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  window.remediationMap = map;
  await new Promise((resolve) => { map.on('load', resolve); });
  const admin = (await api('/api/layers/admin_area')).data;
  map.addSource('admin', { type: 'geojson', data: admin });
  map.addLayer({ id: 'admin-line', type: 'line', source: 'admin', paint: { 'line-color': '#64748b', 'line-dasharray': [3, 2] } });
  return map;
}

export { maplibregl };
