// The service worker: keeps the app shell (never an entry, never a page with data) so the app
// opens with no network. Everything under /api/ goes to the network only.
const SHELL = ["/m/", "/m/app.js", "/m/app.css", "/m/manifest.webmanifest", "/m/icon.svg"];
const CACHE = "shell-" + __VERSION__;

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys().then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== location.origin) return;
  const path = url.pathname === "/m" || url.pathname === "/m/index.html" ? "/m/" : url.pathname;
  if (!SHELL.includes(path)) return;
  ev.respondWith(caches.match(path).then((hit) => hit || fetch(ev.request)));
});
