/* energy pages: charts from JSON embedded in the page — "trend" (bars and a line on a second axis), "pie", "bar"
   (horizontal) and "curve" (a time series). Without ECharts the fallback stays. */
(function () {
  "use strict";

  var escapeHtml = window.digipark.escapeHtml;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function trend(d) {
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 28, bottom: 32, containLabel: true },
      xAxis: { type: "category", data: d.categories },
      yAxis: [{ type: "value", name: "tce" }, { type: "value", name: "tCO2" }],
      series: d.series.map(function (s) {
        return { name: s.name, type: s.type, data: s.data, yAxisIndex: s.axis || 0, barMaxWidth: 18, smooth: true };
      })
    };
  }

  function pie(d) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return escapeHtml(p.name) + ": " + escapeHtml(p.value) + " (" + escapeHtml(p.percent) + "%)"; } },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: d.data }]
    };
  }

  function bar(d) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", name: d.name },
      yAxis: { type: "category", data: d.categories, inverse: true, axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", data: d.data, barMaxWidth: 16, itemStyle: { color: "#de2d26" } }]
    };
  }

  function curve(d) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: "kW" },
      series: [{ name: d.name, type: "line", showSymbol: false, data: d.data, areaStyle: { opacity: 0.15 } }]
    };
  }

  var KINDS = { trend: trend, pie: pie, bar: bar, curve: curve };

  function draw(el) {
    var d = readJson(el.getAttribute("data-source"));
    if (!d || !window.echarts || !KINDS[d.kind]) return;
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(KINDS[d.kind](d));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    var nodes = document.querySelectorAll(".en-chart[data-source]");
    for (var i = 0; i < nodes.length; i++) draw(nodes[i]);
  }

  if (document.readyState === "complete") { init(); } else { window.addEventListener("load", init); }
})();
