// The import of a lab's sheet by an editor: the file is sent once as a dry run, whose answer
// previews the rows or names every rejected row and cell; only then can it be imported. Both
// uploads show their progress (XMLHttpRequest reports it; fetch does not).
import { t } from '/i18n.js';
import { el, canEdit } from '/common.js';
import { renderBell } from '/map/alerts.js';

/** Sends the sheet; resolves to [status, body] and moves the progress bar while it uploads. */
function upload(file, dryRun) {
  const progress = document.getElementById('sample-progress');
  progress.hidden = false;
  progress.value = 0;
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const query = new URLSearchParams({ file_name: file.name, dry_run: String(dryRun) });
    request.open('POST', `/api/samples/import?${query}`);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total); };
    request.onload = () => {
      progress.value = 100;
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { body = { detail: `HTTP ${request.status}` }; }
      resolve([request.status, body]);
    };
    request.onerror = () => reject(new Error(t('networkError')));
    request.send(file);
  });
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
