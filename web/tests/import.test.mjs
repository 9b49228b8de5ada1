// Browser tests of the data exchange: an editor drops a zipped Shapefile made by GDAL's ogr2ogr
// (EPSG:4549, a GBK DBF whose 13-character field name the DBF cut to 10), sees what was found
// and the features on the map, and imports it; the export menu downloads a layer; a town's
// progress sheet is previewed and applied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, open, logIn, api, sessionCookie, EDITOR, ARTIFACTS, BASE_URL } from './browser.mjs';

const FACILITIES = [
  { code: 'FAC-IMP-1', name: '新闸泵站（导入）', facility_type: 'pumping_station', at: [119.9012, 31.8123] },
  { code: 'FAC-IMP-2', name: '应急物资库（导入）', facility_type: 'emergency_depot', at: [119.9156, 31.8044] },
];

/** A zipped Shapefile of the facilities, in EPSG:4549 with a GBK DBF, as a survey institute sends it. */
function zippedShapefile() {
  const dir = mkdtempSync(join(tmpdir(), 'rt-import-'));
  const source = join(dir, 'facilities.geojson');
  writeFileSync(source, JSON.stringify({ type: 'FeatureCollection', features: FACILITIES.map(({ at, ...properties }) => ({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: at } })) }));
  execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:4549', '-lco', 'ENCODING=GBK', join(dir, '设施.shp'), source]);
  const zip = join(dir, '设施.zip');
  execFileSync('python3', ['-c', `import sys, zipfile, glob, os
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for f in glob.glob(os.path.join(sys.argv[2], '设施.*')):
        if not f.endswith('.zip'): z.write(f, os.path.basename(f))`, zip, dir]);
  return zip;
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an editor drops a zipped Shapefile, sees the preview and imports it', async () => {
  const zip = zippedShapefile();
  const { page, problems } = await open(browser);
  await logIn(page, EDITOR);
  assert.equal(await page.isVisible('#site-import-drop'), false, 'folded until opened');
  await page.click('#site-import summary');
  await page.selectOption('#site-import-kind', 'facility');

  // a real drop of the file's bytes on the zone
  const bytes = readFileSync(zip).toString('base64');
  const drop = await page.evaluateHandle((b64) => {
    const data = new DataTransfer();
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    data.items.add(new File([raw], '设施.zip', { type: 'application/zip' }));
    return data;
  }, bytes);
  await page.dispatchEvent('#site-import-drop', 'drop', { dataTransfer: drop });
  await page.waitForSelector('#site-import-ready');
  const facts = await page.textContent('#site-import-result table');
  assert.match(facts, /ESRI Shapefile，图层“设施”，2 个要素/);
  assert.match(facts, /EPSG:4549 CGCS2000 \/ 3-degree Gauss-Kruger CM 120E（取自文件）/);
  assert.match(facts, /GBK（取自 \.cpg）/);
  assert.equal(await page.textContent('#site-import-ready'), '可导入 2 个要素。');
  assert.equal(await page.getAttribute('#map', 'data-import-preview'), '2');
  const drawn = await page.evaluate(async () => (await window.remediationMap.getSource('import-preview').getData()).features.map((f) => f.properties.name));
  assert.deepEqual(drawn, FACILITIES.map((f) => f.name));
  for (const { code } of FACILITIES) assert.equal((await api(`/api/sites?q=${code}`)).total, 0, 'a preview writes nothing');
  await page.screenshot({ path: join(ARTIFACTS, 'import-preview.png') });

  await page.click('#site-import-go');
  await page.waitForSelector('#site-imported');
  assert.equal(await page.textContent('#site-imported'), '已导入 2 个要素。');
  for (const { code, name, facility_type: type, at } of FACILITIES) {
    const [site] = (await api(`/api/sites?q=${code}`)).items;
    assert.equal(site.name, name);
    assert.equal(site.attrs.facility_type, type);
    const [lon, lat] = site.geometry.coordinates;
    // within 0.5 m: 5e-6 degrees here
    assert.ok(Math.abs(lon - at[0]) < 5e-6 && Math.abs(lat - at[1]) < 5e-6, `${code} at ${lon},${lat}`);
  }
  assert.equal(await page.getAttribute('#map', 'data-import-preview'), '0');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a file with the bureau\'s own field names is mapped in the panel, saved and imported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-import-'));
  const source = join(dir, 'ledger.geojson');
  const rows = [
    { 设施编号: 'FAC-MAP-1', 设施名称: '北港泵站（台账）', 设施类型: 'pumping_station', 备注: '2025年复核', at: [119.9201, 31.8177] },
    { 设施编号: 'FAC-MAP-2', 设施名称: '西林物流园（台账）', 设施类型: 'logistics_park', 备注: '', at: [119.9266, 31.8102] },
  ];
  writeFileSync(source, JSON.stringify({ type: 'FeatureCollection', features: rows.map(({ at, ...properties }) => ({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: at } })) }));
  const gpkg = join(dir, '台账.gpkg');
  execFileSync('ogr2ogr', ['-f', 'GPKG', '-t_srs', 'EPSG:4528', gpkg, source]);

  const { page, problems } = await open(browser);
  await logIn(page, EDITOR);
  await page.click('#site-import summary');
  await page.selectOption('#site-import-kind', 'facility');
  await page.setInputFiles('#site-import-file', gpkg);
  await page.waitForSelector('#site-import-refused');
  assert.equal(await page.textContent('#site-import-refused'), '2 个要素有问题，整个文件不会导入：');
  const fields = await page.$$eval('.import-mapping select', (s) => s.map((n) => n.dataset.field));
  assert.deepEqual(fields, ['设施编号', '设施名称', '设施类型', '备注']);
  await page.selectOption('.import-mapping select[data-field="设施编号"]', 'code');
  await page.selectOption('.import-mapping select[data-field="设施名称"]', 'name');
  await page.selectOption('.import-mapping select[data-field="设施类型"]', 'facility_type');
  await page.selectOption('.import-mapping select[data-field="备注"]', '-');
  await page.click('#import-map-apply');
  await page.waitForSelector('#site-import-ready');
  assert.match(await page.textContent('#site-import-result table'), /EPSG:4528 CGCS2000 \/ 3-degree Gauss-Kruger zone 40（取自文件）/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#import-map-save')]);
  const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(saved, { 设施编号: 'code', 设施名称: 'name', 设施类型: 'facility_type', 备注: null });

  await page.click('#site-import-go');
  await page.waitForSelector('#site-imported');
  for (const row of rows) {
    const [site] = (await api(`/api/sites?q=${row.设施编号}`)).items;
    assert.equal(site.name, row.设施名称);
    assert.deepEqual(site.attrs, { facility_type: row.设施类型 });
  }
  // the next file of the kind starts from the saved mapping
  await page.setInputFiles('#site-import-file', gpkg);
  await page.waitForSelector('#site-import-refused');
  assert.match(await page.textContent('#site-import-result'), /already exists/);
  assert.equal(await page.inputValue('.import-mapping select[data-field="设施编号"]'), 'code');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a CSV ledger of points is previewed by its rows and imported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-sheet-'));
  const sheet = join(dir, '设施台账.csv');
  writeFileSync(sheet, '编号,名称,facility_type,经度,纬度\nFAC-CSV-1,表格泵站一,pumping_station,119.9301,31.8011\nFAC-CSV-2,表格泵站二,pumping_station,119.9322,31.8034\n');
  const { page, problems } = await open(browser);
  await logIn(page, EDITOR);
  await page.click('#site-import summary');
  await page.selectOption('#site-import-kind', 'facility');
  await page.setInputFiles('#site-import-file', sheet);
  await page.waitForSelector('#site-import-ready');
  const facts = await page.textContent('#site-import-result table');
  assert.match(facts, /CSV 表格，2 行/);
  assert.match(facts, /EPSG:4326 WGS 84（默认）/);
  assert.equal(await page.getAttribute('#map', 'data-import-preview'), '2');
  await page.click('#site-import-go');
  await page.waitForSelector('#site-imported');
  const [site] = (await api('/api/sites?q=FAC-CSV-2')).items;
  assert.equal(site.name, '表格泵站二');
  assert.deepEqual(site.geometry.coordinates, [119.9322, 31.8034]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the export menu downloads the layer of the current view as a GeoPackage', async () => {
  const { page, problems } = await open(browser);
  await page.click('#layer-export summary');
  await page.selectOption('#export-kind', 'outfall');
  await page.selectOption('#export-format', 'gpkg');
  await page.uncheck('#export-in-view');
  const href = await page.getAttribute('#export-go', 'href');
  assert.equal(new URL(href, 'http://x').search, '?kind=outfall&format=gpkg');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-go')]);
  assert.equal(download.suggestedFilename(), 'outfall.gpkg');
  const path = join(mkdtempSync(join(tmpdir(), 'rt-export-')), download.suggestedFilename());
  await download.saveAs(path);
  assert.equal(readFileSync(path).subarray(0, 15).toString(), 'SQLite format 3');
  const listed = execFileSync('ogrinfo', ['-ro', '-so', '-al', path]).toString();
  const expected = (await api('/api/sites?kind=outfall&limit=1')).total;
  assert.match(listed, new RegExp(`Feature Count: ${expected}\\b`));
  // the view's box and the panel's filters go with the link when asked
  await page.check('#export-in-view');
  await page.selectOption('#filter-status', 'in_progress');
  await page.selectOption('#export-format', 'shp');
  const query = new URL(await page.getAttribute('#export-go', 'href'), 'http://x').searchParams;
  assert.equal(query.get('status'), 'in_progress');
  assert.equal(query.get('format'), 'shp');
  assert.equal(query.get('bbox').split(',').length, 4);
  assert.equal(await page.getAttribute('#export-go', 'download'), 'outfall.zip');
  assert.deepEqual(problems, []);
  await page.close();
});

