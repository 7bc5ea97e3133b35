/* cybersec posture page: charts from the JSON embedded in the page (events by rule per day, open incidents by
   rule, advisory exposure by severity). Names come from data: tooltips escape them. Without ECharts the tables
   and lists stay. */
(function () {
  "use strict";

  var escapeHtml = window.digipark.escapeHtml;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) return;
    var chart = window.echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function pie(d) {
    return {
      tooltip: { trigger: "item", formatter: function (p) { return escapeHtml(p.name) + ": " + escapeHtml(p.value) + " (" + escapeHtml(p.percent) + "%)"; } },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], center: ["50%", "42%"], data: d.data }]
    };
  }

  var data = readJson("posture-data");
  if (!data) return;
  draw("chart-events", {
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var lines = [escapeHtml(items.length ? items[0].axisValue : "")];
        items.forEach(function (p) { lines.push(escapeHtml(p.seriesName) + ": " + escapeHtml(p.value)); });
        return lines.join("<br>");
      }
    },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.events.categories },
    yAxis: { type: "value", minInterval: 1 },
    series: data.events.series.map(function (s) { return { name: s.name, type: "bar", stack: "events", data: s.data, barMaxWidth: 18 }; })
  });
  draw("chart-incidents", pie(data.incidents));
  draw("chart-exposure", pie(data.exposure));
})();
