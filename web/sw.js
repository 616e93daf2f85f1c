// The service worker that keeps the sandbox working offline once it has
// been loaded. Network first, cache as the fallback: online, every file
// comes fresh from the server (a student who rebuilds sandbox.wasm with
// go run ./cmd/sandbox must never be shown the previous build), and each
// response refreshes the cache; offline, the cached copy answers. The
// page registers it only after the simulator is ready, so installing it
// (which fetches the files once more) never slows the first load.
//
// All URLs are relative to this file: the page is plain static files and
// may be served from any directory.
'use strict';

const CACHE = 'raftlab-sandbox-v1';
const FILES = ['./', 'index.html', 'app.js', 'worker.js', 'style.css', 'wasm_exec.js', 'sandbox.wasm'];

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'no-cache' revalidates with the server rather than copying
    // a stale HTTP-cache entry into the offline cache.
    await cache.addAll(FILES.map((f) => new Request(f, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim(); // the page that registered it is offline-ready now, not after a reload
  })());
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  // Only the page's own files and navigations to it: a host that also
  // serves an API next to the page (the Worker's /api/...) must not have
  // every trace and scoreboard it answers copied into the offline cache.
  const rel = new URL(req.url).pathname.slice(new URL(self.registration.scope).pathname.length);
  if (req.mode !== 'navigate' && !FILES.includes(rel)) return;
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const resp = await fetch(req);
      // Not awaited: put reads the whole copy, and the page should not
      // wait for that before it streams the response.
      if (resp.ok && resp.type === 'basic') ev.waitUntil(cache.put(req, resp.clone()));
      return resp;
    } catch (err) {
      // Offline: the page's URL carries its settings in the query or the
      // hash, so a navigation matches the cached page whatever they are.
      const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' }) ||
        (req.mode === 'navigate' ? await cache.match('./') : undefined);
      if (hit) return hit;
      throw err;
    }
  })());
});
