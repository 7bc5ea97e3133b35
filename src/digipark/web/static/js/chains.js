/* The chain map: an ECharts graph of a chain's segments in stage columns, coloured strong / weak / empty;
   clicking a segment (on the map or in the lists) shows its enterprises and top candidates. */
(function () {
  "use strict";

  var escapeHtml = window.digipark.escapeHtml;

  var COLOURS = { strong: "#16a34a", weak: "#d97706", empty: "#dc2626" };
  var STATUSES = ["strong", "weak", "empty"];

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "null");
    } catch (err) {
      return null;
    }
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function showSegment(data, id) {
    var node = null;
    for (var i = 0; i < data.nodes.length; i++) if (String(data.nodes[i].id) === String(id)) node = data.nodes[i];
    var body = document.getElementById("segment-body");
    if (!node || !body) return;
    document.getElementById("segment-title").textContent = node.name;
    var hint = document.getElementById("segment-hint");
    if (hint) hint.textContent = node.stage;
    body.innerHTML = "";
    var badge = element("span", node.status_label, "seg-badge seg-" + node.status);
    var status = element("p");
    status.appendChild(badge);
    status.appendChild(document.createTextNode(" " + node.reason));
    body.appendChild(status);
    body.appendChild(element("h3", data.labels.enterprises + " (" + node.count + ")"));
    var list = element("ul");
    if (!node.enterprises.length) list.appendChild(element("li", data.labels.none, "muted"));
    node.enterprises.forEach(function (name) { list.appendChild(element("li", name)); });
    body.appendChild(list);
    if (node.candidates) {
      body.appendChild(element("h3", data.labels.candidates));
      var cands = element("ul");
      if (!node.candidates.length) cands.appendChild(element("li", data.labels.none, "muted"));
      node.candidates.forEach(function (c) {
        var item = element("li");
        var link = element("a", c.name);
        link.href = c.href;
        item.appendChild(link);
        item.appendChild(element("span", " · " + data.labels.score + " " + c.score, "muted"));
        cands.appendChild(item);
      });
      body.appendChild(cands);
    }
    var rows = document.querySelectorAll(".segment-row");
    for (var r = 0; r < rows.length; r++) rows[r].classList.remove("selected");
    var button = document.querySelector(".segment-row button[data-segment='" + node.id + "']");
    if (button) button.closest("tr").classList.add("selected");
  }

  function draw(el, data) {
    if (!window.echarts || !data.nodes.length) return;
    el.classList.add("chart-live");
    el.innerHTML = "";
    var rows = 1;
    data.nodes.forEach(function (n) { rows = Math.max(rows, n.row + 1); });
    el.style.height = Math.max(300, rows * 115 + 90) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var categories = STATUSES.map(function (s) {
      return { name: data.labels[s], itemStyle: { color: COLOURS[s] } };
    });
    var nodes = data.nodes.map(function (n) {
      var empty = n.status === "empty";
      return {
        id: String(n.id),
        name: n.name,
        x: n.column * 320,
        y: n.row * 110,
        category: STATUSES.indexOf(n.status),
        value: n.count,
        symbol: "roundRect",
        symbolSize: [150, 52],
        itemStyle: empty
          ? { color: "#fff5f5", borderColor: COLOURS.empty, borderType: "dashed", borderWidth: 2 }
          : { color: COLOURS[n.status], borderColor: "#fff", borderWidth: 1 },
        label: {
          show: true,
          color: empty ? "#b91c1c" : "#fff",
          fontSize: 13,
          lineHeight: 17,
          formatter: function () { return n.name + "\n" + n.status_label + " · " + n.count; }
        },
        tooltip: {
          formatter: function () {
            return escapeHtml(n.name) + "<br>" + escapeHtml(n.status_label) + ": " + escapeHtml(n.reason);
          }
        }
      };
    });
    chart.setOption({
      animationDuration: 300,
      tooltip: { trigger: "item", confine: true },
      series: [{
        type: "graph",
        layout: "none",
        roam: false,
        top: 45,
        bottom: 45,
        left: 90,
        right: 90,
        categories: categories,
        data: nodes,
        links: data.edges.map(function (e) { return { source: String(e[0]), target: String(e[1]) }; }),
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 9,
        lineStyle: { color: "#94a3b8", width: 1.6, curveness: 0.08, opacity: 0.9 },
        emphasis: { focus: "adjacency", lineStyle: { width: 3 } }
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node") showSegment(data, p.data.id);
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    var el = document.getElementById("chain-map");
    var data = el ? readJson(el.getAttribute("data-source")) : null;
    if (!data) return;
    draw(el, data);
    var buttons = document.querySelectorAll("button[data-segment]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        showSegment(data, event.currentTarget.getAttribute("data-segment"));
      });
    }
  }

  if (document.readyState === "complete") {
    init();
  } else {
    window.addEventListener("load", init);
  }
})();
