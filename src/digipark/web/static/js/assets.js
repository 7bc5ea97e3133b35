/* asset page: the year of daily vibration RMS and kurtosis with the ISO 10816-3 C/D limit, from JSON embedded in
   the page. Without ECharts the page's figures stay. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function draw() {
    var el = document.getElementById("asset-chart");
    var data = readJson("asset-chart-data");
    if (!el || !data || !window.echarts) return;
    var rms = { name: data.labels.rms, type: "line", showSymbol: false, data: data.rms, yAxisIndex: 0 };
    if (data.threshold !== null) {
      rms.markLine = { symbol: "none", lineStyle: { type: "dashed", color: "#f87171" },
                       label: { formatter: "{b}" }, data: [{ yAxis: data.threshold, name: data.labels.threshold }] };
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.rms, data.labels.kurtosis] },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.days },
      yAxis: [{ type: "value", name: "mm/s" }, { type: "value", splitLine: { show: false } }],
      series: [rms, { name: data.labels.kurtosis, type: "line", showSymbol: false, data: data.kurtosis, yAxisIndex: 1 }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
