// Browser test of the measurements: a section's lab results imported through the API, then the
// map colours the section by its class, its panel charts each parameter with the class bands
// and lists the assessment by month, and an editor's bell counts the open alerts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, api, logIn, sessionCookie, idle, screenPoint, BASE_URL, EDITOR } from './browser.mjs';

// 新运河省考断面 of the sample data, target Ⅳ
const SECTION = { code: 'MS-001', point: [119.900482, 31.774799] };
// three months of one section after the sample data's last (2025-06); September is 劣Ⅴ
// (NH₃-N 2.3 mg/L)
const SHEET = `断面编码,采样时间,溶解氧(mg/L),氨氮(mg/L),总磷(mg/L)
${SECTION.code},2025-07-10 09:00,6.1,0.9,0.12
${SECTION.code},2025-08-10 09:00,5.2,1.3,0.18
${SECTION.code},2025-09-10 09:00,3.5,2.3,0.25
`;

let browser;
before(async () => {
  browser = await launch();
  const cookie = await sessionCookie(EDITOR);
  const response = await fetch(`${BASE_URL}/api/samples/import?file_name=browser-test.csv`, {
    method: 'POST', headers: { cookie, origin: BASE_URL, 'content-type': 'text/csv' }, body: SHEET,
  });
  const summary = await response.json();
  // a second run of the suite finds the sheet stored already: every row is then a duplicate
  if (response.status === 422) {
    assert.ok(summary.rejected.every((r) => r.reason.startsWith('a duplicate of a stored sample')), JSON.stringify(summary));
  } else {
    assert.equal(response.status, 200, JSON.stringify(summary));
  }
});
after(async () => { await browser?.close(); });

test('a section shows its class on the map and its chart, months and alerts in its panel', async () => {
  const { page, problems } = await open(browser, `/#map=16/${SECTION.point[1]}/${SECTION.point[0]}`);
  await idle(page);
  const rendered = await page.evaluate(([code]) => window.remediationMap
    .queryRenderedFeatures({ layers: ['monitoring_section-0'] })
    .filter((f) => f.properties.code === code)
    .map((f) => [f.properties.latest_class, f.properties.meets_target]), [SECTION.code]);
  assert.deepEqual(rendered[0], ['worse_than_V', false]);
  assert.equal(await page.getAttribute('#legend-class li[data-class="worse_than_V"]', 'data-class'), 'worse_than_V');

  const { x, y } = await screenPoint(page, SECTION.point);
  await page.mouse.click(x, y);
  await page.waitForSelector('#details .quality-chart[data-parameter="nh3n"] canvas');
  assert.equal(await page.getAttribute('#details .quality .class-badge', 'data-class'), 'worse_than_V');
  // one chart per measured parameter (the sample data's and the sheet's), each drawn
  assert.deepEqual(await page.$$eval('#details .quality-chart', (charts) => charts.map((c) => c.dataset.parameter)), ['do', 'codmn', 'nh3n', 'tp']);
  await page.waitForFunction(() => [...document.querySelectorAll('#details .quality-chart canvas')].every((c) => c.width > 0));
  const months = await page.$$eval('#details table.monthly tbody tr', (rows) => rows.map((r) => [r.dataset.month, r.querySelector('.class-badge')?.dataset.class]));
  // January to June from the sample data; July: NH₃-N 0.9 (Ⅲ), TP 0.12 (Ⅲ); August: NH₃-N 1.3 (Ⅳ); September: 劣Ⅴ
  assert.deepEqual(months.map(([m]) => m), ['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09']);
  assert.deepEqual(months.slice(6), [['2025-07', 'III'], ['2025-08', 'IV'], ['2025-09', 'worse_than_V']]);

  await logIn(page, EDITOR);
  await page.waitForSelector('#alert-bell:not([hidden]) .count');
  assert.ok(Number(await page.getAttribute('#alert-bell .count', 'data-open')) >= 2, 'over target and worse than Ⅴ');
  await page.click('#alert-bell');
  await page.waitForSelector(`#details .alert-item`);
  const kinds = await page.$$eval('#details .alert-item', (items) => items.map((i) => i.textContent));
  assert.ok(kinds.some((k) => k.includes('新运河省考断面') && k.includes('水质劣Ⅴ类')), kinds.join('\n'));
  assert.deepEqual(problems, []);
  await page.close();
});

test('an editor previews a lab sheet, sees its bad rows named, then imports a good one', async () => {
  const { page, problems } = await open(browser);
  assert.equal(await page.isHidden('#sample-import'), true, 'hidden from anonymous visitors');
  await logIn(page, EDITOR);
  await page.waitForSelector('#sample-import:not([hidden])');
  await page.click('#sample-import summary');
  const bad = 'site_code,sampled_at,氨氮\nMS-002,2025-07-01 09:00,abc\nNOPE,2025-07-01 09:00,1.0\n';
  await page.setInputFiles('#sample-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.waitForSelector('#sample-result table.rejections');
  const rows = await page.$$eval('#sample-result tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows, [
    ['2', '氨氮', '"abc" is not a number, a detection limit like <0.01, or ND'],
    ['3', '', 'unknown site code NOPE'],
  ]);
  // a time in 2019 that differs from run to run, so that the sheet is new on every run of the
  // suite and older than the sample data (the section's latest grading stays as it is)
  const at = new Date(Date.UTC(2019, 0, 1) + (Date.now() % (364 * 86400e3))).toISOString().slice(0, 16).replace('T', ' ');
  const good = `site_code,sampled_at,氨氮,溶解氧\nMS-002,${at},0.8,6.2\n`;
  await page.setInputFiles('#sample-file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.waitForSelector('#sample-preview', { timeout: 10000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await page.innerHTML('#sample-result')}`);
  });
  assert.match(await page.textContent('#sample-preview'), /1 行，2 个数值，1 个点位/);
  assert.equal(await page.getAttribute('#sample-progress', 'value'), '100');
  await page.click('#sample-import-go');
  await page.waitForSelector('#sample-imported');
  assert.match(await page.textContent('#sample-imported'), /已导入 2 个数值/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the project page of the 崔家浜 works shows their effect, 劣Ⅴ before and Ⅳ since', async () => {
  const [project] = (await api('/api/projects?q=OR-01')).items;
  const { page, problems } = await open(browser, `/projects/${project.id}`);
  await page.waitForSelector('#effect tr[data-site="RV-CJB"]');
  assert.equal(await page.getAttribute('#effect tr[data-site="RV-CJB"]', 'data-direction'), 'better');
  const classes = await page.$$eval('#effect tr[data-site="RV-CJB"] .class-badge', (badges) => badges.map((b) => b.dataset.class));
  assert.deepEqual(classes, ['worse_than_V', 'IV']);
  assert.match(await page.textContent('#effect .effect-change'), /RV-CJB: 劣Ⅴ → Ⅳ/);
  assert.deepEqual(problems, []);
  await page.close();
});
