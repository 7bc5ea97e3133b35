/* automation pages: the energy-flow Sankey from the JSON next to it (nodes, links); without ECharts the table of
   links below it stays. */
(function () {
  "use strict";

  var escapeHtml = window.digipark.escapeHtml;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent || "null"); } catch (err) { return null; }
  }

  function draw() {
    var el = document.getElementById("energy-sankey");
    if (!el || !window.echarts) return;
    var data = readJson(el.getAttribute("data-source"));
    if (!data || !data.links || !data.links.length) return;
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.dataType === "edge") {
            return escapeHtml(p.data.source) + " → " + escapeHtml(p.data.target) + ": " + escapeHtml(p.data.value);
          }
          return escapeHtml(p.name);
        }
      },
      series: [{
        type: "sankey", data: data.nodes, links: data.links, emphasis: { focus: "adjacency" },
        nodeAlign: "left", lineStyle: { color: "gradient", curveness: 0.5 }, label: { fontSize: 11 }
      }]
    });
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
