/* dashboard page: time-series and gauge widgets drawn with ECharts from the JSON embedded in the page, then the
   whole dashboard's data fetched again every minute (KPI tiles, tables and charts follow). */
(function () {
  "use strict";
  var REFRESH_MS = 60000;
  var grid = document.getElementById("dash-grid");
  if (!grid) return;
  var charts = [];

  function readData() {
    var node = document.getElementById("dash-data");
    try { return JSON.parse(node ? node.textContent || "null" : "null"); } catch (err) { return null; }
  }

  function fmt(v) {
    if (v === null || v === undefined) return "—";
    return Number(v).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
  }

  function draw(data) {
    if (!data || !window.echarts) return;
    var sections = grid.querySelectorAll(".dash-widget");
    data.widgets.forEach(function (w, i) {
      var section = sections[i];
      if (!section) return;
      if (w.kind === "kpi") {
        var value = section.querySelector(".dash-kpi-value");
        if (value) value.textContent = fmt(w.value);
        return;
      }
      var el = section.querySelector(".dash-chart");
      if (!el) return;
      var chart = charts[i] || window.echarts.init(el, null, { renderer: "canvas" });
      charts[i] = chart;
      if (w.kind === "timeseries") {
        chart.setOption({
          grid: { left: 48, right: 12, top: 24, bottom: 28 },
          tooltip: { trigger: "axis" },
          legend: { type: "scroll", top: 0 },
          xAxis: { type: "time" },
          yAxis: { type: "value", scale: true },
          series: (w.series || []).map(function (s) {
            return { name: s.name + (s.unit ? " (" + s.unit + ")" : ""), type: "line", showSymbol: false, data: s.points };
          })
        }, true);
      } else if (w.kind === "gauge") {
        var min = section.dataset.min ? Number(section.dataset.min) : (w.min || 0);
        chart.setOption({
          series: [{ type: "gauge", min: min, max: w.max === undefined ? 100 : w.max, radius: "90%", splitNumber: 5,
            axisLabel: { fontSize: 10, distance: 12 },
            detail: { formatter: function (v) { return window.digipark.escapeHtml(fmt(v)); }, fontSize: 16, offsetCenter: [0, "72%"] },
            data: [{ value: w.value === null ? 0 : w.value }] }]
        }, true);
      }
    });
  }

  function refresh() {
    var id = grid.getAttribute("data-id");
    var range = document.getElementById("f-range");
    var url = "/api/v1/dashboards/" + id + "/data" + (range ? "?time_range=" + encodeURIComponent(range.value) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) draw(data); })
      .catch(function () {});
  }

  function start() {
    draw(readData());
    window.addEventListener("resize", function () { charts.forEach(function (c) { if (c) c.resize(); }); });
    window.setInterval(refresh, REFRESH_MS);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
