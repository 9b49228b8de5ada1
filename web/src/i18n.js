// One string catalogue per language; zh-CN first.
export const catalogue = {
  'zh-CN': {
    title: '污染治理项目一张图', loading: '正在加载图层…', loaded: '已加载 {n} 个要素', failed: '图层加载失败：{e}',
    layers: '图层', legend: '治理状态', switchTo: 'English',
    illustrative: '示例数据：几何位置为示意，非测绘成果。',
    admin_area: '行政区划（街道/镇）', river: '河道', black_odor_water: '黑臭水体', contaminated_plot: '污染地块',
    key_zone: '重点区域3公里范围', monitoring_section: '监测断面', outfall: '入河排污口', enterprise: '企业', facility: '设施',
    state_none: '无治理项目', state_in_progress: '治理中', state_done: '已完成', state_suspended: '暂缓',
    code: '编码', kind: '类型', town: '街道/镇', state: '治理状态', placeholder: '（占位记录）',
    report: '工作报告', reportDate: '截至日期', reportNote: '按所选日期的历史状态生成，之后的修改不影响该日报告。',
  },
  en: {
    title: 'Remediation tracker', loading: 'Loading layers…', loaded: '{n} features loaded', failed: 'Failed to load layers: {e}',
    layers: 'Layers', legend: 'Remediation state', switchTo: '中文',
    illustrative: 'Sample data: geometries are illustrative, not survey data.',
    admin_area: 'Streets and towns', river: 'Rivers', black_odor_water: 'Black-odor water', contaminated_plot: 'Contaminated plots',
    key_zone: '3 km key zones', monitoring_section: 'Monitoring sections', outfall: 'Outfalls', enterprise: 'Enterprises', facility: 'Facilities',
    state_none: 'No project', state_in_progress: 'In progress', state_done: 'Done', state_suspended: 'Suspended',
    code: 'Code', kind: 'Kind', town: 'Town', state: 'State', placeholder: '(placeholder record)',
    report: 'Report', reportDate: 'As of', reportNote: 'Rebuilt from history as it stood on that date; later edits do not change it.',
  },
};

let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh-CN';

export function t(key, vars = {}) {
  const text = catalogue[lang][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

export function language() { return lang; }

export function setLanguage(next) {
  lang = next;
  localStorage.setItem('lang', next);
  document.documentElement.lang = next;
}
