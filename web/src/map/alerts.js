// The alert bell of the header (logged-in users): the count of open alerts, and the list in
// the side panel, where editors acknowledge an alert with a note.
import { t, label } from '/i18n.js';
import { api, el, formatTime, loggedIn, canEdit, notify } from '/common.js';
import { openDetails, showSite, registerDetails } from '/map/panel.js';
import { tickets } from '/map/state.js';

/** Shows the bell with the open count, or hides it for anonymous visitors. */
export async function renderBell() {
  const bell = document.getElementById('alert-bell');
  if (!loggedIn()) { bell.hidden = true; return; }
  const { data } = await api('/api/alerts?state=open&limit=1');
  bell.hidden = false;
  bell.replaceChildren(t('alerts'), el('span', { class: 'count', 'data-open': data.open }, String(data.open)));
  bell.title = t('alertsOpen', { n: data.open });
}

function causeText(alert) {
  const parts = (alert.cause.parameters ?? []).map((p) => {
    const limit = p.limit ?? p.screening;
    return `${label('param', p.parameter)} ${p.value}${p.unit ? ` ${p.unit}` : ''}${limit !== undefined && limit !== null ? `（${t('limit')} ${limit}）` : ''}`;
  });
  if (alert.cause.target) parts.unshift(`${t('target')} ${label('class', alert.cause.target)}`);
  return parts.join('；');
}

function acknowledgeForm(alert) {
  const note = el('input', { type: 'text', required: true, maxlength: 2000, 'aria-label': t('acknowledgeNote'), placeholder: t('acknowledgeNote') });
  return el('form', { class: 'acknowledge', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api(`/api/alerts/${alert.id}/acknowledge`, { method: 'POST', body: { note: note.value } });
      await Promise.all([renderBell(), showAlerts()]);
    } catch (err) {
      notify(err.message, 'error');
    }
  } }, note, el('button', { type: 'submit' }, t('acknowledge')));
}

function alertItem(alert) {
  return el('li', { class: 'alert-item', 'data-alert': alert.id, 'data-state': alert.state },
    el('div', { class: 'result-line' },
      el('a', { href: '#', onclick: (e) => { e.preventDefault(); showSite(alert.site_id, true); } }, `${alert.site_name} (${alert.site_code})`),
      el('span', { class: 'kind' }, label('alert', alert.kind))),
    el('div', { class: 'muted' }, `${formatTime(alert.sampled_at)} · ${label('alertState', alert.state)}`),
    el('div', {}, causeText(alert)),
    alert.acknowledge_note ? el('div', { class: 'note' }, `${alert.acknowledged_by}: ${alert.acknowledge_note}`) : null,
    alert.state === 'open' && canEdit() ? acknowledgeForm(alert) : null);
}

/** The open and acknowledged alerts in the side panel. */
export async function showAlerts() {
  const [body, ticket] = openDetails(t('alerts'), { kind: 'alerts' });
  try {
    const { data } = await api('/api/alerts?state=open,acknowledged&limit=200');
    if (ticket !== tickets.details) return;
    body.replaceChildren(
      el('p', {}, t('alertsOpen', { n: data.open })),
      data.items.length ? el('ul', { class: 'alert-list' }, data.items.map(alertItem)) : el('p', { class: 'empty' }, t('alertNone')));
  } catch (e) {
    body.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

export function wireBell() {
  registerDetails('alerts', showAlerts);
  document.getElementById('alert-bell').addEventListener('click', () => showAlerts());
}
