/* environment pages: charts from JSON embedded in the page. "permit": share of each permitted quantity used,
   with the warning marks; "hours": hourly values of an outlet's factors with their limits (pH as a min-max band);
   "waste": monthly generated / utilised / disposed / stored. Without ECharts the tables stay. */
(function () {
  "use strict";

  var LEVEL = { ok: "#34d399", warning: "#fbbf24", exceeded: "#f87171" };

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function permit(data) {
    if (!data.categories.length) return null;
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "value", name: "%", splitLine: { lineStyle: { color: "#e4e9f1" } } },
      yAxis: { type: "category", data: data.categories, inverse: true,
               axisLabel: { color: "#22324a", width: 180, overflow: "truncate" } },
      series: [{
        name: data.label, type: "bar", barMaxWidth: 18,
        data: data.values.map(function (v, i) { return { value: v, itemStyle: { color: LEVEL[data.levels[i]] } }; }),
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#64748b" },
                    data: data.marks.map(function (m) { return { xAxis: m }; }) }
      }]
    };
  }

  function hours(data) {
    if (!data.series.length) return null;
    var series = [];
    data.series.forEach(function (s, index) {
      var axis = index === 0 ? 0 : 1;
      var line = { name: s.name, type: "line", showSymbol: false, connectNulls: false, yAxisIndex: Math.min(axis, 1),
                   data: s.points.map(function (p) { return [p[0], p[1]]; }) };
      var marks = [];
      if (s.limit_max !== null) marks.push({ yAxis: s.limit_max });
      if (s.limit_min !== null) marks.push({ yAxis: s.limit_min });
      if (marks.length) line.markLine = { symbol: "none", lineStyle: { color: "#dc2626", type: "dashed" }, data: marks };
      series.push(line);
      if (s.ph) {
        series.push({ name: s.name + " min", type: "line", showSymbol: false, yAxisIndex: Math.min(axis, 1),
                      lineStyle: { type: "dotted" }, data: s.points.map(function (p) { return [p[0], p[2]]; }) });
      }
    });
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "time" },
      yAxis: [{ type: "value", scale: true, splitLine: { lineStyle: { color: "#e4e9f1" } } },
              { type: "value", scale: true, splitLine: { show: false } }],
      series: series
    };
  }

  function waste(data) {
    if (!data.months.length) return null;
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.unit, splitLine: { lineStyle: { color: "#e4e9f1" } } },
      series: data.series.map(function (s, i) {
        return { name: s.name, type: i === 3 ? "line" : "bar", data: s.data, barMaxWidth: 16 };
      })
    };
  }

  function draw(el) {
    var data = readJson(el.getAttribute("data-source"));
    if (!data || !window.echarts) return;
    var make = { permit: permit, hours: hours, waste: waste }[data.kind];
    var option = make ? make(data) : null;
    if (!option) { el.style.display = "none"; return; }
    el.classList.add("chart-live");
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-source]"), draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
