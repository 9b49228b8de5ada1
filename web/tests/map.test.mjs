// Browser test of the map page: real Chromium (Debian's), real server, seeded database.
// Playwright gives every launch a fresh temporary profile.
// BASE_URL points at a running `remediation-tracker serve` with the sample data loaded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
mkdirSync(ARTIFACTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function openMap() {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/GPU stall/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  return { page, problems };
}

/** Pixels of the map that differ from the empty background, counted in the page from a screenshot. */
async function drawnPixels(page) {
  const png = await page.locator('#map').screenshot();
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (Math.abs(r - 0xee) + Math.abs(g - 0xf2) + Math.abs(b - 0xf5) > 24) drawn += 1;
    }
    return drawn;
  }, png.toString('base64'));
}

test('the map draws every sample layer with its feature count', async () => {
  const { page, problems } = await openMap();
  const layers = await page.$$eval('#layer-list li', (items) => items.map((li) => [
    li.querySelector('input').dataset.layer, Number(li.querySelector('.count').textContent)]));
  const counts = Object.fromEntries(layers);
  const expected = {};
  for (const id of Object.keys(counts)) {
    const response = await fetch(`${BASE_URL}/api/layers/${id}`);
    expected[id] = (await response.json()).features.length;
  }
  assert.deepEqual(counts, expected);
  assert.equal(counts.black_odor_water, 18);
  assert.ok(await drawnPixels(page) > 5000, 'the map canvas is not blank');
  await page.screenshot({ path: join(ARTIFACTS, 'map.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('unticking a layer removes it from the map', async () => {
  const { page, problems } = await openMap();
  const before = await drawnPixels(page);
  for (const id of ['admin_area', 'key_zone', 'contaminated_plot']) {
    await page.click(`input[data-layer="${id}"]`);
  }
  await page.waitForFunction(() => document.body.dataset.idle === 'true');
  const afterUntick = await drawnPixels(page);
  assert.ok(before - afterUntick > 10000, `drawn pixels ${before} → ${afterUntick}`);
  for (const id of ['admin_area', 'key_zone', 'contaminated_plot']) {
    await page.click(`input[data-layer="${id}"]`);
  }
  await page.waitForFunction(() => document.body.dataset.idle === 'true');
  const restored = await drawnPixels(page);
  assert.ok(Math.abs(restored - before) < before * 0.01, `ticking them again restores the map: ${before} → ${restored}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the English switch changes the labels', async () => {
  const { page } = await openMap();
  assert.equal(await page.textContent('h1'), '污染治理项目一张图');
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), 'Remediation tracker');
  assert.equal(await page.textContent('#lang'), '中文');
  await page.click('#lang');
  assert.equal(await page.textContent('h1'), '污染治理项目一张图');
  await page.close();
});

test('the report panel downloads the report of the chosen date', async () => {
  const { page, problems } = await openMap();
  await page.fill('#report-date', '2025-06-30');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#report a[data-format="xlsx"]'),
  ]);
  assert.equal(download.suggestedFilename(), 'report-2025-06-30.xlsx');
  const { size } = statSync(await download.path());
  assert.ok(size > 5000, `xlsx of ${size} bytes`);
  const [markdown] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#report a[data-format="md"]'),
  ]);
  const text = readFileSync(await markdown.path(), 'utf8');
  assert.ok(text.includes('已有48家企业开展雨污管网排查及整改方案编制工作'), text.slice(0, 200));
  await page.click('#lang');
  assert.match(await page.getAttribute('#report a[data-format="csv"]', 'href'), /as_of=2025-06-30&format=csv&lang=en$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a hostile site name shows as text, never as markup', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const name = '<img src=x onerror=alert(1)>';
  // one facility with a script-bearing name at the initial centre; every other layer empty, so
  // the map keeps that centre (it fits the district's bounds only when there is a district)
  await page.route('**/api/layers/*', async (route) => {
    const layer = new URL(route.request().url()).pathname.split('/').pop();
    const features = layer !== 'facility' ? [] : [{
      type: 'Feature', id: 1,
      properties: { id: 1, code: 'XSS-1', name, kind: 'facility', remediation_state: 'none', town_code: null, placeholder: false },
      geometry: { type: 'Point', coordinates: [119.86, 31.795] },
    }];
    await route.fulfill({ json: { type: 'FeatureCollection', features } });
  });
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('.maplibregl-popup-content b');
  assert.equal(await page.textContent('.maplibregl-popup-content b'), name);
  assert.equal(await page.locator('.maplibregl-popup-content img').count(), 0);
  assert.deepEqual(dialogs, []);
  await page.close();
});
