// The evidence panel of a project's or a case's page: a gallery of photos and a list of
// documents, far-away photos flagged with their distance, a before/after comparison, and for
// editors a drop zone whose uploads each show a progress bar.
import { t, label } from '/i18n.js';
import { el, canEdit, isAdmin, formatTime, formatDistance, notify, api } from '/common.js';

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}

function stageBadge(stage) {
  return stage ? el('span', { class: `badge stage stage-${stage}`, 'data-stage': stage }, label('stage', stage)) : null;
}

function farFlag(a) {
  return a.far_from_parent
    ? el('span', { class: 'badge far-photo', style: '--badge:#b45309', title: t('farPhotoHint') }, t('farPhoto', { d: formatDistance(a.distance_m) }))
    : null;
}

function photoFigure(a, onDelete) {
  return el('figure', { class: 'evidence-photo', 'data-attachment': a.id, 'data-stage': a.stage ?? '' },
    el('a', { href: a.url, target: '_blank', rel: 'noopener' },
      el('img', { src: a.thumbnail_url ?? a.url, alt: a.title, loading: 'lazy', class: 'evidence-thumb' })),
    el('figcaption', {},
      el('span', { class: 'evidence-title' }, a.title), stageBadge(a.stage), farFlag(a),
      el('span', { class: 'muted' }, a.taken_at ? t('takenAt', { time: formatTime(a.taken_at) }) : formatTime(a.uploaded_at)),
      onDelete));
}

function documentItem(a, onDelete) {
  return el('li', { class: 'result evidence-document', 'data-attachment': a.id },
    el('div', { class: 'result-line' },
      el('a', { class: 'result-name', href: a.url, download: a.file_name }, a.title), stageBadge(a.stage)),
    el('div', { class: 'result-line muted' }, `${a.file_name} · ${sizeText(a.size_bytes)} · ${formatTime(a.uploaded_at)}`, onDelete));
}

/** The earliest "before" photo beside the latest "after" one, when both exist. */
function comparison(photos) {
  const before = photos.filter((p) => p.stage === 'before');
  const after = photos.filter((p) => p.stage === 'after');
  if (!before.length || !after.length) return null;
  const side = (p, key) => el('figure', { class: 'compare-side', 'data-side': key },
    el('img', { src: p.url, alt: p.title }), el('figcaption', {}, `${t(key)} · ${p.title}`));
  return el('div', { class: 'compare', role: 'group', 'aria-label': t('compareTitle') },
    el('h3', {}, t('compareTitle')),
    el('div', { class: 'compare-pair' }, side(before[0], 'stageBefore'), side(after[after.length - 1], 'stageAfter')));
}

/** Sends one file with its own progress bar; resolves when the server has stored it. */
export function uploadOne(path, file, fields, bar) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) if (value) form.append(key, value);
    form.append('file', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      bar.fill.style.width = `${percent}%`;
      bar.text.textContent = `${percent}%`;
      bar.node.setAttribute('aria-valuenow', percent);
    });
    request.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { /* a proxy's page */ }
      if (request.status === 201) resolve(body);
      else reject(new Error(body?.detail ?? `HTTP ${request.status}`));
    });
    request.addEventListener('error', () => reject(new Error(t('writeNotSent'))));
    request.send(form);
  });
}

export function progressRow(file) {
  const fill = el('span', { class: 'progress-fill', style: 'width:0%' });
  const text = el('span', { class: 'progress-text' }, '0%');
  const node = el('span', { class: 'progress', role: 'progressbar', 'aria-valuenow': 0, 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill, text);
  const status = el('span', { class: 'upload-status muted' });
  const row = el('li', { class: 'upload-row', 'data-file': file.name }, el('span', { class: 'upload-name' }, file.name), node, status);
  return { row, node, fill, text, status };
}

/**
 * Fills `container` with the attachments of `/api/{parentPath}` (e.g. "projects/7") and, for
 * editors, the means to add to them.
 */
export async function attachmentsPanel(container, parentPath) {
  const path = `/api/${parentPath}/attachments`;
  const gallery = el('div', { class: 'evidence-gallery' });
  const documents = el('ul', { class: 'result-list evidence-documents' });
  const compareSlot = el('div');
  const empty = el('p', { class: 'note', hidden: true }, t('noAttachments'));

  async function refresh() {
    const { data } = await api(path);
    const remove = (a) => (isAdmin()
      ? el('button', { type: 'button', class: 'link-button delete-attachment', onclick: async () => {
        if (!window.confirm(t('deleteAttachmentConfirm', { title: a.title }))) return;
        try { await api(`/api/attachments/${a.id}`, { method: 'DELETE' }); await refresh(); } catch (e) { notify(e.message, 'error'); }
      } }, t('deleteAttachment'))
      : null);
    const photos = data.filter((a) => a.kind === 'photo' && a.media_type.startsWith('image/') && a.media_type !== 'image/heif');
    gallery.replaceChildren(...photos.map((a) => photoFigure(a, remove(a))));
    documents.replaceChildren(...data.filter((a) => !photos.includes(a)).map((a) => documentItem(a, remove(a))));
    compareSlot.replaceChildren(comparison(photos) ?? '');
    empty.hidden = data.length > 0;
  }

  const parts = [empty, compareSlot, gallery, documents];
  if (canEdit()) {
    const stage = el('select', { name: 'stage', 'aria-label': t('stage') },
      el('option', { value: '' }, t('stageNone')),
      ...['before', 'during', 'after'].map((s) => el('option', { value: s }, label('stage', s))));
    const staffOnly = el('input', { type: 'checkbox', name: 'staff_only' });
    const input = el('input', { type: 'file', multiple: true, class: 'visually-hidden', id: `upload-${parentPath.replace('/', '-')}` });
    const uploads = el('ul', { class: 'uploads' });
    const zone = el('div', { class: 'drop-zone', tabindex: 0, role: 'button', 'aria-label': t('dropHint') },
      el('p', {}, t('dropHint')), el('label', { for: input.id, class: 'button-like' }, t('chooseFiles')), input);
    const send = async (files) => {
      const fields = { stage: stage.value, staff_only: staffOnly.checked ? 'true' : '' };
      await Promise.all([...files].map(async (file) => {
        const bar = progressRow(file);
        uploads.append(bar.row);
        try {
          await uploadOne(path, file, fields, bar);
          bar.status.textContent = t('uploaded');
          bar.row.dataset.state = 'done';
        } catch (e) {
          bar.status.textContent = e.message;
          bar.row.dataset.state = 'failed';
          notify(`${file.name}: ${e.message}`, 'error');
        }
      }));
      await refresh();
    };
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('dragging'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      if (e.dataTransfer?.files?.length) send(e.dataTransfer.files);
    });
    input.addEventListener('change', () => { if (input.files.length) send(input.files).then(() => { input.value = ''; }); });
    parts.push(el('div', { class: 'upload-options' },
      el('label', {}, `${t('stage')} `, stage), el('label', {}, staffOnly, ` ${t('staffOnly')}`)), zone, uploads);
  }
  container.replaceChildren(...parts);
  await refresh();
}
