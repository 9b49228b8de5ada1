// The towns' monthly progress sheet, for editors: the chosen sheet is sent once as a dry run,
// whose answer lists every project's change (before → after) or every refused row; only then can
// it be applied. Both uploads show their progress.
import { t, label } from '/i18n.js';
import { el, canEdit, sendFile } from '/common.js';

function upload(file, dryRun) {
  const query = new URLSearchParams({ file_name: file.name, dry_run: String(dryRun) });
  return sendFile(`/api/projects/update?${query}`, file, document.getElementById('progress-sheet-progress'));
}

const shown = (field, value) => {
  if (value === null || value === undefined) return '—';
  if (field === 'status') return label('status', value);
  if (field === 'progress') return `${value}%`;
  return String(value);
};

function changeTable(changes) {
  const rows = changes.flatMap((change) => Object.entries(change.changes).map(([field, c], i) => el('tr', { 'data-code': change.code, 'data-field': field },
    el('td', {}, i === 0 ? String(change.row) : ''),
    el('td', {}, i === 0 ? `${change.code} ${change.name}` : ''),
    el('td', {}, label('field', field)),
    el('td', { class: 'before' }, shown(field, c.before)),
    el('td', { class: 'after' }, shown(field, c.after)))));
  return el('table', { class: 'facts monthly progress-changes' },
    el('thead', {}, el('tr', {}, el('th', {}, t('sheetRow')), el('th', {}, t('projects')), el('th', {}, t('progressField')), el('th', {}, t('progressBefore')), el('th', {}, t('progressAfter')))),
    el('tbody', {}, rows));
}

function rejectionTable(summary) {
  return el('table', { class: 'facts monthly rejections' },
    el('thead', {}, el('tr', {}, el('th', {}, t('sheetRow')), el('th', {}, t('rejectReason')))),
    el('tbody', {}, summary.rejected.map((r) => el('tr', { 'data-row': r.row }, el('td', {}, String(r.row)), el('td', {}, r.column ? `${r.column}: ${r.reason}` : r.reason)))));
}

async function preview(file) {
  const result = document.getElementById('progress-sheet-result');
  result.replaceChildren(el('p', { class: 'muted' }, t('uploading')));
  const [status, summary] = await upload(file, true);
  if (status !== 200) {
    result.replaceChildren(el('p', { class: 'error' }, summary.detail ?? `HTTP ${status}`));
    return;
  }
  const ignored = summary.ignored_columns.length ? el('p', { class: 'note' }, t('progressIgnored', { c: summary.ignored_columns.join('、') })) : '';
  if (summary.rejected_total > 0) {
    result.replaceChildren(el('p', { class: 'error', id: 'progress-sheet-refused' }, t('progressRejected', { n: summary.rejected_total })), rejectionTable(summary), ignored);
    return;
  }
  if (summary.changed === 0) {
    result.replaceChildren(el('p', { id: 'progress-sheet-none' }, t('progressNone', { u: summary.unchanged })), ignored);
    return;
  }
  const go = el('button', { type: 'button', id: 'progress-sheet-go', class: 'primary', onclick: async () => {
    go.disabled = true;
    const [done, applied] = await upload(file, false);
    result.replaceChildren(done === 200
      ? el('p', { class: 'note', id: 'progress-sheet-done' }, t('progressDone', { n: applied.changed }))
      : el('p', { class: 'error' }, applied.detail ?? `HTTP ${done}`));
  } }, t('progressGo'));
  result.replaceChildren(el('p', { id: 'progress-sheet-ready' }, t('progressChanges', { n: summary.changed, u: summary.unchanged })), changeTable(summary.changes), ignored, go);
}

export function renderProgressSheet() {
  document.getElementById('progress-sheet').hidden = !canEdit();
}

export function wireProgressSheet() {
  const input = document.getElementById('progress-sheet-file');
  input.addEventListener('change', () => {
    const [file] = input.files;
    if (file) preview(file).catch((err) => document.getElementById('progress-sheet-result').replaceChildren(el('p', { class: 'error' }, err.message)));
    input.value = '';
  });
}
