// The browser's GCJ-02 shift against the test vectors the Rust side reads too
// (gcj02-vectors.json, computed by an independent implementation): both must draw the same place.
// Plain Node, no browser or server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toGcj02 } from '../src/gcj02.js';

const { vectors } = JSON.parse(readFileSync(new URL('./gcj02-vectors.json', import.meta.url), 'utf8'));

test('the vectors hold shifted points in China and unshifted ones outside', () => {
  const shifted = vectors.filter((v) => v.gcj02[0] !== v.wgs84[0] || v.gcj02[1] !== v.wgs84[1]);
  assert.ok(shifted.length >= 10, `${shifted.length} shifted points`);
  assert.ok(vectors.length - shifted.length >= 2, `${vectors.length - shifted.length} unshifted points`);
});

for (const { name, wgs84, gcj02 } of vectors) {
  test(`WGS84 → GCJ-02: ${name}`, () => {
    const [lon, lat] = toGcj02(wgs84);
    assert.ok(Math.abs(lon - gcj02[0]) <= 1e-9 && Math.abs(lat - gcj02[1]) <= 1e-9,
      `got [${lon}, ${lat}], expected [${gcj02}]`);
  });
}
