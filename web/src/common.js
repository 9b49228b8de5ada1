// What every page shares: the API client (problem+json errors, a busy bar while requests run),
// safe element building (text only, never HTML), status colours and badges, progress bars,
// the project history timeline, and the header with language switch and user menu.
import { t, label, language, setLanguage } from '/i18n.js';
import { offline, noteStoredAnswer, forgetPrivateData, registerOffline } from '/offline.js';

export const STATUS_COLOURS = {
  planned: '#94a3b8', preparing: '#0ea5e9', in_progress: '#f59e0b', completed: '#22c55e',
  accepted: '#15803d', suspended: '#dc2626', cancelled: '#6b7280',
};
// a case's lifecycle: grey when new, amber while handled, green once resolved, red when reopened
export const CASE_STATUS_COLOURS = {
  received: '#94a3b8', assigned: '#0ea5e9', handling: '#f59e0b', resolved: '#22c55e', closed: '#15803d', reopened: '#dc2626',
};
export const STATE_COLOURS = { none: '#94a3b8', in_progress: '#f59e0b', done: '#16a34a', suspended: '#dc2626' };
export const STATUSES = Object.keys(STATUS_COLOURS);
// the usual scale of surface-water classes: Ⅰ–Ⅱ blue, Ⅲ green, Ⅳ yellow, Ⅴ orange, 劣Ⅴ red
export const CLASS_COLOURS = {
  I: '#1d4ed8', II: '#3b82f6', III: '#16a34a', IV: '#eab308', V: '#f97316', worse_than_V: '#dc2626',
};
export const WATER_CLASSES = Object.keys(CLASS_COLOURS);
export const GRADE_COLOURS = { none: '#16a34a', light: '#f59e0b', severe: '#7f1d1d' };
export const CATEGORIES = ['air', 'water', 'soil', 'ecology', 'safety'];

/** An error answer of the API: its status and its problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

let running = 0;
function busy(delta) {
  running += delta;
  const bar = document.getElementById('busy');
  if (bar) bar.hidden = running === 0;
  document.body.dataset.busy = String(running > 0);
}

/**
 * Calls the API. `body` is sent as JSON; `etag` as If-Match. Resolves to { data, etag };
 * rejects with an ApiError that carries the server's message. A write is refused while the
 * browser is offline: it is never queued, so nothing is sent later behind the user's back.
 */
export async function api(path, { method = 'GET', body, etag } = {}) {
  const write = method !== 'GET';
  if (write && offline()) throw new ApiError(0, { detail: t('offlineWrite') });
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (etag) headers['if-match'] = etag;
  busy(1);
  try {
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    } catch {
      if (write) throw new ApiError(0, { detail: t('writeNotSent') });
      const error = new ApiError(0, { detail: t(offline() ? 'offlineNotStored' : 'networkError') });
      // offline, an answer that was never stored is expected, not an error
      error.offline = offline();
      throw error;
    }
    noteStoredAnswer(response);
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!response.ok) throw new ApiError(response.status, typeof data === 'object' ? data : { detail: `HTTP ${response.status}` });
    return { data, etag: response.headers.get('etag') };
  } finally {
    busy(-1);
  }
}

/**
 * POSTs a file as the body of `url` (the sheet and site imports), moving the `<progress>` while
 * it uploads (XMLHttpRequest reports it; fetch does not). Resolves to [status, body].
 */
export function sendFile(url, file, progress) {
  progress.hidden = false;
  progress.value = 0;
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total); };
    request.onload = () => {
      progress.value = 100;
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { body = { detail: `HTTP ${request.status}` }; }
      resolve([request.status, body]);
    };
    request.onerror = () => reject(new Error(t('writeNotSent')));
    request.send(file);
  });
}

/** Builds an element; children are nodes or text (text is always text, never markup). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'style') node.style.cssText = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A project's or a case's status as a coloured badge (the two lifecycles share no word). */
export function statusBadge(status) {
  const colour = STATUS_COLOURS[status] ?? CASE_STATUS_COLOURS[status] ?? '#64748b';
  return el('span', { class: 'badge', style: `--badge:${colour}`, 'data-status': status }, label('status', status));
}

/** A case as a row of a list, linking to its page: kind, code, status, and overdue when it is. */
export function caseItem(c) {
  return el('li', { class: 'result case-item', 'data-case': c.id, 'data-code': c.code },
    el('div', { class: 'result-line' }, el('a', { class: 'result-name', href: `/cases/${c.id}` }, c.title), el('span', { class: 'kind' }, label('kind', c.kind))),
    el('div', { class: 'result-line' }, el('span', { class: 'muted' }, `${c.code} · ${c.received_on}`), statusBadge(c.status),
      c.overdue ? el('span', { class: 'badge overdue', style: '--badge:#b91c1c' }, t('overdue')) : null));
}

