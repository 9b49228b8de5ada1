// Browser tests of the map page: layers, the side panel, location queries, search, filters in
// the URL, CSV export, the phone layout and escaping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { launch, open, api, drawnPixels, idle, screenPoint, BASE_URL, ARTIFACTS } from './browser.mjs';
import { toGcj02 } from '../src/gcj02.js';

// 新闸大周村中河, a black-odor body of the sample data, and a point on it
const BODY = { code: 'BO-DZCZH', name: '大周村中河', project: 'BO-DZCZH-ZZ', point: [119.875, 31.82625] };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function zoomTo(page, center, zoom) {
  await page.evaluate(([c, z]) => new Promise((resolve) => {
    window.remediationMap.once('idle', resolve);
    window.remediationMap.jumpTo({ center: c, zoom: z });
    window.remediationMap.triggerRepaint();
  }), [center, zoom]);
}

test('the map draws every sample layer with its feature count', async () => {
  const { page, problems } = await open(browser);
  const layers = await page.$$eval('#layer-list li', (items) => items.map((li) => [
    li.querySelector('input').dataset.layer, Number(li.querySelector('.count').textContent)]));
  const counts = Object.fromEntries(layers);
  const expected = {};
  for (const id of Object.keys(counts)) expected[id] = (await api(`/api/layers/${id}`)).features.length;
  assert.deepEqual(counts, expected);
  assert.equal(counts.black_odor_water, 18);
  assert.ok(await drawnPixels(page) > 20000, 'the map canvas is not blank');
  await page.screenshot({ path: join(ARTIFACTS, 'map.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('unticking a layer removes it from the map', async () => {
  const { page, problems } = await open(browser);
  const before = await drawnPixels(page);
  for (const id of ['key_zone', 'contaminated_plot', 'river']) await page.click(`input[data-layer="${id}"]`);
  await page.click('#outlines');
  await page.waitForFunction(() => document.body.dataset.idle === 'true');
  const afterUntick = await drawnPixels(page);
  assert.ok(before - afterUntick > 10000, `drawn pixels ${before} → ${afterUntick}`);
  assert.match(page.url(), /hide=key_zone,contaminated_plot,river/);
  assert.match(page.url(), /outlines=0/);
  for (const id of ['key_zone', 'contaminated_plot', 'river']) await page.click(`input[data-layer="${id}"]`);
  await page.click('#outlines');
  await page.waitForFunction(() => document.body.dataset.idle === 'true');
  const restored = await drawnPixels(page);
  assert.ok(Math.abs(restored - before) < before * 0.02, `ticking them again restores the map: ${before} → ${restored}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('clicking a black-odor water body opens its panel with its project and history', async () => {
  const { page, problems } = await open(browser);
  await zoomTo(page, BODY.point, 17);
  const { x, y } = await screenPoint(page, BODY.point);
  await page.mouse.click(x, y);
  await page.waitForSelector('#details .project-card');
  assert.equal(await page.textContent('#details-title'), BODY.name);
  const card = page.locator(`#details .project-card`);
  assert.equal(await card.count(), 1);
  assert.match(await card.textContent(), new RegExp(BODY.project));
  assert.equal(await card.locator('.badge').first().getAttribute('data-status'), 'completed');
  assert.ok(await card.locator('.timeline .event').count() >= 1, 'the project history is shown');
  assert.equal(await page.getAttribute('#details a[href^="/projects/"]', 'href'), `/projects/${(await api(`/api/projects?q=${BODY.project}`)).items[0].id}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a 3 km circle at a typed point lists the projects the API finds, with distances, and exports them', async () => {
  const { page, problems } = await open(browser);
  await page.check('input[name=mode][value=circle]');
  await page.fill('#radius', '3000');
  await page.fill('#coord-input', BODY.point.join(', '));
  await page.click('#coord-form button[type=submit]');
  await page.waitForSelector('#query-projects');
  const shown = await page.$$eval('#query-projects [data-project]', (rows) => rows.map((r) => Number(r.dataset.project)));
  const located = await api(`/api/locate?lon=${BODY.point[0]}&lat=${BODY.point[1]}&radius=3000`);
  assert.deepEqual(shown, located.projects.map((p) => p.id));
  const bodyProject = (await api(`/api/projects?q=${BODY.project}`)).items[0].id;
  assert.ok(shown.includes(bodyProject), 'the body’s own project is within 3 km');
  assert.ok(shown.length > 5, `${shown.length} projects`);
  const distances = await page.$$eval('#query-projects .distance', (d) => d.map((n) => n.textContent));
  assert.equal(distances[0], located.projects[0].distance_m < 1000 ? `${Math.round(located.projects[0].distance_m)} m` : `${(located.projects[0].distance_m / 1000).toFixed(2)} km`);

  // the same place copied from a phone map (GCJ-02) finds the same projects
  await page.selectOption('#coord-crs', 'gcj02');
  await page.fill('#coord-input', toGcj02(BODY.point).map((v) => v.toFixed(7)).join(','));
  await page.click('#coord-form button[type=submit]');
  await page.waitForFunction((n) => document.querySelectorAll('#query-projects [data-project]').length === n, shown.length);
  const again = await page.$$eval('#query-projects [data-project]', (rows) => rows.map((r) => Number(r.dataset.project)));
  assert.deepEqual(again, shown);

  // hovering a result highlights its sites
  await page.hover(`#query-projects [data-project="${bodyProject}"]`);
  await page.waitForFunction(() => Number(document.getElementById('map').dataset.highlighted) > 0);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '').trim().split('\r\n');
  assert.equal(csv[0], 'type,id,code,name,status_or_state,progress,distance_m');
  assert.equal(csv.length, 1 + located.projects.length + located.sites.length);
  assert.ok(csv.some((line) => line.startsWith(`project,${bodyProject},${BODY.project},`)));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a drawn polygon lists the sites inside it', async () => {
  const { page, problems } = await open(browser);
  const [lon, lat] = BODY.point;
  // the body right of and above the centre, clear of the panels
  await zoomTo(page, [lon - 0.006, lat - 0.002], 15);
  await page.check('input[name=mode][value=polygon]');
  const d = 0.002;
  const corners = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]];
  const ring = [];
  for (const corner of corners) {
    const { x, y } = await screenPoint(page, corner);
    await page.mouse.click(x, y);
    // where the click landed, as the page reads it
    const box = await page.locator('#map').boundingBox();
    ring.push(await page.evaluate(([px, py]) => window.remediationMap.unproject([px, py]).toArray(), [x - box.x, y - box.y]));
  }
  await page.click('#finish-polygon');
  await page.waitForSelector('#query-sites');
  const shown = await page.$$eval('#query-sites [data-site]', (rows) => rows.map((r) => Number(r.dataset.site)).sort((a, b) => a - b));
  const drawn = { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
  const found = await api('/api/sites/search?limit=1000', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(drawn) });
  assert.deepEqual(shown, found.items.map((s) => s.id).sort((a, b) => a - b));
  const body = (await api(`/api/sites?q=${BODY.code}`)).items[0];
  assert.ok(shown.includes(body.id));
  // each with its distance from the area's centre, as the API gives it (the page's polygon is
  // the clicks' positions, which the test reads back to within a pixel: a metre here)
  const distance = found.items.find((s) => s.id === body.id).distance_m;
  const shownDistance = await page.textContent(`#query-sites [data-site="${body.id}"] .distance`);
  assert.match(shownDistance, /^\d+ m$/);
  assert.ok(Math.abs(parseInt(shownDistance, 10) - distance) <= 2, `${shownDistance} vs ${distance}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('search finds a site by name and flies to it', async () => {
  const { page, problems } = await open(browser);
  await page.fill('#search', BODY.name);
  await page.waitForSelector('#search-results [role=option]');
  const options = await page.$$eval('#search-results [role=option]', (o) => o.map((n) => n.textContent));
  assert.ok(options.some((o) => o.includes(BODY.code)), options.join(' | '));
  await page.locator('#search-results [role=option]', { hasText: new RegExp(`· ${BODY.code}$`) }).click();
  await page.waitForSelector('#details .project-card');
  assert.equal(await page.textContent('#details-title'), BODY.name);
  await idle(page);
  const center = await page.evaluate(() => window.remediationMap.getCenter().toArray());
  assert.ok(Math.abs(center[0] - BODY.point[0]) < 0.01 && Math.abs(center[1] - BODY.point[1]) < 0.01, `centre ${center}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('filters restrict the map and the list, and the URL keeps them with the view', async () => {
  const { page, problems } = await open(browser);
  await page.selectOption('#filter-status', 'suspended');
  const matched = (await api('/api/sites?status=suspended&limit=1')).total;
  await page.waitForFunction((n) => document.getElementById('filter-summary').textContent.includes(String(n)), matched);
  await page.waitForFunction(() => /status=suspended/.test(document.getElementById('results-body').dataset.query));
  const statuses = await page.$$eval('#view-projects .badge', (b) => b.map((n) => n.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'suspended'), statuses.join());
  await zoomTo(page, BODY.point, 13.5);
  const url = page.url();
  assert.match(url, /status=suspended/);
  assert.match(url, /map=13\.50\/31\.8262\d\/119\.8750\d/);

  const again = await open(browser, url.slice(BASE_URL.length));
  assert.equal(await again.page.inputValue('#filter-status'), 'suspended');
  await again.page.waitForFunction((n) => document.getElementById('filter-summary').textContent.includes(String(n)), matched);
  const zoom = await again.page.evaluate(() => window.remediationMap.getZoom());
  assert.equal(zoom, 13.5);
  assert.deepEqual([...problems, ...again.problems], []);
  await again.page.close();
  await page.close();
});

test('on a GCJ-02 basemap every layer is shifted to line up, also when the URL restores it', async () => {
  const tile = readFileSync(fileURLToPath(new URL('./basemap-tile.png', import.meta.url)));
  const serveTiles = (page) => page.route('http://gcj02-basemap.test/**', (route) => route.fulfill({ body: tile, contentType: 'image/png' }));
  const { page, problems } = await open(browser);
  await serveTiles(page);
  const offered = await page.$$eval('#basemap option', (o) => o.map((n) => n.value));
  assert.ok(offered.includes('gcj02'), offered.join());
  await page.selectOption('#basemap', 'gcj02');
  await page.waitForFunction(() => location.hash.includes('basemap=gcj02'));
  const shifted = toGcj02(BODY.point);

  // reopened from its URL, the page draws the body at its GCJ-02 position
  const again = await browser.newPage({ viewport: { width: 1366, height: 768 }, serviceWorkers: 'block' });
  again.on('console', (m) => { if (m.type() === 'error' && !/GPU stall/.test(m.text())) problems.push(m.text()); });
  again.on('pageerror', (e) => problems.push(e.message));
  await serveTiles(again);
  await again.goto(page.url());
  await again.waitForSelector('body[data-ready="true"]');
  await zoomTo(again, shifted, 17);
  const onShifted = await screenPoint(again, shifted);
  await again.mouse.click(onShifted.x, onShifted.y);
  await again.waitForSelector('#details .project-card');
  assert.equal(await again.textContent('#details-title'), BODY.name);
  assert.ok(await again.evaluate(() => window.remediationMap.getLayer('basemap-0') !== undefined));

  // a 3 km circle clicked there asks with crs=gcj02 and finds what the API finds for that point
  await again.click('#details-close');
  await again.check('input[name=mode][value=circle]');
  await again.fill('#radius', '3000');
  const [request] = await Promise.all([
    again.waitForRequest((r) => r.url().includes('/api/locate')),
    again.mouse.click(onShifted.x, onShifted.y),
  ]);
  const asked = new URL(request.url()).searchParams;
  assert.equal(asked.get('crs'), 'gcj02');
  await again.waitForSelector('#query-projects');
  const shown = await again.$$eval('#query-projects [data-project]', (rows) => rows.map((r) => Number(r.dataset.project)));
  const located = await api(`/api/locate?lon=${asked.get('lon')}&lat=${asked.get('lat')}&crs=gcj02&radius=3000`);
  assert.deepEqual(shown, located.projects.map((p) => p.id));
  assert.ok(shown.includes((await api(`/api/projects?q=${BODY.project}`)).items[0].id));
  assert.deepEqual(problems, []);
  await again.close();
  await page.close();
});

test('the English switch changes the labels', async () => {
  const { page } = await open(browser);
  assert.equal(await page.textContent('h1'), '污染治理项目一张图');
  assert.equal(await page.textContent('#layer-list li:first-child span:not(.swatch):not(.count)'), '重点区域3公里范围');
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'Remediation tracker');
  assert.equal(await page.textContent('#lang'), '中文');
  assert.equal(await page.textContent('#layer-list li:first-child span:not(.swatch):not(.count)'), '3 km key zones');
  assert.equal(await page.getAttribute('#search', 'placeholder'), 'Search sites or projects by name or code');
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), '污染治理项目一张图');
  await page.close();
});

test('the report panel downloads the report of the chosen date', async () => {
  const { page, problems } = await open(browser);
  await page.fill('#report-date', '2025-06-30');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report a[data-format="xlsx"]')]);
  assert.equal(download.suggestedFilename(), 'report-2025-06-30.xlsx');
  const { size } = statSync(await download.path());
  assert.ok(size > 5000, `xlsx of ${size} bytes`);
  const [markdown] = await Promise.all([page.waitForEvent('download'), page.click('#report a[data-format="md"]')]);
  const text = readFileSync(await markdown.path(), 'utf8');
  assert.ok(text.includes('已有48家企业开展雨污管网排查及整改方案编制工作'), text.slice(0, 200));
  await page.click('#lang');
  assert.match(await page.getAttribute('#report a[data-format="csv"]', 'href'), /as_of=2025-06-30&format=csv&lang=en$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('on a 390 px phone the page fits and the panel folds away', async () => {
  const { page, problems } = await open(browser, '/', { width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(overflow, 0);
  assert.equal(await page.isVisible('#panel'), false);
  await page.click('#panel-toggle');
  assert.equal(await page.isVisible('#panel'), true);
  assert.equal(await page.isVisible('#filter-status'), true);
  await page.screenshot({ path: join(ARTIFACTS, 'map-phone.png') });
  await page.click('#panel-toggle');
  assert.equal(await page.isVisible('#panel'), false);
  assert.deepEqual(problems, []);
  await page.close();
});

test('controls are reachable with the keyboard and show their focus', async () => {
  const { page } = await open(browser);
  const reached = [];
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => {
      const el = document.activeElement;
      return { id: el.id || el.textContent.trim(), outline: getComputedStyle(el).outlineStyle };
    }));
  }
  assert.ok(reached.some((r) => r.id === 'search'), JSON.stringify(reached));
  assert.ok(reached.some((r) => r.id === 'lang'), JSON.stringify(reached));
  assert.ok(reached.every((r) => r.outline !== 'none'), JSON.stringify(reached));
  await page.close();
});

test('a hostile site name shows as text, never as markup', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, serviceWorkers: 'block' });
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const name = '<img src=x onerror=alert(1)>';
  const site = {
    id: 1, code: 'XSS-1', name, name_en: null, kind: 'facility', remediation_state: 'none', town_code: null, town_name: name,
    placeholder: false, attrs: { facility_type: name }, geometry: { type: 'Point', coordinates: [119.86, 31.795] },
  };
  // one facility with a script-bearing name at the initial view; every other layer empty
  await page.route('**/api/layers/*', async (route) => {
    const layer = new URL(route.request().url()).pathname.split('/').pop();
    const features = layer !== 'facility' ? [] : [{ type: 'Feature', properties: { ...site, geometry: undefined }, geometry: site.geometry }];
    await route.fulfill({ json: { type: 'FeatureCollection', features } });
  });
  await page.route('**/api/sites/1', (route) => route.fulfill({ json: site }));
  await page.route('**/api/projects?site=1*', (route) => route.fulfill({ json: { total: 1, limit: 100, offset: 0, items: [
    { id: 7, code: name, name, status: 'planned', progress: 5, category: 'water', programme_name: name } ] } }));
  await page.route('**/api/projects/7/history', (route) => route.fulfill({ json: [
    { id: 1, project_id: 7, at: '2025-01-01T00:00:00Z', actor: name, kind: 'created', changes: { name: { before: null, after: name } }, note: name } ] }));
  await page.goto(`${BASE_URL}/#map=14/31.795/119.86`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const { x, y } = await screenPoint(page, [119.86, 31.795]);
  await page.mouse.click(x, y);
  await page.waitForSelector('#details .project-card');
  assert.equal(await page.textContent('#details-title'), name);
  assert.ok((await page.textContent('#details')).includes(name));
  assert.equal(await page.locator('#details img').count(), 0);
  assert.deepEqual(dialogs, []);
  await page.close();
});
