// The import of a lab's sheet by an editor: the file is sent once as a dry run, whose answer
// previews the rows or names every rejected row and cell; only then can it be imported. Both
// uploads show their progress.
import { t } from '/i18n.js';
import { el, canEdit, sendFile } from '/common.js';
import { renderBell } from '/map/alerts.js';

/** Sends the sheet; resolves to [status, body]. */
function upload(file, dryRun) {
  const query = new URLSearchParams({ file_name: file.name, dry_run: String(dryRun) });
  return sendFile(`/api/samples/import?${query}`, file, document.getElementById('sample-progress'));
}

function rejectionTable(body) {
  return el('table', { class: 'facts monthly rejections' },
    el('thead', {}, el('tr', {}, el('th', {}, t('row')), el('th', {}, t('column')), el('th', {}, t('rejectReason')))),
    el('tbody', {}, body.rejected.map((r) => el('tr', { 'data-row': r.row }, el('td', {}, r.row), el('td', {}, r.column ?? ''), el('td', {}, r.reason)))));
}

async function preview(file) {
  const result = document.getElementById('sample-result');
  result.replaceChildren(el('p', { class: 'muted' }, t('uploading')));
  const [status, body] = await upload(file, true);
  if (status === 200 && body.rejected_total > 0) {
    result.replaceChildren(el('p', { class: 'error' }, t('previewRejected', { n: body.rejected_total })), rejectionTable(body));
    return;
  }
  if (status !== 200) {
    result.replaceChildren(el('p', { class: 'error' }, body.detail ?? `HTTP ${status}`));
    return;
  }
  const go = el('button', { type: 'button', id: 'sample-import-go', onclick: async () => {
    go.disabled = true;
    const [done, summary] = await upload(file, false);
    result.replaceChildren(done === 200
      ? el('p', { class: 'note', id: 'sample-imported' }, t('imported', { n: summary.inserted, b: summary.batch_id, r: summary.regraded, a: summary.alerts_opened }))
      : el('p', { class: 'error' }, summary.detail ?? `HTTP ${done}`));
    await renderBell();
  } }, t('doImport'));
  result.replaceChildren(el('p', { id: 'sample-preview' }, t('previewOk', { rows: body.rows, values: body.values, sites: body.sites })), go);
}

/** Shows the import panel to editors only. */
export function renderSampleImport() {
  document.getElementById('sample-import').hidden = !canEdit();
}

export function wireSampleImport() {
  document.getElementById('sample-file').addEventListener('change', (e) => {
    const [file] = e.target.files;
    if (file) preview(file).catch((err) => { document.getElementById('sample-result').replaceChildren(el('p', { class: 'error' }, err.message)); });
  });
}
