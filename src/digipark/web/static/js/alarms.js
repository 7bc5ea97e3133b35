/* alarms: the live alarm list (server-sent events from /alarms/live: the open alarms first, then every change,
   `event: alarm`, data {id, severity, state, message, trigger_ts, ...}) and the alarm page's chart of the data
   around the trigger time. Times are shown in the park's time zone. */
(function () {
  "use strict";

  var OFFSET = 8 * 3600 * 1000;  // Asia/Shanghai; the chart's data carry the server's offset

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function parkTime(ts, offset) {
    var d = new Date(ts + offset);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }

  function liveList(table) {
    var body = table.querySelector("tbody");
    var empty = document.getElementById("al-live-empty");
    var status = document.getElementById("al-live-status");
    var rows = {};
    var started = false;

    function label(kind, code) { return table.getAttribute("data-" + kind + "-" + code) || code; }
    function refreshEmpty() { if (empty) empty.hidden = Object.keys(rows).length > 0; }

    function upsert(a, fresh) {
      var key = String(a.id);
      var row = rows[key];
      if (a.state === "closed") {
        if (row) { row.parentNode.removeChild(row); delete rows[key]; }
        refreshEmpty();
        return;
      }
      if (!row) {
        row = document.createElement("tr");
        row.setAttribute("data-alarm-id", key);
        rows[key] = row;
        var before = null;
        Array.prototype.forEach.call(body.children, function (r) {
          if (!before && Number(r.getAttribute("data-alarm-id")) < a.id) before = r;
        });
        body.insertBefore(row, before);
        if (fresh) row.className = "al-row-new";
      }
      row.innerHTML = "";
      var sev = document.createElement("td");
      var badge = document.createElement("span");
      badge.className = "al-sev al-sev-" + a.severity;
      badge.textContent = label("severity", a.severity);
      sev.appendChild(badge);
      var msg = document.createElement("td");
      var link = document.createElement("a");
      link.href = "/alarms/" + a.id;
      link.textContent = a.message;
      msg.appendChild(link);
      var state = document.createElement("td");
      state.className = "al-state";
      state.textContent = label("state", a.state);
      var time = document.createElement("td");
      time.className = "mono";
      time.textContent = a.trigger_ts ? parkTime(a.trigger_ts, OFFSET) : "";
      [sev, msg, state, time].forEach(function (td) { row.appendChild(td); });
      row.setAttribute("data-state", a.state);
      refreshEmpty();
    }

    refreshEmpty();
    if (!window.EventSource) return;
    var source = new EventSource(table.getAttribute("data-stream"));
    source.onopen = function () { if (status) status.textContent = status.getAttribute("data-connected"); };
    source.onerror = function () { if (status) status.textContent = status.getAttribute("data-waiting"); };
    source.addEventListener("alarm", function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (err) { return; }
      upsert(data, started);
    });
    // the open alarms arrive right after connecting; what comes later is new
    setTimeout(function () { started = true; }, 1500);
    table.setAttribute("data-ready", "1");
  }

  function chart(el) {
    var node = document.getElementById(el.getAttribute("data-source"));
    if (!node || !window.echarts) return;
    var spec;
    try { spec = JSON.parse(node.textContent || "null"); } catch (err) { return; }
    if (!spec) return;
    var offset = spec.offset_ms || 0;
    el.innerHTML = "";
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    var lines = (spec.limits || []).map(function (v) { return { yAxis: v }; });
    c.setOption({
      animation: false,
      useUTC: true,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true },
      series: [{
        name: spec.name, type: "line", showSymbol: false,
        data: (spec.points || []).map(function (p) { return [p[0] + offset, p[1]]; }),
        markLine: { symbol: "none", data: lines.concat([{ xAxis: spec.trigger_ts + offset }]),
                    lineStyle: { color: "#c62828", type: "dashed" } }
      }]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }

  function init() {
    var table = document.getElementById("al-live");
    if (table && !table.getAttribute("data-ready")) liveList(table);
    var el = document.getElementById("al-chart");
    if (el) chart(el);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
