// The visit pages' service worker (served as /admin/visits/sw.js, scope /admin/visits/):
// the pages a staff member opened last, and their scripts and styles, can be reopened in a
// stairwell without signal. Network first, so nothing stale is shown while there is signal.
// Forms are never handled here: visits.js keeps them on the phone until the server has them,
// and empties this cache (kiosk-visits-v1) when the staff member logs out.
"use strict";
var CACHE = "kiosk-visits-v1";
var ASSETS = [
  "/admin/static/admin.css",
  "/admin/static/visits.css",
  "/admin/static/admin.js",
  "/admin/static/visits.js",
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; })
        .map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function offlinePage() {
  return new Response(
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
    "<title>无网络</title><p style='font-size:1.3rem;padding:1rem'>当前无网络，这个页面" +
    "还没有在本机打开过。请回到已打开过的走访页面；已填写的走访记录保存在本机，有信号后自动上传。</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") { return; }
  var page = url.pathname.indexOf("/admin/visits/") === 0 && url.pathname !== "/admin/visits/sw.js";
  var asset = ASSETS.indexOf(url.pathname) >= 0;
  if (!page && !asset) { return; }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function () {
      return caches.match(request).then(function (hit) {
        return hit || (page ? offlinePage() : Response.error());
      });
    })
  );
});
