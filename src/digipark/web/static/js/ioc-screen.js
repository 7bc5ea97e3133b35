// The operations screen's figures, live: the first ones from the page (#scr-figures), then every `event: figures`
// of the server-sent event stream (body[data-stream]). The browser's EventSource reconnects by itself; when it gave
// up, the page opens a new one after a pause. No message for data-stale-after seconds: the "data stale" mark shows
// (and the figures dim) until the next message arrives.
(function () {
  "use strict";
  const body = document.body;
  const texts = JSON.parse((document.getElementById("ioc-texts") || { textContent: "{}" }).textContent);
  const lang = body.dataset.lang === "en" ? "en-GB" : "zh-CN";
  const staleAfterMs = Number(body.dataset.staleAfter || 35) * 1000;
  const number = (value, digits) =>
    value === null || value === undefined || Number.isNaN(Number(value))
      ? "—"
      : Number(value).toLocaleString(lang, { maximumFractionDigits: digits === undefined ? 0 : digits });
  const $ = (id) => document.getElementById(id);

  function set(id, text) {
    const node = $(id);
    if (!node || node.textContent === text) return;
    node.textContent = text;
    node.classList.remove("scr-changed");
    void node.offsetWidth; // restart the highlight
    node.classList.add("scr-changed");
  }

  function li(parts, className) {
    const item = document.createElement("li");
    if (className) item.className = className;
    for (const [cls, text] of parts) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      item.append(span);
    }
    return item;
  }

  function time(iso) {
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? "" : at.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  let alarmIds = "";
  function show(f) {
    const live = f.live || {};
    set("kpi-load", number(live.load_kw, 0));
    set("kpi-devices", number(live.devices_online));
    set("kpi-devices-of", "/ " + number(live.devices_active));
    set("kpi-alarms", number(live.open_alarms));
    set("kpi-parking", number(live.parking_free));
    set("kpi-parking-of", live.parking_capacity ? "/ " + number(live.parking_capacity) : "");
    const safety = f.safety || {};
    set("kpi-red", number(safety.red_points));
    set("kpi-hazards", number(safety.major_hazards));
    set("kpi-dangers", number(safety.open_dangers));
    set("kpi-overdue", number(safety.overdue_dangers));
    const energy = f.energy || {};
    set("scr-energy-year", energy.year ? String(energy.year) : "");
    set("kpi-tce", number(energy.tce));
    set("kpi-tco2", number(energy.tco2));
    set("kpi-tce-yoy", number(energy.yoy_tce_pct, 1));
    set("kpi-intensity", number(energy.tce_per_wan_yuan, 3));
    const economy = f.economy || {};
    set("scr-economy-period", economy.period ? economy.period.slice(0, 7) : "");
    const econ = $("scr-economy");
    econ.replaceChildren(
      ...(economy.figures || []).map((fig) => {
        const box = document.createElement("div");
        box.className = "scr-kpi";
        for (const [cls, text] of [
          ["scr-kpi-label", (texts.economy && texts.economy[fig.figure]) || fig.figure],
          ["scr-kpi-value", number(fig.ytd)],
          ["scr-kpi-unit", fig.unit + (fig.ytd_yoy_pct === null ? "" : " · " + (fig.ytd_yoy_pct >= 0 ? "+" : "") + number(fig.ytd_yoy_pct, 1) + "%")],
        ]) {
          const span = document.createElement("span");
          span.className = cls;
          span.textContent = text;
          box.append(span);
        }
        return box;
      }),
    );
    $("scr-standards").replaceChildren(
      ...(f.standards || []).map((s) =>
        li(
          [
            ["scr-std-code", s.code],
            ["scr-std-name", body.dataset.lang === "en" ? s.name_en : s.name],
            ["scr-std-progress", number(100 * (s.progress || 0)) + "%"],
            ["scr-std-state", s.met ? texts.met : texts.not_met],
          ],
          s.met ? "met" : "not-met",
        ),
      ),
    );
    const incidents = f.incidents || [];
    $("scr-incidents").replaceChildren(
      ...(incidents.length
        ? incidents.map((i) =>
            li(
              [
                ["scr-inc-state", (texts.incident && texts.incident[i.status]) || i.status],
                ["scr-inc-title", (i.drill ? "[" + texts.drill + "] " : "") + i.title],
                ["scr-inc-time", time(i.occurred_at)],
              ],
              "inc-" + i.status,
            ),
          )
        : [li([["scr-empty", texts.none]])]),
    );
    const alarms = f.alarms || [];
    const ids = alarms.map((a) => a.id).join(",");
    if (ids !== alarmIds) {
      alarmIds = ids;
      $("scr-ticker").replaceChildren(
        ...(alarms.length
          ? alarms.map((a) =>
              li(
                [
                  ["scr-sev", (texts.severity && texts.severity[a.severity]) || a.severity],
                  ["scr-alarm-text", a.message],
                  ["scr-alarm-time", time(a.raised_at)],
                ],
                "sev-" + a.severity,
              ),
            )
          : [li([["scr-empty", texts.none]])]),
      );
      if (window.digipark && window.digipark.refreshMap) window.digipark.refreshMap();
    }
    body.dataset.updated = String(Date.now());
    if (live.load_ts) body.dataset.loadTs = String(live.load_ts); // the newest reading behind the load (bench/screen.py)
  }

  // -- clock -------------------------------------------------------------------------------------------------------
  function tick() {
    $("scr-clock").textContent = new Date().toLocaleString(lang, { dateStyle: "medium", timeStyle: "medium" });
  }
  tick();
  setInterval(tick, 1000);

  // -- the stream, its status and the stale mark ---------------------------------------------------------------
  const status = $("scr-live");
  const stale = $("scr-stale");
  let lastMessage = Date.now();

  function setState(state) {
    status.dataset.state = state;
  }
  function checkStale() {
    const isStale = Date.now() - lastMessage > staleAfterMs;
    stale.hidden = !isStale;
    body.classList.toggle("scr-is-stale", isStale);
  }
  setInterval(checkStale, 1000);

  const initial = document.getElementById("scr-figures");
  if (initial) show(JSON.parse(initial.textContent));

  let source = null;
  function connect() {
    if (!window.EventSource || !body.dataset.stream) return;
    source = new EventSource(body.dataset.stream);
    source.addEventListener("open", () => setState("live"));
    source.addEventListener("figures", (event) => {
      lastMessage = Date.now();
      setState("live");
      checkStale();
      try {
        show(JSON.parse(event.data));
      } catch (error) {
        // a broken message: keep the figures shown
      }
    });
    source.addEventListener("error", () => {
      setState("connecting");
      if (source.readyState === EventSource.CLOSED) {
        // the browser gave up (an answer that was not a stream): open a new one after a pause
        source = null;
        setTimeout(connect, 5000);
      }
    });
  }
  connect();
})();
