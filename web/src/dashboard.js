// The dashboard: KPI cards and charts of /api/stats and the case counts (Chart.js, loaded as its
// UMD bundle), a click on a chart opens the map filtered to what was clicked, CSV of the
// figures, report links.
import { t, label, language } from '/i18n.js';
import { api, el, notify, initChrome, downloadCsv, renderReportLinks, reportFailure, STATUS_COLOURS, CATEGORIES } from '/common.js';

const { Chart } = window;
const charts = {};
// a handle for the browser tests (and anyone curious in the console)
window.dashboardCharts = charts;
let stats = null;
// the case counts (/api/cases/summary): petitions only as counts for the public
let cases = null;
// the monthly water-quality figures, once loaded
let water = null;

const percent = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
const short = (text) => (text.length > 12 ? `${text.slice(0, 11)}…` : text);
const count = (list, key) => list.find((c) => c.key === key)?.count ?? 0;

function kpi(id, value, caption, extra) {
  return el('div', { class: 'kpi', id }, el('div', { class: 'value', 'data-value': value }, String(value)), el('div', { class: 'label' }, caption), extra);
}

function renderKpis() {
  const box = document.getElementById('kpis');
  box.removeAttribute('aria-busy');
  const started = ['in_progress', 'completed', 'accepted'].reduce((n, s) => n + count(stats.by_status, s), 0);
  const done = count(stats.by_status, 'completed') + count(stats.by_status, 'accepted');
  const blackOdor = count(stats.sites_by_kind, 'black_odor_water');
  const targets = stats.programmes.filter((p) => p.target_start_rate !== null).map((p) =>
    kpi(`kpi-programme-${p.code}`, percent(p.start_rate), `${language() === 'en' ? p.code : p.name} · ${t('startRate')}`,
      el('div', { class: p.start_target_met ? 'muted' : 'error' },
        `${t('target')} ${percent(p.target_start_rate)} · ${p.start_target_met ? t('met') : t('notMet')} · ${p.started}/${p.total}`)));
  box.replaceChildren(
    kpi('kpi-total', stats.total_projects, t('kpiProjects')),
    kpi('kpi-started', started, t('kpiStarted')),
    kpi('kpi-done', done, t('kpiDone')),
    kpi('kpi-zones', `${stats.key_zones.cleared}/${stats.key_zones.total}`, t('kpiZones'),
      el('div', { class: 'muted' }, t('zonesCleared', { c: stats.key_zones.cleared, n: stats.key_zones.total }))),
    kpi('kpi-black-odor', blackOdor, t('kpiBlackOdor')),
    ...caseKpis(),
    ...targets);
}

function caseKpis() {
  if (!cases) return [];
  const petitions = cases.by_kind_and_status.petition ?? {};
  const received = Object.values(petitions).reduce((n, c) => n + c, 0);
  const resolved = (petitions.resolved ?? 0) + (petitions.closed ?? 0);
  const d = cases.hidden_dangers;
  const open = (d.major_open ? el('span', { class: 'error' }, ` (${t('cardMajor')} ${d.major_open})`) : '');
  return [
    kpi('kpi-petitions', received, t('cardPetitions'),
      el('div', { class: 'muted' }, `${t('cardResolved')} ${resolved} · ${t('cardInProgress')} ${received - resolved}`)),
    kpi('kpi-dangers', d.found, t('cardDangers'),
      el('div', { class: 'muted' }, `${t('cardMajor')} ${d.major} · ${t('cardRectified')} ${d.rectified} · ${t('cardOpen')} ${d.open}`, open)),
  ];
}

