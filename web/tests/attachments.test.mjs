// Browser tests of the evidence panel: an editor drops a photo on a project's page, sees its
// upload's progress bar reach the end and the photo in the gallery with its stage; a
// before/after pair shows the comparison; anonymous readers see the photo but no drop zone. On
// the map, a photo dropped on a site's panel shows on the staff's photos layer where its EXIF
// says it was taken (gps-photo.jpg: 64 × 48 pixels made with Pillow for this test, EXIF GPS
// 119.8752°E 31.8275°N, about 130 m north of 大周村中河).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, open, logIn, api, screenPoint, BASE_URL, EDITOR } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Drops `files` ([name, bytes, type]) on the element, as a drag from the desktop does. */
async function dropFiles(page, selector, files) {
  const transfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const [name, b64, type] of list) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], name, { type }));
    }
    return data;
  }, files.map(([name, bytes, type]) => [name, bytes.toString('base64'), type]));
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

test('an editor drops photos on a project and sees them in the gallery, before beside after', async () => {
  const project = (await api('/api/projects?sort=code&limit=1&offset=3')).items[0];
  const photo = await readFile(new URL('./basemap-tile.png', import.meta.url));
  const { page, problems } = await open(browser, `/projects/${project.id}`);
  await page.waitForSelector('#attachments .evidence-gallery', { state: 'attached' });
  assert.equal(await page.locator('#attachments .drop-zone').count(), 0, 'no drop zone for anonymous readers');

  await logIn(page, EDITOR);
  await page.waitForSelector('#attachments .drop-zone');
  const already = await page.locator('#attachments .evidence-photo').count();
  await page.selectOption('#attachments select[name=stage]', 'before');
  await dropFiles(page, '#attachments .drop-zone', [['整治前.png', photo, 'image/png']]);
  await page.waitForSelector('#attachments .upload-row[data-state="done"]');
  assert.equal(await page.getAttribute('#attachments .upload-row .progress', 'aria-valuenow'), '100');
  await page.selectOption('#attachments select[name=stage]', 'after');
  await dropFiles(page, '#attachments .drop-zone', [['整治后.png', photo, 'image/png']]);
  await page.waitForFunction((n) => document.querySelectorAll('#attachments .evidence-photo').length === n + 2, already);
  const stages = await page.$$eval('#attachments .evidence-photo', (figures) => figures.map((f) => f.dataset.stage));
  assert.deepEqual(stages.slice(-2), ['before', 'after']);
  // the thumbnails are drawn from the stored bytes
  await page.waitForFunction(() => [...document.querySelectorAll('#attachments .evidence-thumb')].every((img) => img.complete && img.naturalWidth > 0));
  await page.waitForSelector('#attachments .compare [data-side="stageBefore"] img');
  assert.match(await page.textContent('#attachments .compare h3'), /整治前后对比/);

  const stored = await api(`/api/projects/${project.id}/attachments`);
  const titles = stored.map((a) => a.title);
  assert.ok(titles.includes('整治前.png') && titles.includes('整治后.png'), `${titles}`);
  assert.ok(stored.every((a) => a.media_type === 'image/png'));
  const bytes = Buffer.from(await (await fetch(`${BASE_URL}${stored.at(-1).url}`)).arrayBuffer());
  assert.ok(bytes.equals(photo), 'the download is the dropped file, byte for byte');
  assert.deepEqual(problems, []);
});

test('a photo dropped on a site shows on the photos layer where it was taken, and leads back to the site', async () => {
  const photo = await readFile(new URL('./gps-photo.jpg', import.meta.url));
  const body = [119.875, 31.82625];
  const taken = [119.8752, 31.8275];
  const { page, problems } = await open(browser, `/#map=17/${body[1]}/${body[0]}`);
  await logIn(page, EDITOR);
  let { x, y } = await screenPoint(page, body);
  await page.mouse.click(x, y);
  await page.waitForSelector('#details .site-evidence .drop-zone');
  assert.equal(await page.textContent('#details-title'), '大周村中河');
  const already = await page.locator('#details .site-evidence .evidence-photo').count();
  await page.selectOption('#details .site-evidence select[name=stage]', 'after');
  await dropFiles(page, '#details .site-evidence .drop-zone', [['河岸整治后.jpg', photo, 'image/jpeg']]);
  await page.waitForFunction((n) => document.querySelectorAll('#details .site-evidence .evidence-photo').length === n + 1, already);
  assert.equal(await page.locator('#details .site-evidence .evidence-photo').last().getAttribute('data-stage'), 'after');

  await page.click('#details-close');
  await page.click('#photos-toggle');
  await page.waitForFunction(() => Number(document.getElementById('map').dataset.photos) >= 1);
  await page.evaluate(() => new Promise((resolve) => { window.remediationMap.once('idle', resolve); window.remediationMap.triggerRepaint(); }));
  ({ x, y } = await screenPoint(page, taken));
  await page.mouse.click(x, y);
  await page.waitForSelector('.photo-popup .open-site');
  assert.match(await page.textContent('.photo-popup p'), /河岸整治后\.jpg · 整治后/);
  assert.doesNotMatch(await page.textContent('.photo-popup p'), /拍摄点距对象|away/, 'taken within 500 m: not flagged');
  await page.click('.photo-popup .open-site');
  await page.waitForSelector('#details .site-evidence .evidence-photo');
  assert.equal(await page.textContent('#details-title'), '大周村中河');
  assert.equal(await page.locator('.photo-popup').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
