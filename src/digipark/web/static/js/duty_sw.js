/* digipark duty app service worker (scope /duty): keeps an offline shell, shows pushed alarms as notifications
   whose "acknowledge" button acknowledges the alarm without opening the app. */
"use strict";
var CACHE = "digipark-duty-v1";
var SHELL = ["/duty/offline", "/static/css/app.css", "/static/css/dashboards.css", "/static/js/duty.js", "/static/favicon.svg"];
var TOKEN_KEY = "/duty/__csrf";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match("/duty/offline"); }));
    return;
  }
  var url = new URL(request.url);
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      return response;
    }).catch(function () { return caches.match(request); }));
  }
});

// the page hands over its CSRF token so that the notification's button can call the API
self.addEventListener("message", function (event) {
  if (event.data && event.data.csrf) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return cache.put(TOKEN_KEY, new Response(event.data.csrf));
    }));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = { title: event.data ? event.data.text() : "" }; }
  var options = {
    body: data.body || "",
    tag: "alarm-" + data.alarm_id,
    data: data,
    requireInteraction: data.severity === "critical" || data.severity === "major",
    actions: data.acknowledge ? [{ action: "ack", title: data.ack_label || "OK" }] : []
  };
  event.waitUntil(self.registration.showNotification(data.title || "", options));
});

self.addEventListener("notificationclick", function (event) {
  var data = event.notification.data || {};
  event.notification.close();
  if (event.action === "ack" && data.acknowledge) {
    event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.match(TOKEN_KEY); })
      .then(function (r) { return r ? r.text() : ""; })
      .then(function (token) {
        return fetch(data.acknowledge, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": token } });
      }));
    return;
  }
  event.waitUntil(self.clients.openWindow(data.url || "/duty"));
});
