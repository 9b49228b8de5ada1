// One string catalogue per language; zh-CN first. Every text the pages show comes from here.
export const catalogue = {
  'zh-CN': {
    title: '污染治理项目一张图', dashboardTitle: '治理进展看板', projectTitle: '项目详情',
    navMap: '地图', navDashboard: '看板', switchTo: 'English',
    loading: '正在加载…', loaded: '已加载 {n} 个要素', failed: '加载失败：{e}', networkError: '无法连接服务器，请检查网络后重试。',
    layers: '图层', legend: '图例', legendState: '治理状态', legendStatus: '项目状态', basemap: '底图',
    basemap_none: '无底图（离线可用）', basemap_osm: 'OpenStreetMap 栅格', basemap_tianditu: '天地图', basemap_gcj02: 'GCJ-02 底图（数据已偏移显示）',
    outlines: '区界与街道界线', basemapFailed: '底图无法加载（网络不通？），数据图层不受影响。', illustrative: '示例数据：几何位置为示意，非测绘成果。',
    admin_area: '行政区划（街道/镇）', river: '河道', black_odor_water: '黑臭水体', contaminated_plot: '污染地块',
    key_zone: '重点区域3公里范围', monitoring_section: '监测断面', outfall: '入河排污口', enterprise: '企业', facility: '设施',
    state_none: '无治理项目', state_in_progress: '治理中', state_done: '已完成', state_suspended: '暂缓',
    status_planned: '计划', status_preparing: '前期准备', status_in_progress: '在建', status_completed: '完工', status_accepted: '已验收',
    status_suspended: '暂缓', status_cancelled: '取消',
    category_air: '大气', category_water: '水', category_soil: '土壤', category_ecology: '生态', category_safety: '安全',
    code: '编码', kind: '类型', town: '街道/镇', state: '治理状态', placeholder: '（占位记录）',
    filters: '筛选', filterStatus: '项目状态', filterCategory: '类别', filterProgramme: '专项任务', filterTown: '街道/镇', all: '全部',
    clearFilters: '清除筛选', filteredSites: '符合筛选的点位 {n} 个', filteredSitesCapped: '符合筛选的点位 {n} 个（地图显示前 {m} 个）',
    search: '搜索点位或项目名称、编码', searchLabel: '搜索', noMatches: '没有找到匹配的点位或项目。', searchSites: '点位', searchProjects: '项目',
    results: '结果', resultsInView: '当前视野内的项目', resultsQuery: '查询结果', resultsEmpty: '当前视野内没有符合条件的项目。',
    queryEmpty: '该范围内没有点位或项目。', exportCsv: '导出 CSV', more: '另有 {n} 项未列出',
    locate: '位置查询', modePoint: '点选', modeCircle: '圆形', modePolygon: '多边形', radius: '半径（米）',
    modeHintPoint: '在地图上点击一个位置，查看此处有什么。', modeHintCircle: '在地图上点击圆心，查询半径内的点位和项目。',
    modeHintPolygon: '在地图上依次点击顶点，点击“完成”结束绘制。', finishPolygon: '完成', cancelDraw: '取消',
    coordinates: '坐标定位', coordinatesHint: '经度, 纬度（投影坐标为 X, Y）', crs: '坐标系', go: '定位',
    crs_wgs84: 'WGS84（GPS）', crs_cgcs2000: 'CGCS2000 经纬度', crs_4549: 'CGCS2000 高斯投影 120°E（EPSG:4549）',
    crs_4528: 'CGCS2000 高斯投影 40带（EPSG:4528）', crs_gcj02: 'GCJ-02（高德/腾讯/微信）', badCoordinates: '请输入两个数字，如 119.86, 31.80',
    distance: '距离', sites: '点位', projects: '项目', inTown: '所在街道：{t}', zonesHere: '所在重点区域：{z}',
    details: '详情', close: '关闭', linkedProjects: '关联项目', noProjects: '暂无关联项目。', history: '历史记录', noHistory: '暂无历史记录。',
    openProject: '打开项目页', attributes: '属性',
    report: '工作报告', reportDate: '截至日期', reportNote: '按所选日期的历史状态生成，之后的修改不影响该日报告。',
    login: '登录', logout: '退出', username: '用户名', password: '密码', cancel: '取消', loginFailed: '用户名或密码不正确。',
    role_viewer: '查看', role_editor: '编辑', role_admin: '管理员',
    event_created: '创建', event_status: '状态变更', event_progress: '进度更新', event_edit: '信息修改', event_link: '关联点位', event_unlink: '取消关联',
    field_progress: '进度', field_name: '名称', field_responsible_unit: '责任单位', field_planned_end: '计划完成', field_planned_start: '计划开工',
    field_stage: '阶段', field_description: '说明', field_funding_amount: '资金（万元）', field_funding_source: '资金来源', field_status: '状态',
    field_site: '点位', field_town_code: '街道/镇', field_actual_start: '实际开工', field_actual_end: '实际完工', field_name_en: '英文名称',
    programme: '专项任务', category: '类别', status: '状态', progress: '进度', responsibleUnit: '责任单位', funding: '资金',
    plannedDates: '计划工期', actualDates: '实际工期', description: '说明', updatedAt: '更新时间', version: '版本',
    linkedSites: '关联点位', miniMapHint: '编辑者可在小地图上点击点位进行关联。',
    editTitle: '编辑', transitionTo: '变更状态', note: '备注（必填）', reason: '暂缓原因（必填）', apply: '提交', noTransitions: '当前状态不能再变更。',
    setProgress: '更新进度', editFields: '修改信息', save: '保存', link: '关联', unlink: '取消关联', pickSite: '在小地图上点击要关联的点位',
    linkSite: '关联“{n}”', saved: '已保存。', viewerNote: '以编辑身份登录后可更新状态、进度和信息。',
    conflictTitle: '他人已先修改了该项目', conflictText: '您的修改未保存。下面对照列出当前版本和您的修改，可基于最新版本重新提交，或放弃您的修改。',
    conflictTheirs: '当前版本（他人修改后）', conflictMine: '您的修改', retry: '基于最新版本重新提交', discard: '放弃我的修改',
    notFound: '没有这个项目。',
    kpiProjects: '项目总数', kpiStarted: '已开工', kpiDone: '已完工/验收', kpiZones: '3公里区域归零', kpiBlackOdor: '黑臭水体',
    chartStatus: '项目状态分布', chartCategory: '各类别项目', chartProgrammes: '专项任务开工率（虚线为目标）', chartBlackOdor: '黑臭水体整治阶段',
    chartTowns: '各街道项目数', startRate: '开工率', target: '目标', met: '达标', notMet: '未达标', downloadStats: '下载统计 CSV',
    reports: '报告下载', chartHint: '点击图表可在地图上查看对应项目。', zonesCleared: '{c} / {n} 个已归零',
    stage_no_project: '无项目', stage_unstaged: '未分阶段', stage_debris_removed: '漂浮物已清理', stage_filled: '已填埋', stage_dredging: '清淤及护岸',
    stage_construction: '施工中', stage_plan: '方案', stage_approvals: '审批', stage_works_started: '已开工',
    stage_performance_assessed: '已完成绩效评估', stage_checked_problems_issued: '已核查并下发问题', stage_plan_submitted: '方案已报送',
    stage_rectifying: '整改中', stage_survey_and_plan: '排查及方案编制',
  },
  en: {
    title: 'Remediation tracker', dashboardTitle: 'Progress dashboard', projectTitle: 'Project',
    navMap: 'Map', navDashboard: 'Dashboard', switchTo: '中文',
    loading: 'Loading…', loaded: '{n} features loaded', failed: 'Failed to load: {e}', networkError: 'The server cannot be reached; check the network and retry.',
    layers: 'Layers', legend: 'Legend', legendState: 'Remediation state', legendStatus: 'Project status', basemap: 'Basemap',
    basemap_none: 'None (works offline)', basemap_osm: 'OpenStreetMap raster', basemap_tianditu: 'Tianditu', basemap_gcj02: 'GCJ-02 basemap (data shifted to match)',
    outlines: 'District and town outlines', basemapFailed: 'The basemap cannot be loaded (no network?); the data layers are unaffected.', illustrative: 'Sample data: geometries are illustrative, not survey data.',
    admin_area: 'Streets and towns', river: 'Rivers', black_odor_water: 'Black-odor water', contaminated_plot: 'Contaminated plots',
    key_zone: '3 km key zones', monitoring_section: 'Monitoring sections', outfall: 'Outfalls', enterprise: 'Enterprises', facility: 'Facilities',
    state_none: 'No project', state_in_progress: 'In progress', state_done: 'Done', state_suspended: 'Suspended',
    status_planned: 'Planned', status_preparing: 'Preparing', status_in_progress: 'In progress', status_completed: 'Completed', status_accepted: 'Accepted',
    status_suspended: 'Suspended', status_cancelled: 'Cancelled',
    category_air: 'Air', category_water: 'Water', category_soil: 'Soil', category_ecology: 'Ecology', category_safety: 'Safety',
    code: 'Code', kind: 'Kind', town: 'Town', state: 'State', placeholder: '(placeholder record)',
    filters: 'Filters', filterStatus: 'Project status', filterCategory: 'Category', filterProgramme: 'Programme', filterTown: 'Town', all: 'All',
    clearFilters: 'Clear filters', filteredSites: '{n} sites match the filters', filteredSitesCapped: '{n} sites match (the map shows the first {m})',
    search: 'Search sites or projects by name or code', searchLabel: 'Search', noMatches: 'No site or project matches.', searchSites: 'Sites', searchProjects: 'Projects',
    results: 'Results', resultsInView: 'Projects in view', resultsQuery: 'Query results', resultsEmpty: 'No matching project in view.',
    queryEmpty: 'No site or project in this area.', exportCsv: 'Export CSV', more: '{n} more not listed',
    locate: 'Query by location', modePoint: 'Point', modeCircle: 'Circle', modePolygon: 'Polygon', radius: 'Radius (m)',
    modeHintPoint: 'Click the map to see what is there.', modeHintCircle: 'Click the map for the centre; sites and projects within the radius are listed.',
    modeHintPolygon: 'Click the map for each corner, then Finish.', finishPolygon: 'Finish', cancelDraw: 'Cancel',
    coordinates: 'Go to coordinates', coordinatesHint: 'lon, lat (X, Y when projected)', crs: 'CRS', go: 'Go',
    crs_wgs84: 'WGS84 (GPS)', crs_cgcs2000: 'CGCS2000 lon/lat', crs_4549: 'CGCS2000 Gauss-Krüger 120°E (EPSG:4549)',
    crs_4528: 'CGCS2000 Gauss-Krüger zone 40 (EPSG:4528)', crs_gcj02: 'GCJ-02 (AMap, Tencent, WeChat)', badCoordinates: 'Type two numbers, e.g. 119.86, 31.80',
    distance: 'Distance', sites: 'Sites', projects: 'Projects', inTown: 'Town: {t}', zonesHere: 'Key zones here: {z}',
    details: 'Details', close: 'Close', linkedProjects: 'Linked projects', noProjects: 'No linked project.', history: 'History', noHistory: 'No history yet.',
    openProject: 'Open project page', attributes: 'Attributes',
    report: 'Report', reportDate: 'As of', reportNote: 'Rebuilt from history as it stood on that date; later edits do not change it.',
    login: 'Log in', logout: 'Log out', username: 'Username', password: 'Password', cancel: 'Cancel', loginFailed: 'Wrong username or password.',
    role_viewer: 'viewer', role_editor: 'editor', role_admin: 'admin',
    event_created: 'Created', event_status: 'Status change', event_progress: 'Progress', event_edit: 'Edited', event_link: 'Site linked', event_unlink: 'Site unlinked',
    field_progress: 'Progress', field_name: 'Name', field_responsible_unit: 'Responsible unit', field_planned_end: 'Planned end', field_planned_start: 'Planned start',
    field_stage: 'Stage', field_description: 'Description', field_funding_amount: 'Funding (10k CNY)', field_funding_source: 'Funding source', field_status: 'Status',
    field_site: 'Site', field_town_code: 'Town', field_actual_start: 'Actual start', field_actual_end: 'Actual end', field_name_en: 'English name',
    programme: 'Programme', category: 'Category', status: 'Status', progress: 'Progress', responsibleUnit: 'Responsible unit', funding: 'Funding',
    plannedDates: 'Planned', actualDates: 'Actual', description: 'Description', updatedAt: 'Updated', version: 'Version',
    linkedSites: 'Linked sites', miniMapHint: 'Editors can click a site on the mini-map to link it.',
    editTitle: 'Edit', transitionTo: 'Change status', note: 'Note (required)', reason: 'Reason for suspending (required)', apply: 'Apply', noTransitions: 'This status is final.',
    setProgress: 'Update progress', editFields: 'Edit details', save: 'Save', link: 'Link', unlink: 'Unlink', pickSite: 'Click a site on the mini-map to link it',
    linkSite: 'Link “{n}”', saved: 'Saved.', viewerNote: 'Log in as an editor to update status, progress and details.',
    conflictTitle: 'Someone else changed this project first', conflictText: 'Your change was not saved. The current version and your change are shown side by side: apply your change to the current version, or discard it.',
    conflictTheirs: 'Current version (their change)', conflictMine: 'Your change', retry: 'Apply mine to the current version', discard: 'Discard mine',
    notFound: 'There is no such project.',
    kpiProjects: 'Projects', kpiStarted: 'Started', kpiDone: 'Completed or accepted', kpiZones: '3 km zones cleared', kpiBlackOdor: 'Black-odor bodies',
    chartStatus: 'Projects by status', chartCategory: 'Projects by category', chartProgrammes: 'Programme start rate (dashed: target)', chartBlackOdor: 'Black-odor bodies by stage',
    chartTowns: 'Projects by town', startRate: 'Start rate', target: 'Target', met: 'met', notMet: 'not met', downloadStats: 'Download figures (CSV)',
    reports: 'Report downloads', chartHint: 'Click a chart to see its projects on the map.', zonesCleared: '{c} of {n} cleared',
    stage_no_project: 'No project', stage_unstaged: 'No stage', stage_debris_removed: 'Debris removed', stage_filled: 'Filled in', stage_dredging: 'Dredging and banks',
    stage_construction: 'Under construction', stage_plan: 'Plan', stage_approvals: 'Approvals', stage_works_started: 'Works started',
    stage_performance_assessed: 'Performance assessed', stage_checked_problems_issued: 'Checked, problems issued', stage_plan_submitted: 'Plan submitted',
    stage_rectifying: 'Rectifying', stage_survey_and_plan: 'Survey and plan',
  },
};

let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh-CN';

export function t(key, vars = {}) {
  const text = catalogue[lang][key] ?? catalogue['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** The label of a key when the catalogue has one, else the key itself (for data values). */
export function label(prefix, value) {
  const key = `${prefix}_${value}`;
  return catalogue[lang][key] ?? catalogue['zh-CN'][key] ?? value;
}

export function language() { return lang; }

export function setLanguage(next) {
  lang = next;
  localStorage.setItem('lang', next);
  document.documentElement.lang = next;
}
