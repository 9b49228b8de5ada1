// Browser tests of the field flow on a phone: "My location" with a position Playwright gives,
// "what is here" against /api/locate, a refused permission, the 390 px layout with its tap
// targets, the case and photo started from there, and the service worker: the last area drawn
// again offline, and logout deleting the logged-in user's stored answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { launch, open, api, logIn, idle, sessionCookie, EDITOR, ARTIFACTS } from './browser.mjs';
import { toGcj02 } from '../src/gcj02.js';

// a point on 新闸大周村中河, a black-odor body of the sample data, as a phone would report it
const BODY = { code: 'BO-DZCZH', project: 'BO-DZCZH-ZZ' };
const POSITION = { longitude: 119.875, latitude: 31.82625, accuracy: 35 };
const PHONE = { width: 390, height: 844 };
const here = { geolocation: POSITION, permissions: ['geolocation'] };
// a poor fix, worse than the default radius of 200 m
const POOR_FIX = { ...POSITION, accuracy: 650 };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The first tap shows the position; the second asks what is here. */
async function whatIsHere(page) {
  await page.click('#my-location');
  await page.waitForSelector('#map[data-my-location]');
  await page.click('#my-location');
  await page.waitForSelector('#query-sites');
}

const shownIds = (page, list) => page.$$eval(`#${list} li`, (rows) => rows.map((r) => Number(r.dataset.site ?? r.dataset.project)));

test('my location, then what is here, lists the body the phone stands on, as /api/locate does', async () => {
  const { page, problems } = await open(browser, '/', { width: 1366, height: 768 }, here);
  assert.equal(await page.getAttribute('#my-location', 'aria-label'), '我的位置');
  await page.click('#my-location');
  await page.waitForSelector('#map[data-my-location]');
  assert.equal(await page.getAttribute('#map', 'data-my-location'), '119.875000,31.826250');
  assert.equal(await page.getAttribute('#my-location', 'aria-pressed'), 'true');
  await idle(page);
  const drawn = await page.evaluate(() => window.remediationMap.queryRenderedFeatures({ layers: ['my-location-point', 'my-location-accuracy'] }).length);
  assert.ok(drawn >= 2, `the dot and its circle are drawn: ${drawn}`);
  assert.equal(await page.isVisible('#what-is-here'), true);

  await page.click('#my-location');
  await page.waitForSelector('#query-sites');
  // the accuracy is 35 m, less than the default: the query asks 200 m
  const located = await api(`/api/locate?lon=${POSITION.longitude.toFixed(7)}&lat=${POSITION.latitude.toFixed(7)}&crs=EPSG:4326&radius=200`);
  assert.deepEqual(await shownIds(page, 'query-sites'), located.sites.map((s) => s.id));
  assert.deepEqual(await shownIds(page, 'query-projects'), located.projects.map((p) => p.id));
  assert.ok(located.sites.some((s) => s.code === BODY.code), JSON.stringify(located.sites.map((s) => s.code)));
  assert.ok(located.projects.some((p) => p.code === BODY.project), JSON.stringify(located.projects.map((p) => p.code)));
  const body = located.sites.find((s) => s.code === BODY.code);
  assert.equal(await page.textContent(`#query-sites [data-site="${body.id}"] .result-name`), body.name);
  assert.match(await page.textContent('#results-body'), /我的位置（精度约 35 米）/);
  // anonymous readers get no "from here" actions
  assert.equal(await page.$('#new-case-here'), null);

  // on a GCJ-02 basemap the position is drawn shifted like every layer
  const tile = readFileSync(fileURLToPath(new URL('./basemap-tile.png', import.meta.url)));
  await page.route('http://gcj02-basemap.test/**', (route) => route.fulfill({ body: tile, contentType: 'image/png' }));
  await page.selectOption('#basemap', 'gcj02');
  const drawnAt = await page.evaluate(async () => (await window.remediationMap.getSource('my-location').getData()).features
    .find((f) => f.properties.part === 'position').geometry.coordinates);
  const shifted = toGcj02([POSITION.longitude, POSITION.latitude]);
  assert.ok(Math.abs(drawnAt[0] - shifted[0]) < 1e-9 && Math.abs(drawnAt[1] - shifted[1]) < 1e-9, `${drawnAt} vs ${shifted}`);
  assert.ok(Math.abs(shifted[0] - POSITION.longitude) > 0.003, 'the shift is visible at this place');

  assert.deepEqual(problems, []);
  await page.close();
});

