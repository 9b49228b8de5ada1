// The staff's photos layer: where each photo in view was taken (its EXIF place), coloured by
// stage, ringed red when it was taken far from what it is attached to; a click opens the photo
// with a link to its project or case.
import { t, label } from '/i18n.js';
import { api, loggedIn, reportFailure, formatDistance } from '/common.js';
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { map } from '/map/state.js';
import { gcjDisplay, displayCrs } from '/map/display.js';
import { toGcj02, mapFeatures } from '/gcj02.js';
import { showSite } from '/map/panel.js';

const empty = { type: 'FeatureCollection', features: [] };
const STAGE_COLOURS = { before: '#6b7280', during: '#d97706', after: '#16a34a' };
let shown = false;

function ensureLayer() {
  if (map.getSource('photos')) return;
  map.addSource('photos', { type: 'geojson', data: empty });
  map.addLayer({ id: 'photos-point', type: 'circle', source: 'photos', paint: {
    'circle-radius': 6,
    'circle-color': ['match', ['coalesce', ['get', 'stage'], ''], ...Object.entries(STAGE_COLOURS).flat(), '#2563eb'],
    'circle-stroke-color': ['case', ['get', 'far_from_parent'], '#dc2626', '#fff'],
    'circle-stroke-width': ['case', ['get', 'far_from_parent'], 3, 1.5],
  } });
  map.on('click', 'photos-point', (e) => {
    const photo = e.features[0];
    const p = photo.properties;
    const parentLink = p.parent_kind === 'project' ? `/projects/${p.parent_id}` : p.parent_kind === 'case' ? `/cases/${p.parent_id}` : null;
    const box = document.createElement('div');
    box.className = 'photo-popup';
    const img = document.createElement('img');
    img.src = p.thumbnail_url && p.thumbnail_url !== 'null' ? p.thumbnail_url : p.url;
    img.alt = p.title;
    const caption = document.createElement('p');
    caption.textContent = [p.title, p.stage && p.stage !== 'null' ? label('stage', p.stage) : null,
      p.far_from_parent ? t('farPhoto', { d: formatDistance(Number(p.distance_m)) }) : null].filter(Boolean).join(' · ');
    box.append(img, caption);
    const popup = new maplibregl.Popup({ maxWidth: '260px' });
    if (parentLink) {
      const link = document.createElement('a');
      link.href = parentLink;
      link.textContent = t(p.parent_kind === 'project' ? 'openProject' : 'openCase');
      box.append(link);
    } else {
      // a site has no page of its own: its panel beside the map is where its evidence is
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'link-button open-site';
      open.textContent = t('openSite');
      open.addEventListener('click', () => { popup.remove(); showSite(Number(p.parent_id), true); });
      box.append(open);
    }
    popup.setLngLat(photo.geometry.coordinates).setDOMContent(box).addTo(map);
  });
}

async function loadPhotos() {
  if (!shown || !map.getSource('photos')) return;
  const b = map.getBounds();
  const params = new URLSearchParams({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','), crs: displayCrs() });
  const photos = (await api(`/api/attachments/photos?${params}`)).data;
  map.getSource('photos').setData(gcjDisplay() ? mapFeatures(photos, toGcj02) : photos);
  document.getElementById('map').dataset.photos = String(photos.features.length);
}

/** Empties the layer when nobody is logged in (the section itself is the staff's). */
export function renderPhotosLayer() {
  if (!loggedIn() && map.getSource('photos')) {
    shown = false;
    document.getElementById('photos-toggle').checked = false;
    map.getSource('photos').setData(empty);
  }
}

export function wirePhotosLayer() {
  document.getElementById('photos-toggle').addEventListener('change', (e) => {
    shown = e.target.checked;
    ensureLayer();
    map.setLayoutProperty('photos-point', 'visibility', shown ? 'visible' : 'none');
    reportFailure(loadPhotos());
  });
  map.on('moveend', () => reportFailure(loadPhotos()));
  document.addEventListener('display-crs', () => reportFailure(loadPhotos()));
}
