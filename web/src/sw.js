// The service worker: the app opens without a network and draws the area last seen again.
// - The app shell (pages, modules, styles, vendor files) is stored when the worker installs.
// - Map data (layers, tiles, lists, panels) is stored as it arrives, at most STORE_LIMIT answers
//   per store, and answered from the store when the network fails or is slower than SLOW_MS.
//   Such an answer carries x-stored-at, from which the page says "offline, showing data from …".
// - An answer computed for a logged-in caller (the server marks it Cache-Control: private) goes
//   to its own store, emptied at logout and login and whenever the session check finds nobody
//   logged in: the next user of the phone never reads it.
// - Writes are neither stored nor queued: they go to the network, and the page refuses them
//   while offline (see api() in common.js).
const SHELL = 'rt-shell-v1';
const PUBLIC_DATA = 'rt-data';
const PRIVATE_DATA = 'rt-private';
const STORE_LIMIT = 1500;
const SLOW_MS = 4000;

// every page keyed by a path the server answers with it (any project or case id gives the
// same page), then the files the pages load
const PAGES = [
  [/^\/$/, '/'],
  [/^\/dashboard$/, '/dashboard'],
  [/^\/cases$/, '/cases'],
  [/^\/cases\/\d+$/, '/cases/0'],
  [/^\/projects\/\d+$/, '/projects/0'],
];
const SHELL_FILES = [
  ...PAGES.map(([, key]) => key),
  '/app.css', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png',
  '/common.js', '/i18n.js', '/gcj02.js', '/minimap.js', '/attachments.js', '/offline.js',
  '/map.js', '/dashboard.js', '/project.js', '/cases.js', '/case.js',
  '/map/alerts.js', '/map/cases-layer.js', '/map/location.js', '/map/display.js', '/map/filters.js', '/map/layers.js', '/map/panel.js',
  '/map/photos-layer.js', '/map/quality.js', '/map/queries.js', '/map/results.js', '/map/sample-import.js',
  '/map/layer-export.js', '/map/progress-sheet.js', '/map/search.js', '/map/site-import.js', '/map/state.js', '/map/styles.js',
  '/map/url-state.js',
  '/vendor/maplibre-gl/maplibre-gl.mjs', '/vendor/maplibre-gl/maplibre-gl-worker.mjs', '/vendor/maplibre-gl/maplibre-gl.css',
  '/vendor/chart.js/chart.umd.min.js',
];

// answers that are the caller's own or too big to keep: reports, exports, files, the audit,
// accounts and the session's own routes always go to the network
const NEVER_STORED = ['/api/auth/', '/api/reports', '/api/export', '/api/attachments/', '/api/audit', '/api/users', '/api/openapi.json'];

function storedData(url) {
  if (url.pathname.startsWith('/tiles/')) return true;
  return url.pathname.startsWith('/api/') && !NEVER_STORED.some((p) => url.pathname.startsWith(p));
}

function shellKey(url, request) {
  if (request.mode === 'navigate') return PAGES.find(([pattern]) => pattern.test(url.pathname))?.[1] ?? null;
  return SHELL_FILES.includes(url.pathname) ? url.pathname : null;
}

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('rt-shell-') && name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

/** A copy of `response` that says when it was stored. */
async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set('x-stored-at', new Date().toISOString());
  // an empty tile (204) must be built without a body
  const body = response.status === 204 ? null : await response.blob();
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

async function remember(request, response) {
  const control = response.headers.get('cache-control') ?? '';
  if (control.includes('no-store')) return;
  const cache = await caches.open(control.includes('private') ? PRIVATE_DATA : PUBLIC_DATA);
  await cache.put(request, await stamped(response));
  // a put moves an answer to the end, so the first keys are the ones least recently stored
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - STORE_LIMIT))) await cache.delete(key);
}

async function storedAnswer(request) {
  for (const name of [PRIVATE_DATA, PUBLIC_DATA]) {
    const found = await (await caches.open(name)).match(request, { ignoreVary: true });
    if (found) return found;
  }
  return null;
}

/**
 * The network's answer, else the stored one when the network fails, or when it is slower than
 * SLOW_MS and a stored answer exists (the network's answer still refreshes the store).
 */
async function networkFirst(event, fromStore, store) {
  const network = fetch(event.request);
  // registered while the event is dispatched: the store is refreshed even after a stored
  // answer has already gone to the page
  event.waitUntil(network.then((response) => ((response.status === 200 || response.status === 204) ? store(response.clone()) : null)).catch(() => {}));
  let timer;
  const slow = new Promise((resolve) => { timer = setTimeout(resolve, SLOW_MS); });
  try {
    const first = await Promise.race([network, slow]);
    if (first) return first;
    return (await fromStore()) ?? (await network);
  } catch (error) {
    const stored = await fromStore();
    if (stored) return stored;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function forgetPrivateData() {
  await caches.delete(PRIVATE_DATA);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/api/auth/login' || url.pathname === '/api/auth/logout') {
    event.waitUntil(forgetPrivateData());
    return;
  }
  if (request.method !== 'GET') return;
  if (url.pathname === '/api/auth/session') {
    // nobody logged in: what a former user's session stored must go
    event.respondWith(fetch(request).then((response) => {
      event.waitUntil(response.clone().json().then((body) => (body?.user ? null : forgetPrivateData())).catch(() => {}));
      return response;
    }));
    return;
  }
  const key = shellKey(url, request);
  if (key) {
    const fromShell = async () => (await caches.open(SHELL)).match(key, { ignoreSearch: true, ignoreVary: true });
    event.respondWith(networkFirst(event, fromShell, async (response) => (await caches.open(SHELL)).put(key, response)));
  } else if (storedData(url)) {
    event.respondWith(networkFirst(event, () => storedAnswer(request), (response) => remember(request, response)));
  }
});

// the page lists the data it loaded before this worker controlled it, so that the first visit's
// area is kept too
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'remember' || !Array.isArray(event.data.urls)) return;
  event.waitUntil(Promise.all(event.data.urls.slice(0, 200).map(async (href) => {
    const url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || !storedData(url)) return;
    const response = await fetch(url, { credentials: 'same-origin' });
    if (response.status === 200) await remember(new Request(url), response);
  }).map((p) => p.catch(() => {}))));
});