test('a refused permission says so and leaves the map working', async () => {
  const { page, problems } = await open(browser, '/', { width: 1366, height: 768 }, { permissions: [] });
  await page.click('#my-location');
  await page.waitForSelector('#notice:not([hidden])');
  assert.equal(await page.textContent('#notice'), '无法定位：浏览器未获准使用位置。请在浏览器设置中允许本网站定位后重试。');
  assert.equal(await page.getAttribute('#map', 'data-my-location'), null);
  assert.equal(await page.isVisible('#what-is-here'), false);
  // the map still answers a click
  await page.click('#lang');
  assert.equal(await page.getAttribute('#my-location', 'aria-label'), 'My location');
  assert.deepEqual(problems, []);
  await page.close();
});

/** Every visible control of `selector` and its height, with the ones under 44 px. */
async function smallTargets(page, selector) {
  return page.$$eval(selector, (nodes) => nodes.filter((n) => n.offsetParent !== null)
    .map((n) => ({ what: n.id || n.className || `${n.tagName}${n.type ? `[${n.type}]` : ''}`, height: n.getBoundingClientRect().height, width: n.getBoundingClientRect().width }))
    .filter((n) => n.height < 44 || n.width < 44));
}

const horizontalOverflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('on a 390 px phone an editor finds what is here, starts a case and photographs it with one thumb', async () => {
  const { page, problems } = await open(browser, '/', PHONE, { ...here, geolocation: POOR_FIX });
  await page.click('#panel-toggle');
  await logIn(page, EDITOR);
  await page.click('#panel-toggle');
  const [request] = await Promise.all([page.waitForRequest((r) => r.url().includes('/api/locate')), whatIsHere(page)]);
  // the query asks at least the accuracy
  assert.equal(new URL(request.url()).searchParams.get('radius'), '650');
  const located = await api(`/api/locate?lon=${POSITION.longitude.toFixed(7)}&lat=${POSITION.latitude.toFixed(7)}&crs=EPSG:4326&radius=650`);
  assert.deepEqual(await shownIds(page, 'query-sites'), located.sites.map((s) => s.id));
  assert.match(await page.textContent('#results-body'), /我的位置（精度约 650 米）/);
  assert.equal(await horizontalOverflow(page), 0);
  assert.deepEqual(await smallTargets(page, '#my-location, #what-is-here, #results button, #results .button-like, #results .result, #panel-toggle'), []);
  await page.screenshot({ path: join(ARTIFACTS, 'field-phone.png') });

  // a photo taken now, without GPS in its EXIF, is placed where the phone stands
  const nearest = located.sites[0];
  assert.equal(await page.textContent('#photo-here-label'), `拍照上传到最近点位：${nearest.name}`);
  assert.equal(await page.getAttribute('#photo-here', 'capture'), 'environment');
  assert.equal(await page.getAttribute('#photo-here', 'accept'), 'image/*');
  await page.setInputFiles('#photo-here', fileURLToPath(new URL('./basemap-tile.png', import.meta.url)));
  await page.waitForSelector('.from-here .upload-row[data-state="done"]');
  const cookie = await sessionCookie(EDITOR);
  const stored = await (await fetch(`${process.env.BASE_URL ?? 'http://127.0.0.1:8080'}/api/sites/${nearest.id}/attachments`, { headers: { cookie } })).json();
  const photo = stored.find((a) => a.file_name === 'basemap-tile.png');
  assert.deepEqual(photo.location.coordinates, [POSITION.longitude, POSITION.latitude]);

  // the site panel opened from the results is as usable
  await page.click(`#query-sites [data-site="${nearest.id}"]`);
  await page.waitForSelector('#details:not([hidden]) .site-evidence');
  assert.equal(await horizontalOverflow(page), 0);
  assert.deepEqual(await smallTargets(page, '#details button, #details select'), []);
  await page.click('#details-close');

  // the new case starts at the position, with the form usable at 390 px
  await Promise.all([page.waitForURL(/\/cases\?lon=/), page.click('#new-case-here')]);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => document.getElementById('place-text')?.textContent.includes('119.875000'));
  assert.equal(await page.textContent('#place-text'), '位置：119.875000, 31.826250');
  assert.equal(await horizontalOverflow(page), 0);
  assert.deepEqual(await smallTargets(page, '#new-case input:not([type=checkbox]):not([type=radio]), #new-case .repeat-choice, #new-case select, #new-case button'), []);
  await page.screenshot({ path: join(ARTIFACTS, 'field-case-phone.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

/** Waits until the service worker controls the page and has stored the answer of `path`. */
async function storedBy(page, store, path) {
  await page.waitForFunction(async ([name, wanted]) => {
    if (!navigator.serviceWorker.controller || !(await caches.has(name))) return false;
    const keys = await (await caches.open(name)).keys();
    return keys.some((k) => new URL(k.url).pathname === wanted);
  }, [store, path], { timeout: 30000, polling: 200 });
}

test('offline, the page opens again and draws the area last seen, saying how old it is', async () => {
  const { page, problems } = await open(browser, '/', PHONE, { serviceWorkers: 'allow' });
  await storedBy(page, 'rt-data', '/api/layers/black_odor_water');
  await idle(page);
  // every answer the page needs to open: the worker stores each as it arrives, and a busy
  // machine may still be storing the last ones
  const needed = await page.evaluate(() => [...new Set(performance.getEntriesByType('resource')
    .map((e) => new URL(e.name)).filter((u) => /^\/api\/(layers\/|settings$|stats$)/.test(u.pathname)).map((u) => u.pathname))]);
  assert.ok(needed.includes('/api/stats') && needed.includes('/api/layers/admin_area'), needed.join(' '));
  for (const path of needed) await storedBy(page, 'rt-data', path);
  const online = await page.evaluate(() => window.remediationMap.queryRenderedFeatures().length);
  assert.ok(online > 0);

  await page.context().setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  await idle(page);
  const offline = await page.evaluate(() => window.remediationMap.queryRenderedFeatures().length);
  assert.equal(offline, online, 'the same features are drawn from the stored answers');
  assert.match(await page.textContent('#offline-note'), /^离线，显示 .+ 的数据$/);
  assert.equal(await page.isVisible('#offline-note'), true);
  // what was never stored is not drawn, and is not called an error either
  assert.notEqual(await page.getAttribute('#notice', 'data-kind'), 'error');
  await page.screenshot({ path: join(ARTIFACTS, 'map-offline-phone.png') });
  await page.context().setOffline(false);
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(p)), []);
  await page.close();
});

test('offline, a write is refused with a message and nothing is queued', async () => {
  const { page } = await open(browser, '/cases', { width: 1366, height: 768 }, { serviceWorkers: 'allow' });
  await logIn(page, EDITOR);
  await page.waitForSelector('#new-case input[name=title]');
  await page.fill('#new-case input[name=title]', '离线时填写的案件');
  const before = (await api('/api/cases?q=离线时填写的案件', { headers: { cookie: await sessionCookie(EDITOR) } })).total;
  await page.context().setOffline(true);
  await page.click('#create-case');
  await page.waitForSelector('#notice:not([hidden])');
  assert.equal(await page.textContent('#notice'), '当前离线，未保存。请联网后再提交。');
  await page.context().setOffline(false);
  const after = (await api('/api/cases?q=离线时填写的案件', { headers: { cookie: await sessionCookie(EDITOR) } })).total;
  assert.equal(after, before);
  await page.close();
});

test('logout deletes what the service worker stored for the logged-in user', async () => {
  const { page } = await open(browser, '/', { width: 1366, height: 768 }, { serviceWorkers: 'allow' });
  await page.waitForFunction(() => Boolean(navigator.serviceWorker.controller), null, { timeout: 30000 });
  await logIn(page, EDITOR);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await storedBy(page, 'rt-private', '/api/layers/black_odor_water');
  const storedPaths = await page.evaluate(async () => (await (await caches.open('rt-private')).keys()).map((k) => new URL(k.url).pathname));
  assert.ok(storedPaths.includes('/api/stats'), storedPaths.join());
  await page.click('#logout');
  await page.waitForSelector('#login-open');
  assert.equal(await page.evaluate(() => caches.has('rt-private')), false);
  // what stays is what anybody may read
  const publicAnswers = await page.evaluate(async () => Promise.all((await (await caches.open('rt-data')).keys()).map(async (k) =>
    (await (await caches.open('rt-data')).match(k)).headers.get('cache-control') ?? '')));
  assert.ok(publicAnswers.every((c) => !c.includes('private')), publicAnswers.join('|'));
  await page.close();
});