export function progressBar(percent) {
  const value = Math.max(0, Math.min(100, Number(percent) || 0));
  return el('span', { class: 'progress', role: 'progressbar', 'aria-label': t('progress'), 'aria-valuenow': value, 'aria-valuemin': 0, 'aria-valuemax': 100, title: `${value}%` },
    el('span', { class: 'progress-fill', style: `width:${value}%` }), el('span', { class: 'progress-text' }, `${value}%`));
}

/** Extends a LngLatBounds by every position of a GeoJSON geometry. */
export function extendBounds(bounds, geometry) {
  const visit = (c) => (typeof c[0] === 'number' ? bounds.extend(c) : c.forEach(visit));
  if (geometry?.type === 'GeometryCollection') geometry.geometries.forEach((g) => extendBounds(bounds, g));
  else if (geometry) visit(geometry.coordinates);
  return bounds;
}

/** A site as a row of a list: name, kind, code, remediation state, and `extra` at the end. */
export function siteSummary(site, extra = null, attrs = {}) {
  return el('li', { class: 'result', 'data-site': site.id, ...attrs },
    el('div', { class: 'result-line' }, el('span', { class: 'result-name' }, site.name), el('span', { class: 'kind' }, t(site.kind))),
    el('div', { class: 'result-line' }, el('span', { class: 'muted' }, site.code),
      el('span', { class: 'state', style: `--state:${STATE_COLOURS[site.remediation_state]}` }, t(`state_${site.remediation_state}`)), extra));
}

/** Rows of label and value as a two-column table; empty values are left out. */
export function factTable(rows) {
  return el('table', { class: 'attrs' }, el('tbody', {}, rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) =>
    el('tr', {}, el('th', { scope: 'row' }, k),
      el('td', {}, v instanceof Node ? v : Array.isArray(v) ? v.join('、') : typeof v === 'object' ? JSON.stringify(v) : String(v))))));
}

