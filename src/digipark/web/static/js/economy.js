/* economy pages: charts from JSON embedded in the page ("trend": lines per year; "bars": one value per name).
   Without ECharts the text fallback inside each chart element stays. */
(function () {
  "use strict";

  var COLOURS = ["#1d6fd8", "#9aa7b8", "#22b8cf", "#f08c00"];

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function trend(data) {
    return {
      color: COLOURS,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months, axisLabel: { color: "#5b6b82" } },
      yAxis: { type: "value", name: data.unit, axisLabel: { color: "#5b6b82" },
               splitLine: { lineStyle: { color: "#e4e9f1" } } },
      series: data.series.map(function (s, i) {
        return { name: s.name, type: i === 0 ? "bar" : "line", data: s.data, barMaxWidth: 22,
                 smooth: true, connectNulls: false };
      })
    };
  }

  function bars(data) {
    var items = data.series.slice().reverse();
    return {
      tooltip: { trigger: "item" },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", splitNumber: 3, axisLabel: { color: "#5b6b82", hideOverlap: true },
               splitLine: { lineStyle: { color: "#e4e9f1" } } },
      yAxis: { type: "category", data: items.map(function (d) { return d.name; }),
               axisLabel: { color: "#22324a", width: 150, overflow: "truncate" }, axisTick: { show: false } },
      series: [{ name: data.label, type: "bar", barMaxWidth: 18, data: items.map(function (d) { return d.value; }),
                 itemStyle: { color: COLOURS[0], borderRadius: [0, 3, 3, 0] } }]
    };
  }

  function draw(el) {
    var data = readJson(el.getAttribute("data-source"));
    if (!data || !window.echarts) return;
    var option = data.kind === "bars" ? (data.series.length ? bars(data) : null) : trend(data);
    if (!option) return;
    el.classList.add("chart-live");
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    var charts = document.querySelectorAll(".econ-chart[data-source]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
  }

  if (document.readyState === "complete") { init(); } else { document.addEventListener("DOMContentLoaded", init); }
})();
