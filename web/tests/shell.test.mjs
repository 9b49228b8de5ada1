// The service worker's app shell lists every file the pages load from web/src, so that the app
// opens offline after an upgrade that added a module; and nothing it lists is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function shellFiles() {
  const source = readFileSync(join(SRC, 'sw.js'), 'utf8');
  const list = source.slice(source.indexOf('const SHELL_FILES = ['), source.indexOf('];', source.indexOf('const SHELL_FILES = [')));
  return [...list.matchAll(/'(\/[^']*)'/g)].map((m) => m[1]);
}

test('the shell lists every file of web/src but the worker itself', () => {
  const listed = new Set(shellFiles());
  const missing = filesUnder(SRC).map((f) => `/${relative(SRC, f)}`).filter((f) => f !== '/sw.js' && !listed.has(f));
  assert.deepEqual(missing, []);
});

test('every listed vendor file exists in node_modules', () => {
  const vendor = { '/vendor/maplibre-gl/': '../node_modules/maplibre-gl/dist/', '/vendor/chart.js/': '../node_modules/chart.js/dist/' };
  const absent = shellFiles().filter((f) => f.startsWith('/vendor/')).filter((f) => {
    const [prefix, dir] = Object.entries(vendor).find(([p]) => f.startsWith(p));
    return !existsSync(join(SRC, dir, f.slice(prefix.length)));
  });
  assert.deepEqual(absent, []);
});
