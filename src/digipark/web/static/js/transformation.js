/* transformation pages: charts from JSON embedded in the page ("levels": one bar per level; "stacked": levels per
   industry), and the questionnaire's "无" option that excludes the others. Without ECharts the tables stay. */
(function () {
  "use strict";

  var LEVEL = { none: "#cbd5e1", "0": "#f87171", "1": "#fbbf24", "2": "#60a5fa", "3": "#34d399", "4": "#059669" };

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function levels(data) {
    return {
      tooltip: { trigger: "item" },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { color: "#22324a", interval: 0, rotate: 20 } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e4e9f1" } } },
      series: [{ name: data.label, type: "bar", barMaxWidth: 36,
                 data: data.values.map(function (v, i) { return { value: v, itemStyle: { color: LEVEL[data.colours[i]] } }; }) }]
    };
  }

  function stacked(data) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e4e9f1" } } },
      yAxis: { type: "category", data: data.categories, inverse: true,
               axisLabel: { color: "#22324a", width: 160, overflow: "truncate" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "levels", barMaxWidth: 18, data: s.data,
                 itemStyle: { color: LEVEL[s.colour] } };
      })
    };
  }

  function draw(el) {
    var data = readJson(el.getAttribute("data-source"));
    if (!data || !window.echarts) return;
    var option = data.kind === "stacked" ? (data.categories.length ? stacked(data) : null) : levels(data);
    if (!option) return;
    el.classList.add("chart-live");
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function exclusive(event) {
    var box = event.target;
    if (!box || box.type !== "checkbox" || !box.checked) return;
    var group = document.querySelectorAll('input[type="checkbox"][name="' + box.name + '"]');
    for (var i = 0; i < group.length; i++) {
      if (group[i] === box) continue;
      if (box.getAttribute("data-exclusive") || group[i].getAttribute("data-exclusive")) group[i].checked = false;
    }
  }

  function init() {
    var charts = document.querySelectorAll(".tf-chart[data-source]");
    for (var i = 0; i < charts.length; i++) draw(charts[i]);
    var form = document.getElementById("questionnaire");
    if (form) form.addEventListener("change", exclusive);
  }

  if (document.readyState === "complete") { init(); } else { document.addEventListener("DOMContentLoaded", init); }
})();
