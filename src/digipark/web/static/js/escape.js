/* The one HTML escape of the pages' scripts: every text that a formatter (ECharts tooltips) or any other
   script turns into HTML goes through window.digipark.escapeHtml first. Loaded first, in the head, without defer. */
(function () {
  "use strict";

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;", "`": "&#96;" };

  function escapeHtml(value) {
    if (value === undefined || value === null) return "";
    return String(value).replace(/[&<>"'`]/g, function (c) { return ENTITIES[c]; });
  }

  window.digipark = window.digipark || {};
  window.digipark.escapeHtml = escapeHtml;
})();