export function formatTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(language() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDistance(metres) {
  if (metres === undefined || metres === null) return '—';
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(2)} km`;
}

export function projectName(p) {
  return language() === 'en' && p.name_en ? p.name_en : p.name;
}

/** One line per change of a history event: "field: before → after". */
function changeLines(event) {
  if (event.kind === 'status') return [];
  const changes = event.changes ?? {};
  return Object.entries(changes).filter(([, c]) => c && typeof c === 'object' && 'after' in c).map(([field, c]) => {
    const show = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    return `${label('field', field)}: ${show(c.before)} → ${show(c.after)}`;
  });
}

/** A project's history, newest first, as a timeline. */
export function timeline(events) {
  if (!events.length) return el('p', { class: 'empty' }, t('noHistory'));
  const items = [...events].reverse().map((e) => {
    const title = e.kind === 'status'
      ? [e.from_status ? statusBadge(e.from_status) : '', ' → ', statusBadge(e.to_status)]
      : [label('event', e.kind)];
    return el('li', { class: `event event-${e.kind}` },
      el('div', { class: 'event-head' }, el('time', { datetime: e.at }, formatTime(e.at)), ' · ', el('span', { class: 'actor' }, e.actor)),
      el('div', { class: 'event-title' }, ...title),
      e.note ? el('div', { class: 'event-note' }, e.note) : null,
      ...changeLines(e).map((line) => el('div', { class: 'event-change' }, line)));
  });
  return el('ol', { class: 'timeline' }, items);
}

/** Status text under the header: loading, done, or an error people can act on. */
export function notify(text, kind = 'info') {
  const box = document.getElementById('notice');
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

/** For work started by an event: its failure becomes the notice rather than an unhandled rejection. */
export function reportFailure(promise) {
  return promise.catch((e) => notify(e.message, e.offline ? 'info' : 'error'));
}

let currentUser = null;
export function loggedIn() { return Boolean(currentUser); }
export function canEdit() { return currentUser && (currentUser.role === 'editor' || currentUser.role === 'admin'); }
export function isAdmin() { return currentUser?.role === 'admin'; }

async function loadUser() {
  try {
    currentUser = (await api('/api/auth/session')).data.user;
  } catch {
    currentUser = null;
  }
}

function renderUserMenu(onChange) {
  const menu = document.getElementById('user-menu');
  if (!menu) return;
  if (!currentUser) {
    menu.replaceChildren(el('button', { type: 'button', id: 'login-open', onclick: () => openLogin(onChange) }, t('login')));
    return;
  }
  menu.replaceChildren(
    el('span', { class: 'user-name', id: 'user-name' }, `${currentUser.username} · ${t(`role_${currentUser.role}`)}`),
    el('button', { type: 'button', id: 'logout', onclick: async () => {
      // a logout that did not reach the server leaves the session valid: say so and stay logged in
      try { await api('/api/auth/logout', { method: 'POST' }); } catch (e) { notify(e.message, 'error'); return; }
      await forgetPrivateData();
      currentUser = null;
      renderUserMenu(onChange);
      onChange();
    } }, t('logout')));
}

/** The login dialog, built once per page. */
function loginDialog() {
  let dialog = document.getElementById('login-dialog');
  if (dialog) return dialog;
  dialog = el('dialog', { id: 'login-dialog', class: 'login-dialog', 'aria-labelledby': 'login-title' },
    el('form', { method: 'dialog' },
      el('h2', { id: 'login-title', 'data-i18n': 'login' }, t('login')),
      el('label', { class: 'stack' }, el('span', { 'data-i18n': 'username' }, t('username')), el('input', { name: 'username', autocomplete: 'username', required: true })),
      el('label', { class: 'stack' }, el('span', { 'data-i18n': 'password' }, t('password')),
        el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
      el('p', { class: 'form-error', role: 'alert' }),
      el('div', { class: 'buttons' },
        el('button', { type: 'submit', value: 'login', 'data-i18n': 'login' }, t('login')),
        el('button', { type: 'submit', value: 'cancel', formnovalidate: true, 'data-i18n': 'cancel' }, t('cancel')))));
  document.body.append(dialog);
  return dialog;
}

function openLogin(onChange) {
  const dialog = loginDialog();
  const form = dialog.querySelector('form');
  const error = dialog.querySelector('.form-error');
  error.textContent = '';
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (event.submitter?.value === 'cancel') { dialog.close(); return; }
    const data = new FormData(form);
    try {
      await api('/api/auth/login', { method: 'POST', body: { username: data.get('username'), password: data.get('password') } });
      form.reset();
      dialog.close();
      await forgetPrivateData();
      await loadUser();
      renderUserMenu(onChange);
      onChange();
    } catch (e) {
      error.textContent = e.status === 401 ? t('loginFailed') : e.message;
    }
  };
  dialog.showModal();
  form.querySelector('input[name=username]').focus();
}

/** Fills the data-i18n texts of the page. */
export function renderTexts() {
  document.querySelectorAll('[data-i18n]').forEach((node) => { node.textContent = t(node.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((node) => { node.placeholder = t(node.dataset.i18nPlaceholder); });
  document.querySelectorAll('[data-i18n-label]').forEach((node) => { node.setAttribute('aria-label', t(node.dataset.i18nLabel)); });
  const switcher = document.getElementById('lang');
  if (switcher) switcher.textContent = t('switchTo');
}

/**
 * Sets up the header: language switch and user menu. `onChange` re-renders the page's own
 * parts after a language switch, a login or a logout.
 */
export async function initChrome(pageTitleKey, onChange) {
  registerOffline();
  setLanguage(language());
  const rerender = () => {
    renderTexts();
    document.title = `${t(pageTitleKey)} · remediation-tracker`;
    renderUserMenu(rerender);
    onChange();
  };
  document.getElementById('lang')?.addEventListener('click', () => {
    setLanguage(language() === 'en' ? 'zh-CN' : 'en');
    rerender();
  });
  renderTexts();
  document.title = `${t(pageTitleKey)} · remediation-tracker`;
  await loadUser();
  renderUserMenu(rerender);
}

/** Rows as a CSV download (with a BOM so that Excel reads the Chinese text as UTF-8). */
export function downloadCsv(filename, header, rows) {
  const cell = (v) => {
    const text = v === null || v === undefined ? '' : String(v);
    // a leading =, +, -, @, tab or carriage return would make a spreadsheet run the cell as a formula
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n');
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
  const link = el('a', { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Today in China, where the bureau's dates are counted. */
function chinaToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The report form's date and download links, built into the page's empty `#report` once. */
function buildReportForm(form) {
  const input = el('input', { id: 'report-date', type: 'date', min: '1990-01-01', required: true, oninput: renderReportLinks });
  form.append(
    el('label', { for: 'report-date', 'data-i18n': 'reportDate' }, t('reportDate')),
    input,
    el('div', { class: 'report-links' },
      el('a', { 'data-format': 'html', target: '_blank', rel: 'noopener' }, 'HTML'),
      el('a', { 'data-format': 'md', download: true }, 'Markdown'),
      el('a', { 'data-format': 'csv', download: true }, 'CSV'),
      el('a', { 'data-format': 'xlsx', download: true }, 'Excel')),
    el('p', { class: 'note', 'data-i18n': 'reportNote' }, t('reportNote')));
  form.addEventListener('submit', (e) => e.preventDefault());
}

/** Points the links of the `#report` form at the report of its date in the page's language. */
export function renderReportLinks() {
  const form = document.getElementById('report');
  if (!form.firstChild) buildReportForm(form);
  const input = document.getElementById('report-date');
  input.max = chinaToday();
  if (!input.value) input.value = chinaToday();
  const lang = language() === 'en' ? 'en' : 'zh';
  const valid = input.checkValidity();
  document.querySelectorAll('#report a[data-format]').forEach((a) => {
    const query = new URLSearchParams({ as_of: input.value, format: a.dataset.format, lang });
    a.href = `/api/reports?${query}`;
    a.toggleAttribute('aria-disabled', !valid);
    a.tabIndex = valid ? 0 : -1;
  });
}
