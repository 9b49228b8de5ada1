// Headless-Chromium timings of the map page for bench/map_bench.sh (run from web/, where
// playwright-core is installed): `first-render` or `pan`. Prints markdown rows.
import http from 'node:http';

const { chromium } = await import(new URL('../web/node_modules/playwright-core/index.mjs', import.meta.url));
const BASE_URL = process.env.BASE_URL;
const RUNS = Number(process.env.RUNS ?? 10);
const mode = process.argv[2];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const row = (what, values, unit = 'ms') =>
  console.log(`| ${what} | ${values.length} | ${quantile(values, 0.5).toFixed(0)} ${unit} | ${quantile(values, 0.9).toFixed(0)} ${unit} | ${Math.max(...values).toFixed(0)} ${unit} |`);

/** Bytes on the wire of a URL fetched with gzip accepted (the body as sent, not decoded). */
function wireBytes(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk) => { bytes += chunk.length; });
      response.on('end', () => resolve(bytes));
    }).on('error', reject);
  });
}

async function open(context, path) {
  const page = await context.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${BASE_URL}${path}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  return page;
}

if (mode === 'first-render') {
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const context = await browser.newContext();
    const page = await open(context, '/');
    times.push(Number(await page.getAttribute('body', 'data-ready-ms')));
    await context.close();
  }
  console.log('| measure | runs | p50 | p90 | max |\n|---|---|---|---|---|');
  row('navigation → first complete map render (sample data, cold cache)', times);

  // every script the pages load, and MapLibre's worker, which the page's resource timing misses
  const scripts = new Set(['/vendor/maplibre-gl/maplibre-gl-worker.mjs']);
  const context = await browser.newContext();
  for (const path of ['/', '/dashboard', '/projects/1']) {
    const page = await open(context, path);
    const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\.m?js(\?|$)/.test(n)));
    urls.forEach((u) => scripts.add(new URL(u).pathname));
  }
  await context.close();
  let total = 0;
  for (const path of [...scripts].sort()) {
    const bytes = await wireBytes(`${BASE_URL}${path}`);
    total += bytes;
    console.log(`| ${path} | ${(bytes / 1024).toFixed(1)} KiB |`);
  }
  console.log(`| all JavaScript of the app (gzip on the wire) | ${(total / 1024).toFixed(1)} KiB |`);
} else if (mode === 'pan') {
  const context = await browser.newContext();
  const page = await open(context, '/#map=12/31.70/119.75');
  const tiled = await page.evaluate(() => window.remediationMap.getSource('contaminated_plot').type);
  const plots = await page.textContent('#layer-list li:nth-child(2) .count');
  const step = (action) => page.evaluate((a) => new Promise((resolve) => {
    const map = window.remediationMap;
    const start = performance.now();
    map.once('idle', () => resolve(performance.now() - start));
    if (a.pan) map.panBy(a.pan, { duration: 0 });
    else if (a.center) map.jumpTo({ center: a.center, zoom: a.zoom });
    else map.zoomTo(a.zoom, { duration: 0 });
  }), action);
  const pans = [];
  const zooms = [];
  const directions = [[400, 0], [0, 300], [-400, 0], [0, 300]];
  for (const zoom of [12, 14]) {
    await step({ zoom });
    for (let i = 0; i < RUNS; i += 1) pans.push(await step({ pan: directions[i % 4] }));
  }
  // each zoom over a part of the map not seen before, so no tile is in the browser's cache
  for (let i = 0; i < RUNS; i += 1) {
    const center = [119.4 + 0.07 * i, 31.5 + 0.04 * i];
    const [from, to] = i % 2 ? [14, 13] : [13, 14];
    await step({ center, zoom: from });
    zooms.push(await step({ zoom: to }));
  }
  console.log(`contaminated_plot source: ${tiled}, ${plots} plots`);
  console.log('| measure | runs | p50 | p90 | max |\n|---|---|---|---|---|');
  row('pan (400 or 300 px) → map idle, z12 and z14', pans);
  row('zoom in or out by one level (z13 ↔ z14) over unseen ground → map idle', zooms);
  await context.close();
}
await browser.close();
