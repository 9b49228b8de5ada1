// The map's export menu: a layer (or the projects, with their sites' geometry) in any format,
// of the current view and filters or of the whole layer. The link is kept up to date as the map
// moves, so that the download is a plain link the browser saves.
import { t } from '/i18n.js';
import { el } from '/common.js';
import { map } from '/map/state.js';
import { LAYERS } from '/map/styles.js';
import { filterParams } from '/map/url-state.js';
import { displayCrs } from '/map/display.js';

const EXTENSIONS = { shp: 'zip' };

export function renderExportChoices() {
  const select = document.getElementById('export-kind');
  const chosen = select.value;
  select.replaceChildren(
    ...LAYERS.map((layer) => el('option', { value: layer.id }, t(layer.id))),
    el('option', { value: 'project' }, t('exportProjects')),
    el('option', { value: 'admin_area' }, t('admin_area')));
  if (chosen) select.value = chosen;
  updateExportLink();
}

export function updateExportLink() {
  const kind = document.getElementById('export-kind').value;
  const format = document.getElementById('export-format').value;
  const params = document.getElementById('export-filtered').checked ? filterParams() : new URLSearchParams();
  params.set('kind', kind);
  params.set('format', format);
  if (document.getElementById('export-in-view').checked) {
    const b = map.getBounds();
    params.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','));
    params.set('crs', displayCrs());
  }
  const link = document.getElementById('export-go');
  link.href = `/api/export?${params}`;
  link.download = `${kind}.${EXTENSIONS[format] ?? format}`;
}

export function wireExport() {
  for (const id of ['export-kind', 'export-format', 'export-in-view', 'export-filtered']) {
    document.getElementById(id).addEventListener('change', updateExportLink);
  }
  // the filters and the view change elsewhere; the link is brought up to date when it is used
  document.getElementById('export-go').addEventListener('pointerdown', updateExportLink);
  document.getElementById('export-go').addEventListener('focus', updateExportLink);
  map.on('moveend', updateExportLink);
}
