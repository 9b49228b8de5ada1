// Browser tests of the casework ledgers: anonymous readers see no petition; an editor places a
// new petition next to an earlier one with a click on the map and is shown the repeat before
// saving, links it as a repeat and saves; the case page shows the case and its history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, logIn, sessionCookie, screenPoint, idle, BASE_URL, EDITOR } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function asEditor(path) {
  const cookie = await sessionCookie(EDITOR);
  const response = await fetch(`${BASE_URL}${path}`, { headers: { cookie } });
  return response.json();
}

test('an editor entering a petition next to an earlier one sees the repeat before saving', async () => {
  const { page, problems } = await open(browser, '/cases');
  assert.equal(await page.isVisible('#new-case-card'), false);
  const publicCodes = await page.$$eval('#case-list [data-code]', (rows) => rows.map((r) => r.dataset.code));
  assert.ok(publicCodes.length > 0, 'the public sees the other ledgers');
  assert.ok(publicCodes.every((c) => !c.startsWith('XF')), `no petition for anonymous readers: ${publicCodes}`);

  await logIn(page, EDITOR);
  await page.waitForSelector('#new-case-card:not([hidden])');
  await page.waitForSelector('#case-list [data-code^="XF"]');
  // an earlier noise petition of the sample ledger, and the day after it
  const earlier = (await asEditor('/api/cases?kind=petition&category=noise&sort=received_on&limit=1')).items[0];
  const day = new Date(Date.parse(earlier.received_on) + 86400e3).toISOString().slice(0, 10);
  const before = (await asEditor('/api/cases?kind=petition&limit=1')).total;

  await page.selectOption('#new-case select[name=category]', 'noise');
  await page.fill('#new-case input[name=received_on]', day);
  await page.fill('#new-case input[name=title]', '夜间施工噪声（浏览器测试）');
  await page.evaluate((c) => window.remediationMap.jumpTo({ center: c, zoom: 17 }), earlier.geometry.coordinates);
  await idle(page);
  const { x, y } = await screenPoint(page, earlier.geometry.coordinates);
  await page.mouse.click(x + 6, y);
  await page.waitForSelector('#repeat-warning[data-count]:not([data-count="0"])');
  const warning = await page.textContent('#repeat-warning .warning');
  assert.match(warning, /早先同类信访在 200 米、180 天内/);
  const listed = await page.$$eval('#repeat-warning [data-code]', (rows) => rows.map((r) => r.dataset.code));
  assert.ok(listed.includes(earlier.code), `${earlier.code} among ${listed}`);
  assert.equal((await asEditor('/api/cases?kind=petition&limit=1')).total, before, 'nothing is saved by the check');

  await page.check(`#repeat-warning [data-code="${earlier.code}"] input[type=radio]`);
  await page.click('#create-case');
  await page.waitForFunction(() => document.querySelector('#notice')?.textContent.includes('已保存案件'));
  const created = (await asEditor('/api/cases?kind=petition&sort=-code&q=浏览器测试&limit=1')).items[0];
  assert.equal(created.repeat_of, earlier.id);
  assert.equal(created.received_on, day);
  assert.ok(created.geometry.coordinates[0] > earlier.geometry.coordinates[0], 'placed where clicked');

  // its page shows the case, its repeat link and its history
  await page.goto(`${BASE_URL}/cases/${created.id}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.textContent('#case-title'), '夜间施工噪声（浏览器测试）');
  assert.match(await page.textContent('#case-facts'), new RegExp(earlier.code));
  assert.equal(await page.locator('#history .event').count(), 1);
  const offered = await page.$$eval('#case-transition [data-to]', (b) => b.map((n) => n.dataset.to));
  assert.deepEqual(offered, ['assigned', 'handling']);
  await page.click('#case-transition [data-to="handling"]');
  await page.fill('#case-note', '现场核查');
  await page.click('#case-apply');
  await page.waitForFunction(() => document.querySelectorAll('#history .event').length === 2);
  assert.equal(await page.getAttribute('#case-facts .badge[data-status]', 'data-status'), 'handling');
  assert.deepEqual(problems, []);
  await page.close();
});

test('staff switch on the cases and the repeat hot spots on the map; the public is not offered them', async () => {
  const { page, problems } = await open(browser, '/');
  assert.equal(await page.isVisible('#cases-panel'), false);
  await logIn(page, EDITOR);
  await page.waitForSelector('#cases-panel:not([hidden])');
  await page.check('#cases-toggle');
  await page.waitForSelector('#map[data-cases]');
  const inView = Number(await page.getAttribute('#map', 'data-cases'));
  assert.ok(inView > 150, `${inView} cases in the district's view`);
  await page.check('#hotspots-toggle');
  await page.waitForSelector('#map[data-hotspots]');
  const spots = await asEditor('/api/cases/hotspots');
  assert.equal(Number(await page.getAttribute('#map', 'data-hotspots')), spots.features.length);
  assert.ok(spots.features.length >= 4, 'the sample ledger repeats at four places');
  await page.click('#logout');
  await page.waitForSelector('#cases-panel[hidden]', { state: 'attached' });
  assert.deepEqual(problems, []);
  await page.close();
});
