/* duty app page: registers the service worker (offline shell, push), and the "alarms on this phone" button
   subscribes this browser to Web Push with the server's VAPID key. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var status = document.getElementById("push-status");
  var button = document.getElementById("push-enable");

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (err) { return ""; }
  }

  function show(key) {
    if (!status) return;
    var text = status.getAttribute("data-" + key);
    if (text) status.textContent = text;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  navigator.serviceWorker.register("/duty/sw.js", { scope: "/duty" }).then(function (registration) {
    navigator.serviceWorker.ready.then(function (ready) { if (ready.active) ready.active.postMessage({ csrf: csrf() }); });
    if (!button) return;
    if (!("PushManager" in window)) { show("unsupported"); button.disabled = true; return; }
    registration.pushManager.getSubscription().then(function (existing) { if (existing) show("on"); });
    button.addEventListener("click", function () {
      fetch("/api/v1/duty/push/key", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (key) {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
        })
        .then(function (subscription) {
          return fetch("/api/v1/duty/push/subscriptions", {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
            body: JSON.stringify(subscription.toJSON())
          });
        })
        .then(function (r) { show(r.ok ? "on" : "failed"); })
        .catch(function () { show("failed"); });
    });
  }).catch(function () { show("unsupported"); });
})();
