/* digipark pages: charts from JSON embedded in the page. Without ECharts the text fallback stays. */
(function () {
  "use strict";

  var escapeHtml = window.digipark.escapeHtml;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "null");
    } catch (err) {
      return null;
    }
  }

  function industryChart(el) {
    var data = readJson(el.getAttribute("data-source"));
    if (!data || !data.series || !data.series.length || !window.echarts) return;
    var items = data.series.slice().reverse();
    el.classList.add("chart-live");
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animationDuration: 400,
      grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return escapeHtml(p.name) + ": " + escapeHtml(p.value); } },
      xAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: "#5b6b82" },
        splitLine: { lineStyle: { color: "#e4e9f1" } }
      },
      yAxis: {
        type: "category",
        data: items.map(function (d) { return d.name; }),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: "#c9d3e1" } },
        axisLabel: {
          color: "#22324a",
          width: 150,
          overflow: "truncate"
        }
      },
      series: [{
        name: data.label,
        type: "bar",
        barMaxWidth: 18,
        data: items.map(function (d) { return d.value; }),
        itemStyle: {
          borderRadius: [0, 3, 3, 0],
          color: new window.echarts.graphic.LinearGradient(0, 0, 1, 0, [
            { offset: 0, color: "#1d6fd8" },
            { offset: 1, color: "#22b8cf" }
          ])
        },
        label: { show: true, position: "right", color: "#22324a" }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function autosubmit(select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }

  function printButton(button) {
    button.addEventListener("click", function () { window.print(); });
  }

  function init() {
    var charts = document.querySelectorAll("#chart-industry[data-source]");
    for (var i = 0; i < charts.length; i++) industryChart(charts[i]);
    var selects = document.querySelectorAll("select[data-autosubmit]");
    for (var j = 0; j < selects.length; j++) autosubmit(selects[j]);
    var prints = document.querySelectorAll("button[data-print]");
    for (var k = 0; k < prints.length; k++) printButton(prints[k]);
  }

  if (document.readyState === "complete") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