test('an editor previews a town\'s progress sheet before → after, then applies it', async () => {
  const cookie = await sessionCookie(EDITOR);
  const created = await fetch(`${BASE_URL}/api/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: BASE_URL, cookie },
    body: JSON.stringify({ code: 'WEB-PS-1', name: '进度表测试项目', category: 'water' }),
  });
  assert.equal(created.status, 201);
  const dir = mkdtempSync(join(tmpdir(), 'rt-progress-'));
  const sheet = join(dir, '6月进度.csv');
  writeFileSync(sheet, '项目编号,项目名称,状态,进度,备注\nWEB-PS-1,进度表测试项目,前期准备,10,可研已批复\n');

  const { page, problems } = await open(browser);
  await logIn(page, EDITOR);
  await page.click('#progress-sheet summary');
  await page.setInputFiles('#progress-sheet-file', sheet);
  await page.waitForSelector('#progress-sheet-ready');
  assert.equal(await page.textContent('#progress-sheet-ready'), '1 个项目将更新，0 行无变化。');
  const rows = await page.$$eval('.progress-changes tbody tr', (trs) => trs.map((tr) => [tr.dataset.field, tr.querySelector('.before').textContent, tr.querySelector('.after').textContent]));
  assert.deepEqual(rows, [['status', '计划', '前期准备'], ['progress', '0%', '10%']]);
  assert.match(await page.textContent('#progress-sheet-result'), /未读取的列：项目名称/);
  assert.equal((await api('/api/projects?q=WEB-PS-1')).items[0].status, 'planned', 'a preview writes nothing');
  await page.screenshot({ path: join(ARTIFACTS, 'progress-sheet-preview.png') });
  await page.click('#progress-sheet-go');
  await page.waitForSelector('#progress-sheet-done');
  assert.equal(await page.textContent('#progress-sheet-done'), '已更新 1 个项目。');
  const [project] = (await api('/api/projects?q=WEB-PS-1')).items;
  assert.deepEqual([project.status, project.progress], ['preparing', 10]);
  assert.deepEqual(problems, []);
  await page.close();
});
