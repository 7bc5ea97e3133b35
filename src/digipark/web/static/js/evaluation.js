/* Evaluation pages and the printable report: each indicator's progress as horizontal bars, from the JSON block
   named by the chart's data-source; without ECharts the table fallback stays. */
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

  function progressChart(el) {
    var d = readJson(el.getAttribute("data-source"));
    if (!d || !window.echarts) return;
    var labels = d.labels.slice().reverse(), values = d.values.slice().reverse(), met = d.met.slice().reverse();
    el.innerHTML = "";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) { return escapeHtml(p.name) + ": " + escapeHtml(p.value) + "%"; }
      },
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: d.label },
      yAxis: { type: "category", data: labels, axisLabel: { width: 220, overflow: "truncate" } },
      series: [{
        type: "bar",
        barMaxWidth: 16,
        label: { show: true, position: "right", formatter: "{c}%" },
        data: values.map(function (v, i) { return { value: v, itemStyle: { color: met[i] ? "#1a7f37" : "#c62828" } }; })
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function draw() {
    var nodes = document.querySelectorAll(".ev-chart[data-source]");
    for (var n = 0; n < nodes.length; n++) progressChart(nodes[n]);
  }

  if (document.readyState === "complete") {
    draw();
  } else {
    window.addEventListener("load", draw);
  }
})();