function renderCaseCharts() {
  if (!cases) return;
  const town = (c) => c.town_name ?? c.town_code ?? '—';
  const overdue = cases.overdue_by_town;
  chart('chart-overdue', {
    type: 'bar',
    data: { labels: overdue.map(town), datasets: [{ data: overdue.map((c) => c.count), backgroundColor: '#b91c1c' }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, overdue.map((c) => c.town_code ?? ''), null);
  const repeats = cases.open_repeats_by_town;
  document.getElementById('repeats-card').hidden = repeats.length === 0;
  if (repeats.length) {
    chart('chart-repeats', {
      type: 'bar',
      data: { labels: repeats.map(town), datasets: [{ data: repeats.map((c) => c.count), backgroundColor: '#f59e0b' }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    }, repeats.map((c) => c.town_code ?? ''), null);
  }
}

/** A chart whose clicks open the map with `filter` set to the clicked item's key. */
function chart(id, config, keys, filter) {
  charts[id]?.destroy();
  const canvas = document.getElementById(id);
  charts[id] = new Chart(canvas, {
    ...config,
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: config.type === 'doughnut', position: 'right' } },
      onClick: filter ? (_, elements) => {
        if (!elements.length) return;
        location.href = `/#${new URLSearchParams({ [filter]: keys[elements[0].index] })}`;
      } : undefined,
      onHover: (event, elements) => { event.native.target.style.cursor = filter && elements.length ? 'pointer' : ''; },
      ...config.options,
    },
  });
  canvas.dataset.keys = keys.join(',');
  canvas.dataset.values = config.data.datasets[0].data.join(',');
  // the same figures as links, for the keyboard and screen readers
  const links = canvas.closest('.card').querySelector('.chart-links') ?? canvas.closest('.card').appendChild(el('ul', { class: 'chart-links' }));
  links.replaceChildren(...keys.map((key, i) => {
    const text = `${config.data.labels[i]}: ${config.data.datasets[0].data[i] ?? '—'}`;
    return el('li', {}, filter ? el('a', { href: `/#${new URLSearchParams({ [filter]: key })}` }, text) : text);
  }));
}

function renderCharts() {
  const byStatus = stats.by_status;
  chart('chart-status', {
    type: 'doughnut',
    data: { labels: byStatus.map((c) => label('status', c.key)), datasets: [{ data: byStatus.map((c) => c.count), backgroundColor: byStatus.map((c) => STATUS_COLOURS[c.key]) }] },
  }, byStatus.map((c) => c.key), 'status');

  const programmes = stats.programmes;
  chart('chart-programmes', {
    type: 'bar',
    data: {
      labels: programmes.map((p) => short(language() === 'en' ? p.code : p.name)),
      datasets: [
        { label: t('startRate'), data: programmes.map((p) => Math.round((p.start_rate ?? 0) * 1000) / 10), backgroundColor: programmes.map((p) => (p.start_target_met === false ? '#f59e0b' : '#0f766e')) },
        { label: t('target'), type: 'line', data: programmes.map((p) => (p.target_start_rate === null ? null : p.target_start_rate * 100)), borderColor: '#dc2626', borderDash: [6, 4], pointStyle: 'line', pointRadius: 12, showLine: false },
      ],
    },
    options: { indexAxis: 'y', scales: { x: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } }, plugins: { legend: { display: true } } },
  }, programmes.map((p) => p.code), 'programme');

  const stages = stats.black_odor_by_stage;
  chart('chart-black-odor', {
    type: 'bar',
    data: { labels: stages.map((c) => label('stage', c.key)), datasets: [{ data: stages.map((c) => c.count), backgroundColor: '#1f2937' }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, stages.map((c) => c.key), null);

  const categories = CATEGORIES.map((c) => ({ key: c, count: count(stats.by_category, c) }));
  chart('chart-category', {
    type: 'bar',
    data: { labels: categories.map((c) => label('category', c.key)), datasets: [{ data: categories.map((c) => c.count), backgroundColor: '#0ea5e9' }] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, categories.map((c) => c.key), 'category');

  const towns = stats.by_town;
  chart('chart-towns', {
    type: 'bar',
    data: { labels: towns.map((c) => c.name ?? c.key), datasets: [{ data: towns.map((c) => c.count), backgroundColor: '#a855f7' }] },
    options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, towns.map((c) => c.key), 'town');
}

/** The twelve months up to the latest sample, each assessed over every section. */
async function loadWater() {
  if (!stats.latest_sampled_at) return null;
  const latest = new Date(new Date(stats.latest_sampled_at).getTime() + 8 * 3600e3);
  const months = [...Array(12).keys()].reverse().map((back) => {
    const d = new Date(Date.UTC(latest.getUTCFullYear(), latest.getUTCMonth() - back, 1));
    return d.toISOString().slice(0, 7);
  });
  const answers = await Promise.all(months.map((m) => api(`/api/assessments?period=${m}`).then((r) => r.data)));
  return answers.map((a) => ({ month: a.period, share: a.with_target ? Math.round((1000 * a.meeting_target) / a.with_target) / 10 : null, worse: a.worse_than_v }));
}

function renderWater() {
  if (!water) return;
  chart('chart-water', {
    type: 'bar',
    data: {
      labels: water.map((m) => m.month),
      datasets: [
        { label: t('meetingShare'), type: 'line', data: water.map((m) => m.share), borderColor: '#16a34a', backgroundColor: '#16a34a', yAxisID: 'share' },
        { label: t('worseThanVCount'), data: water.map((m) => m.worse), backgroundColor: '#dc2626', yAxisID: 'count' },
      ],
    },
    options: {
      plugins: { legend: { display: true } },
      scales: { share: { position: 'left', min: 0, max: 100, ticks: { callback: (v) => `${v}%` } },
        count: { position: 'right', beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } } },
    },
  }, water.map((m) => m.month), null);
}

function downloadStats() {
  const rows = [];
  for (const [section, list] of [['status', stats.by_status], ['category', stats.by_category], ['town', stats.by_town], ['site_kind', stats.sites_by_kind], ['black_odor_stage', stats.black_odor_by_stage]]) {
    for (const c of list) rows.push([section, c.key, c.name ?? '', c.count, '', '']);
  }
  rows.push(['key_zones', 'cleared', '', stats.key_zones.cleared, stats.key_zones.total, '']);
  for (const p of stats.programmes) rows.push(['programme', p.code, p.name, p.started, p.total, p.start_rate ?? '', p.target_start_rate ?? '']);
  downloadCsv('stats.csv', ['section', 'key', 'name', 'count', 'total', 'rate', 'target'], rows.map((r) => r.slice(0, 7)));
}

function render() {
  renderReportLinks();
  if (!stats) return;
  renderKpis();
  renderCharts();
  renderCaseCharts();
  renderWater();
}

document.getElementById('download-stats').addEventListener('click', downloadStats);
async function loadCases() {
  cases = (await api('/api/cases/summary')).data;
}

// a login or logout changes what the case counts may show
await initChrome('dashboardTitle', () => reportFailure(loadCases().then(render)));
renderReportLinks();
try {
  [stats] = await Promise.all([api('/api/stats').then((r) => r.data), loadCases()]);
  water = await loadWater();
  render();
  document.body.dataset.ready = 'true';
} catch (e) {
  notify(t('failed', { e: e.message }), 'error');
}
