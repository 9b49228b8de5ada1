// The page's side of working without a network: it registers the service worker (sw.js), says
// "offline, showing data from …" when an answer came from the worker's store, refuses writes
// while offline, and forgets the stored answers of a logged-in user at logout.
import { t, language } from '/i18n.js';

// the service worker's store of answers computed for a logged-in caller
const PRIVATE_DATA = 'rt-private';

export function offline() {
  return navigator.onLine === false;
}

let oldestShown = null;

function offlineNote() {
  let note = document.getElementById('offline-note');
  if (!note) {
    note = document.createElement('p');
    note.id = 'offline-note';
    note.className = 'offline-note';
    note.setAttribute('role', 'status');
    document.body.prepend(note);
  }
  return note;
}

function renderOfflineNote() {
  if (!oldestShown) return;
  const time = new Date(oldestShown).toLocaleString(language() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' });
  const note = offlineNote();
  note.textContent = offline() ? t('offlineData', { time }) : t('storedData', { time });
  note.dataset.storedAt = oldestShown;
}

/** Called with every API answer: one from the worker's store makes the page say how old it is. */
export function noteStoredAnswer(response) {
  const storedAt = response.headers.get('x-stored-at');
  if (!storedAt) return;
  if (!oldestShown || storedAt < oldestShown) oldestShown = storedAt;
  renderOfflineNote();
}

/** Empties the store of the logged-in user's answers (the worker does too when it sees the logout). */
export async function forgetPrivateData() {
  if ('caches' in window) await caches.delete(PRIVATE_DATA).catch(() => false);
}

/**
 * Registers the service worker. Before it controls a page, that page's data went past it: the
 * page lists what it loaded so that the worker stores it too.
 */
export function registerOffline() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const firstVisit = !navigator.serviceWorker.controller;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  if (firstVisit) {
    navigator.serviceWorker.ready.then((registration) => {
      const urls = performance.getEntriesByType('resource').map((e) => e.name)
        .filter((u) => u.startsWith(`${location.origin}/api/`) || u.startsWith(`${location.origin}/tiles/`));
      registration.active?.postMessage({ type: 'remember', urls });
    });
  }
  window.addEventListener('online', renderOfflineNote);
  window.addEventListener('offline', renderOfflineNote);
}
