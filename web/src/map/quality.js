// A site's measurements in its panel: the latest grading, a chart per parameter with the
// GB 3838 class bands drawn behind it, the assessment of each month, and a black-odor body's
// grade history. Chart.js is loaded (as its UMD bundle) the first time a chart is drawn.
import { t, label } from '/i18n.js';
import { api, el, factTable, formatTime, CLASS_COLOURS, GRADE_COLOURS } from '/common.js';

// the parameters charted, when the site has values of them
const CHARTED = ['do', 'codmn', 'nh3n', 'tp', 'tn', 'transparency', 'as', 'cd', 'pb'];
let chartLibrary = null;
let vocabulary = null;

/** The day (China time) of an instant, as YYYY-MM-DD. */
function chinaDay(iso) {
  return new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 10);
}

function loadChartJs() {
  chartLibrary ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/vendor/chart.js/chart.umd.min.js';
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error('chart.js'));
    document.head.append(script);
  });
  return chartLibrary;
}

async function parameters() {
  vocabulary ??= api('/api/parameters').then(({ data }) => Object.fromEntries(data.map((p) => [p.code, p])));
  return vocabulary;
}

export function classBadge(cls) {
  if (!cls) return el('span', { class: 'muted' }, t('class_none'));
  return el('span', { class: 'badge class-badge', 'data-class': cls, style: `background:${CLASS_COLOURS[cls]}` }, label('class', cls));
}

/** Paints the class bands behind a chart: Ⅰ … Ⅴ between their limits, 劣Ⅴ beyond. */
function bandsPlugin(limits, higherIsBetter) {
  return {
    id: 'classBands',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales: { y } } = chart;
      const edges = higherIsBetter ? [Infinity, ...limits, -Infinity] : [-Infinity, ...limits, Infinity];
      ctx.save();
      Object.values(CLASS_COLOURS).forEach((colour, i) => {
        const [a, b] = [edges[i], edges[i + 1]];
        const top = y.getPixelForValue(Math.max(a, b));
        const bottom = y.getPixelForValue(Math.min(a, b));
        const from = Math.max(area.top, Math.min(top, bottom));
        const to = Math.min(area.bottom, Math.max(top, bottom));
        if (to <= from) return;
        ctx.fillStyle = `${colour}22`;
        ctx.fillRect(area.left, from, area.right - area.left, to - from);
      });
      ctx.restore();
    },
  };
}

async function parameterChart(siteId, spec, water_body) {
  const { data } = await api(`/api/sites/${siteId}/samples?parameter=${spec.code}`);
  if (data.times.length === 0) return null;
  const Chart = await loadChartJs();
  const canvas = el('canvas', { role: 'img', 'aria-label': label('param', spec.code) });
  const box = el('figure', { class: 'quality-chart', 'data-parameter': spec.code },
    el('figcaption', {}, `${label('param', spec.code)}${spec.unit ? ` (${spec.unit})` : ''}`), el('div', { class: 'chart-box small' }, canvas));
  const limits = water_body === 'lake' ? spec.lake_limits : spec.river_limits;
  // the chart draws once its canvas is in the page
  requestAnimationFrame(() => {
    new Chart(canvas, {
      type: 'line',
      data: {
        labels: data.times.map(chinaDay),
        datasets: [{ data: data.values.map((value, i) => data.below_detection[i] ? (value ?? 0) / 2 : value),
          borderColor: '#0f172a', pointRadius: 2, borderWidth: 1.5, tension: 0.2 }],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
        scales: { x: { ticks: { maxTicksLimit: 6 } } } },
      plugins: limits ? [bandsPlugin(limits, spec.higher_is_better)] : [],
    });
  });
  return box;
}

function monthlyTable(months) {
  const rows = months.filter((m) => m.parameters.length > 0);
  if (rows.length === 0) return null;
  return el('table', { class: 'facts monthly' },
    el('thead', {}, el('tr', {}, el('th', {}, t('month')), el('th', {}, t('latestClass')), el('th', {}, t('limiting')), el('th', {}, t('meetsTarget')))),
    el('tbody', {}, rows.map((m) => el('tr', { 'data-month': m.period },
      el('td', {}, m.period), el('td', {}, classBadge(m.class)),
      el('td', {}, m.limiting.map((p) => label('param', p)).join('、')),
      el('td', {}, m.meets_target === null ? '' : label('meets', String(m.meets_target)))))));
}

function gradeHistory(grades) {
  const graded = grades.filter((g) => g.black_odor_grade);
  if (graded.length === 0) return null;
  return el('div', { class: 'grade-history' }, el('h4', {}, t('gradeHistory')),
    el('ol', { class: 'grade-strip' }, graded.map((g) => el('li', {
      title: `${g.day} ${label('grade', g.black_odor_grade)}`, 'data-grade': g.black_odor_grade,
      style: `background:${GRADE_COLOURS[g.black_odor_grade]}` }))),
    el('p', { class: 'muted' }, `${graded[0].day} … ${graded.at(-1).day}: ${label('grade', graded.at(-1).black_odor_grade)}`));
}

/** The measurements part of a site's panel; null for a site without any. */
export async function qualitySection(site) {
  if (!site.latest_sampled_at) return null;
  const vocab = await parameters();
  const year = Number(site.latest_sampled_at.slice(0, 4));
  const waterBody = site.attrs?.water_body;
  const [charts, months, grades] = await Promise.all([
    Promise.all(CHARTED.map((code) => parameterChart(site.id, vocab[code], waterBody))),
    site.kind === 'contaminated_plot' ? [] : api(`/api/sites/${site.id}/assessment/monthly?year=${year}`).then((r) => r.data),
    site.kind === 'black_odor_water' ? api(`/api/sites/${site.id}/grades`).then((r) => r.data) : [],
  ]);
  const facts = [[t('latestSampled'), formatTime(site.latest_sampled_at)]];
  if (site.kind !== 'contaminated_plot') facts.unshift([t('latestClass'), classBadge(site.latest_class)]);
  if (site.meets_target !== null && site.meets_target !== undefined) facts.push([t('meetsTarget'), label('meets', String(site.meets_target))]);
  if (site.black_odor_grade) facts.push([label('attr', 'severity'), label('grade', site.black_odor_grade)]);
  if (site.soil_risk) facts.push([t('soilRisk'), label('risk', site.soil_risk)]);
  const table = monthlyTable(months);
  return el('section', { class: 'quality', 'data-quality': site.id },
    el('h3', {}, t('quality')), factTable(facts),
    gradeHistory(grades),
    el('div', { class: 'quality-charts' }, charts.filter(Boolean)),
    table ? el('h4', {}, `${t('monthlyAssessment')} ${year}`) : null, table);
}
