// Shared by the browser tests: real Chromium (Debian's), a real server with the sample data
// (BASE_URL), and the accounts scripts/test.sh creates. Playwright gives every launch a fresh
// temporary profile.
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
mkdirSync(ARTIFACTS, { recursive: true });
export const EDITOR = { username: 'web-editor', password: 'web-editor-pass-1' };
export const VIEWER = { username: 'web-viewer', password: 'web-viewer-pass-1' };

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens a page of the app, collecting console errors; waits for its first complete render.
 * The service worker is blocked unless `context` allows it: only the tests of working offline
 * want it, and Playwright's routing does not see what a service worker answers.
 */
export async function open(browser, path = '/', viewport = { width: 1366, height: 768 }, context = {}) {
  const page = await browser.newPage({ viewport, acceptDownloads: true, serviceWorkers: 'block', ...context });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' && !/GPU stall/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${BASE_URL}${path}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  return { page, problems };
}

export async function api(path, init) {
  const response = await fetch(`${BASE_URL}${path}`, init);
  return response.json();
}

/** Logs in through the header's login dialog. */
export async function logIn(page, { username, password }) {
  await page.click('#login-open');
  await page.fill('#login-dialog input[name=username]', username);
  await page.fill('#login-dialog input[name=password]', password);
  await page.click('#login-dialog button[value=login]');
  await page.waitForSelector('#user-name');
}

/** A session cookie for direct API calls (as another user's browser would send). */
export async function sessionCookie({ username, password }) {
  const response = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: BASE_URL }, body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login of ${username}: HTTP ${response.status}`);
  return response.headers.get('set-cookie').split(';')[0];
}

/** Screen position of a lon/lat on the page's map. */
export async function screenPoint(page, lonLat) {
  const box = await page.locator('#map, #mini-map').first().boundingBox();
  const { x, y } = await page.evaluate((c) => window.remediationMap.project(c), lonLat);
  return { x: box.x + x, y: box.y + y };
}

/** Pixels of the map that differ from the empty background, counted from a screenshot. */
export async function drawnPixels(page) {
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

/** Waits until the map has drawn everything after a change. */
export async function idle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.remediationMap;
    if (map.loaded() && !map.isMoving()) { map.once('idle', resolve); map.triggerRepaint(); } else map.once('idle', resolve);
  }));
}
