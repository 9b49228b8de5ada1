// Browser tests of the project page and the dashboard: logging in, a status transition with its
// note in the timeline, edit controls for editors only, the conflict view of a stale edit, the
// dashboard's figures against /api/stats and a chart click that opens the filtered map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, open, api, logIn, sessionCookie, BASE_URL, ARTIFACTS, EDITOR, VIEWER } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A planned project no other test touches (every run moves one on). */
async function plannedProject(skip = 0) {
  const page = await api(`/api/projects?status=planned&sort=-code&limit=1&offset=${skip}`);
  assert.ok(page.items.length, 'a planned project is left in the test database');
  return page.items[0];
}

test('viewers see no edit controls; an editor moves a project on and the timeline shows it', async () => {
  const project = await plannedProject();
  const { page, problems } = await open(browser, `/projects/${project.id}`);
  assert.equal(await page.textContent('#project-name'), project.name);
  assert.equal(await page.isVisible('#edit-card'), false);
  assert.equal(await page.isVisible('#viewer-note'), true);

  await logIn(page, VIEWER);
  assert.match(await page.textContent('#user-name'), /web-viewer/);
  assert.equal(await page.isVisible('#edit-card'), false);
  assert.equal(await page.locator('#transition-form, .unlink').count(), 0);
  await page.click('#logout');
  await page.waitForSelector('#login-open');

  await logIn(page, EDITOR);
  assert.equal(await page.isVisible('#edit-card'), true);
  const offered = await page.$$eval('#transition-form [data-to]', (b) => b.map((n) => n.dataset.to));
  const current = await api(`/api/projects/${project.id}`);
  assert.deepEqual(offered, current.allowed_transitions);
  assert.deepEqual(offered, ['preparing', 'in_progress', 'suspended', 'cancelled']);
  await page.click('#transition-form [data-to="preparing"]');
  const note = `可研批复 ${Date.now()}`;
  await page.fill('#transition-note', note);
  await page.click('#transition-apply');
  await page.waitForFunction((n) => document.querySelector('#history .event')?.textContent.includes(n), note);
  const first = page.locator('#history .event').first();
  assert.deepEqual(await first.locator('.badge').evaluateAll((b) => b.map((n) => n.dataset.status)), ['planned', 'preparing']);
  assert.equal(await page.getAttribute('#project-facts .badge', 'data-status'), 'preparing');
  const stored = await api(`/api/projects/${project.id}`);
  assert.equal(stored.status, 'preparing');
  const history = await api(`/api/projects/${project.id}/history`);
  assert.deepEqual([history.at(-1).kind, history.at(-1).to_status, history.at(-1).note, history.at(-1).actor], ['status', 'preparing', note, 'web-editor']);

  // link a site picked on the mini-map, then unlink it again
  const linkedBefore = await page.$$eval('#site-list [data-site]', (rows) => rows.map((r) => Number(r.dataset.site)));
  await page.evaluate(() => new Promise((resolve) => {
    window.remediationMap.once('idle', resolve);
    window.remediationMap.jumpTo({ zoom: 13 });
    window.remediationMap.triggerRepaint();
  }));
  const target = await page.evaluate((linked) => {
    const map = window.remediationMap;
    const { width, height } = map.getCanvas().getBoundingClientRect();
    // a point well inside the canvas, away from the zoom buttons (rendered features include the
    // tiles' buffer beyond the edges)
    const inside = ({ x, y }) => x > 20 && x < width - 60 && y > 20 && y < height - 20;
    return map.queryRenderedFeatures({ layers: ['all-sites-point'] })
      .filter((f) => !linked.includes(Number(f.id)))
      .map((f) => ({ id: Number(f.id), name: f.properties.name, at: map.project(f.geometry.coordinates) }))
      .find((f) => inside(f.at));
  }, linkedBefore);
  assert.ok(target, 'an unlinked site is drawn on the mini-map');
  const box = await page.locator('#mini-map').boundingBox();
  await page.mouse.click(box.x + target.at.x, box.y + target.at.y);
  await page.waitForSelector('#link-picked');
  assert.equal(await page.textContent('#link-picked'), `关联“${target.name}”`);
  await page.click('#link-picked');
  await page.waitForSelector(`#site-list [data-site="${target.id}"]`);
  assert.ok((await api(`/api/sites?project=${project.id}`)).items.some((s) => s.id === target.id));
  await page.click(`#site-list [data-site="${target.id}"] .unlink`);
  await page.waitForSelector(`#site-list [data-site="${target.id}"]`, { state: 'detached' });
  const kinds = (await api(`/api/projects/${project.id}/history`)).slice(-2).map((e) => [e.kind, e.site_id]);
  assert.deepEqual(kinds, [['link', target.id], ['unlink', target.id]]);
  await page.screenshot({ path: join(ARTIFACTS, 'project.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a stale edit shows both versions and applies only when retried', async () => {
  const project = await plannedProject(1);
  const { page, problems } = await open(browser, `/projects/${project.id}`);
  await logIn(page, EDITOR);
  // someone else records progress after this page read the project
  const cookie = await sessionCookie(EDITOR);
  const read = await fetch(`${BASE_URL}/api/projects/${project.id}`);
  const theirs = await fetch(`${BASE_URL}/api/projects/${project.id}/progress`, {
    method: 'POST',
    headers: { cookie, origin: BASE_URL, 'content-type': 'application/json', 'if-match': read.headers.get('etag') },
    body: JSON.stringify({ progress: 40, note: 'from another desk' }),
  });
  assert.equal(theirs.status, 200);

  await page.fill('#progress-input', '55');
  await page.click('#progress-form button[type=submit]');
  await page.waitForSelector('#conflict:not([hidden])');
  assert.match(await page.textContent('#conflict-theirs'), /40%/);
  assert.match(await page.textContent('#conflict-mine'), /55%/);
  assert.equal((await api(`/api/projects/${project.id}`)).progress, 40, 'nothing was written by the stale edit');

  await page.click('#conflict-retry');
  await page.waitForSelector('#conflict', { state: 'hidden' });
  await page.waitForFunction(() => document.querySelector('#project-facts [role=progressbar]')?.getAttribute('aria-valuenow') === '55');
  const history = await api(`/api/projects/${project.id}/history`);
  assert.deepEqual(history.slice(-2).map((e) => [e.kind, e.changes?.progress?.after]), [['progress', 40], ['progress', 55]]);
  // the browser reports the refused write itself; nothing else went wrong
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 412 (Precondition Failed)']);
  await page.close();
});

test('the dashboard shows the figures of /api/stats, and a chart click opens the filtered map', async () => {
  const { page, problems } = await open(browser, '/dashboard');
  const stats = await api('/api/stats');
  const value = (id) => page.getAttribute(`#${id} .value`, 'data-value');
  const count = (key) => stats.by_status.find((c) => c.key === key).count;
  assert.equal(Number(await value('kpi-total')), stats.total_projects);
  assert.equal(Number(await value('kpi-started')), count('in_progress') + count('completed') + count('accepted'));
  assert.equal(Number(await value('kpi-done')), count('completed') + count('accepted'));
  assert.equal(await value('kpi-zones'), `${stats.key_zones.cleared}/${stats.key_zones.total}`);
  assert.equal(Number(await value('kpi-black-odor')), stats.sites_by_kind.find((c) => c.key === 'black_odor_water').count);
  for (const p of stats.programmes.filter((g) => g.target_start_rate !== null)) {
    assert.equal(await value(`kpi-programme-${p.code}`), `${(p.start_rate * 100).toFixed(1)}%`);
  }
  const chartData = (id) => page.$eval(`#${id}`, (c) => [c.dataset.keys.split(','), c.dataset.values.split(',').map(Number)]);
  assert.deepEqual(await chartData('chart-status'), [stats.by_status.map((c) => c.key), stats.by_status.map((c) => c.count)]);
  assert.deepEqual(await chartData('chart-black-odor'), [stats.black_odor_by_stage.map((c) => c.key), stats.black_odor_by_stage.map((c) => c.count)]);
  assert.deepEqual((await chartData('chart-towns'))[1], stats.by_town.map((c) => c.count));
  // water: the twelve months up to the latest sample, each month's share of sections meeting target
  await page.waitForSelector('#chart-water[data-keys]');
  const [months, shares] = await page.$eval('#chart-water', (c) => [c.dataset.keys.split(','), c.dataset.values.split(',')]);
  assert.equal(months.length, 12);
  const latestMonth = new Date(new Date(stats.latest_sampled_at).getTime() + 8 * 3600e3).toISOString().slice(0, 7);
  assert.equal(months[11], latestMonth);
  const last = await api(`/api/assessments?period=${latestMonth}`);
  assert.equal(Number(shares[11]), Math.round((1000 * last.meeting_target) / last.with_target) / 10);
  assert.equal(stats.black_odor_by_stage.reduce((n, c) => n + c.count, 0), 18);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'Progress dashboard');
  await page.click('#lang');

  // the in-progress slice of the status chart
  const index = stats.by_status.findIndex((c) => c.key === 'in_progress');
  const point = await page.evaluate((i) => window.dashboardCharts['chart-status'].getDatasetMeta(0).data[i].tooltipPosition(), index);
  const box = await page.locator('#chart-status').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
  await page.waitForURL(/\/#status=in_progress$/);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.inputValue('#filter-status'), 'in_progress');
  await page.waitForFunction(() => /status=in_progress/.test(document.getElementById('results-body').dataset.query));
  const statuses = await page.$$eval('#view-projects .badge', (b) => b.map((n) => n.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'in_progress'), statuses.join());
  assert.deepEqual(problems, []);
  await page.close();
});

test('the dashboard and a project page fit a 390 px phone', async () => {
  const phone = { width: 390, height: 844 };
  const project = (await api('/api/projects?limit=1')).items[0];
  for (const [path, shot] of [['/dashboard', 'dashboard-phone.png'], [`/projects/${project.id}`, 'project-phone.png']]) {
    const { page, problems } = await open(browser, path, phone);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(overflow, 0, path);
    await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
    assert.deepEqual(problems, [], path);
    await page.close();
  }
});
