/* telemetry device page: line charts of the last 24 hours drawn from JSON embedded in the page, then extended
   with the values of the live stream (server-sent events, one EventSource for the page); the point table's last
   values and times follow the stream too. Times are shown in the park's time zone (offset_ms from the server). */
(function () {
  "use strict";

  var charts = {};  // point id -> {chart, data, window, offset, el}

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function parkTime(ts, offset) {
    var d = new Date(ts + offset);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function formatValue(v) {
    if (v === null || v === undefined) return "—";
    var abs = Math.abs(v);
    var digits = abs >= 1000 ? 1 : abs >= 10 ? 2 : 3;
    return String(Math.round(v * Math.pow(10, digits)) / Math.pow(10, digits));
  }

  function draw(el) {
    var spec = readJson(el.getAttribute("data-source"));
    if (!spec) return;
    var offset = spec.offset_ms || 0;
    var entry = { el: el, data: [], window: spec.window_ms || 86400000, offset: offset, chart: null, last: 0 };
    entry.data = (spec.points || []).map(function (p) { return [p[0] + offset, p[1]]; });
    entry.last = spec.points && spec.points.length ? spec.points[spec.points.length - 1][0] : 0;
    el.setAttribute("data-count", String(entry.data.length));
    charts[String(spec.point_id)] = entry;
    if (!window.echarts) return;
    el.classList.add("chart-live");
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      useUTC: true,  // the data are shifted to the park's time zone
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return formatValue(v) + " " + (spec.unit || ""); } },
      xAxis: { type: "time", axisLabel: { color: "#5b6b82", hideOverlap: true } },
      yAxis: { type: "value", scale: true, axisLabel: { color: "#5b6b82" }, splitLine: { lineStyle: { color: "#e4e9f1" } } },
      series: [{ name: spec.name, type: "line", showSymbol: false, sampling: "lttb", data: entry.data,
                 lineStyle: { width: 1.5, color: "#1d6fd8" }, itemStyle: { color: "#1d6fd8" },
                 areaStyle: spec.cumulative ? null : { color: "rgba(29,111,216,0.08)" } }]
    });
    entry.chart = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function append(pointId, value) {
    var entry = charts[pointId];
    var cell = document.querySelector('[data-point-value="' + pointId + '"]');
    var offset = entry ? entry.offset : 0;
    if (cell) {
      cell.textContent = formatValue(value.value);
      cell.classList.toggle("tm-bad", value.quality !== 0);
      cell.classList.add("tm-flash");
      setTimeout(function () { cell.classList.remove("tm-flash"); }, 600);
    }
    var time = document.querySelector('[data-point-time="' + pointId + '"]');
    if (time) time.textContent = parkTime(value.ts, offset || parkOffset());
    var state = document.querySelector('[data-point-state="' + pointId + '"]');
    var holder = document.getElementById("tm-charts");
    if (state && holder) {
      state.className = "tm-badge tm-online";
      state.textContent = holder.getAttribute("data-online") || state.textContent;
    }
    if (!entry || value.ts <= entry.last) return;
    entry.last = value.ts;
    if (value.quality === 0) entry.data.push([value.ts + entry.offset, value.value]);
    var cutoff = value.ts + entry.offset - entry.window;
    while (entry.data.length && entry.data[0][0] < cutoff) entry.data.shift();
    entry.el.setAttribute("data-count", String(entry.data.length));
    entry.el.setAttribute("data-last-ts", String(value.ts));
    if (entry.chart) entry.chart.setOption({ series: [{ data: entry.data }] });
  }

  function parkOffset() {
    for (var key in charts) { if (Object.prototype.hasOwnProperty.call(charts, key)) return charts[key].offset; }
    return 0;
  }

  function connect(url) {
    if (!url || !window.EventSource) return;
    var status = document.getElementById("live-status");
    var source = new EventSource(url);
    source.onopen = function () {
      if (status) { status.textContent = status.getAttribute("data-connected"); status.classList.add("tm-connected"); }
    };
    source.onerror = function () {
      if (status) { status.textContent = status.getAttribute("data-waiting"); status.classList.remove("tm-connected"); }
    };
    source.addEventListener("readings", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (err) { return; }
      var points = data.points || {};
      var last = 0;
      for (var id in points) {
        if (Object.prototype.hasOwnProperty.call(points, id)) {
          append(id, points[id]);
          if (points[id].ts > last) last = points[id].ts;
        }
      }
      var deviceLast = document.getElementById("device-last-reading");
      if (deviceLast && last) deviceLast.textContent = parkTime(last, parkOffset());
    });
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  function init() {
    var els = document.querySelectorAll(".tm-chart[data-source]");
    for (var i = 0; i < els.length; i++) draw(els[i]);
    var holder = document.getElementById("tm-charts");
    if (holder) connect(holder.getAttribute("data-stream"));
  }

  if (document.readyState === "complete") { init(); } else { document.addEventListener("DOMContentLoaded", init); }
})();
