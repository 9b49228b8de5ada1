// GCJ-02, the shifted coordinates Chinese web maps (AMap, Tencent) are drawn in: the published
// forward formula (Krasovsky ellipsoid), used to draw WGS84 data on a GCJ-02 basemap. The
// server does the inverse for coordinates people type or click (crs=gcj02).
const A = 6378245.0;
const EE = 0.00669342162296594323;

function outsideChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function latitudeTerm(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function longitudeTerm(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** [lon, lat] in WGS84 → GCJ-02. */
export function toGcj02([lon, lat]) {
  if (outsideChina(lon, lat)) return [lon, lat];
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (latitudeTerm(lon - 105, lat - 35) * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLon = (longitudeTerm(lon - 105, lat - 35) * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

function mapCoordinates(coords, fn) {
  return typeof coords[0] === 'number' ? fn(coords) : coords.map((c) => mapCoordinates(c, fn));
}

/** A GeoJSON geometry (or collection of features) with every position passed through `fn`. */
export function mapGeometry(geometry, fn) {
  if (!geometry) return geometry;
  if (geometry.type === 'GeometryCollection') {
    return { ...geometry, geometries: geometry.geometries.map((g) => mapGeometry(g, fn)) };
  }
  return { ...geometry, coordinates: mapCoordinates(geometry.coordinates, fn) };
}

export function mapFeatures(collection, fn) {
  return { ...collection, features: collection.features.map((f) => ({ ...f, geometry: mapGeometry(f.geometry, fn) })) };
}
