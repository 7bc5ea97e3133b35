// Safety pages: fill the report form's coordinates from the browser's location, and refresh the incident board
// and key figures every 30 s on the centre page (the live alarm list pushes itself over SSE).
(function () {
  "use strict";
  var button = document.getElementById("use-my-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      });
    });
  }
  var board = document.getElementById("incident-board");
  if (board && window.fetch && window.DOMParser) {
    setInterval(function () {
      if (document.hidden) return;
      fetch(window.location.pathname, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["incident-board", "kpi-overdue"].forEach(function (id) {
          var fresh = doc.getElementById(id), old = document.getElementById(id);
          if (!fresh || !old) return;
          var nodes = Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); });
          old.replaceChildren.apply(old, nodes);
        });
      });
    }, 30000);
  }
})();
