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

  // every element showing a figure carries data-f (a panel may stand twice: in a column and as a centre view)
  function set(key, text) {
    for (const node of document.querySelectorAll('[data-f="' + key + '"]')) {
      if (node.textContent === text) continue;
      node.textContent = text;
      node.classList.remove("scr-changed");
      void node.offsetWidth; // restart the highlight
      node.classList.add("scr-changed");
    }
  }
  function fill(list, make) {
    for (const node of document.querySelectorAll('[data-list="' + list + '"]')) node.replaceChildren(...make());
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

  let alarmIds = null;
  let economyKey = null;
  let standardsKey = null;
  let incidentsKey = null;
  function show(f) {
    const live = f.live || {};
    set("load_kw", number(live.load_kw, 0));
    set("devices", number(live.devices_online));
    set("devices_of", "/ " + number(live.devices_active));
    set("open_alarms", number(live.open_alarms));
    set("parking", number(live.parking_free));
    set("parking_of", live.parking_capacity ? "/ " + number(live.parking_capacity) : "");
    const safety = f.safety || {};
    set("red", number(safety.red_points));
    set("hazards", number(safety.major_hazards));
    set("dangers", number(safety.open_dangers));
    set("overdue", number(safety.overdue_dangers));
    const energy = f.energy || {};
    set("energy_year", energy.year ? String(energy.year) : "");
    set("tce", number(energy.tce));
    set("tco2", number(energy.tco2));
    set("tce_yoy", number(energy.yoy_tce_pct, 1));
    set("intensity", number(energy.tce_per_wan_yuan, 3));
    const economy = f.economy || {};
    set("economy_period", economy.period ? economy.period.slice(0, 7) : "");
    // lists are rebuilt only when their content changed (a screen runs for days: no needless DOM churn)
    const econKey = JSON.stringify(economy.figures || []);
    if (econKey !== economyKey) {
      economyKey = econKey;
      fill("economy", () =>
        (economy.figures || []).map((fig) => {
          const box = document.createElement("div");
          box.className = "scr-kpi";
          for (const [cls, text] of [
            ["scr-kpi-label", (texts.economy && texts.economy[fig.figure]) || fig.figure],
            ["scr-kpi-value", number(fig.ytd)],
            ["scr-kpi-unit", ((texts.units && texts.units[fig.unit]) || fig.unit) + (fig.ytd_yoy_pct === null ? "" : " · " + (fig.ytd_yoy_pct >= 0 ? "+" : "") + number(fig.ytd_yoy_pct, 1) + "%")],
          ]) {
            const span = document.createElement("span");
            span.className = cls;
            span.textContent = text;
            box.append(span);
          }
          return box;
        }),
      );
    }
    const stdKey = JSON.stringify(f.standards || []);
    if (stdKey !== standardsKey) {
      standardsKey = stdKey;
      fill("standards", () =>
        (f.standards || []).map((s) =>
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
    }
    const incidents = f.incidents || [];
    const incKey = JSON.stringify(incidents);
    if (incKey !== incidentsKey) {
      incidentsKey = incKey;
      fill("incidents", () =>
        incidents.length
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
          : [li([["scr-empty", texts.none]])],
      );
    }
    const alarms = f.alarms || [];
    const ids = alarms.map((a) => a.id).join(",");
    if (ids !== alarmIds) {
      const first = alarmIds === null;
      alarmIds = ids;
      fill("ticker", () =>
        alarms.length
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
          : [li([["scr-empty", texts.none]])],
      );
      if (!first && window.digipark && window.digipark.refreshMap) window.digipark.refreshMap();
    }
    body.dataset.updated = String(Date.now());
    if (live.load_ts) body.dataset.loadTs = String(live.load_ts); // the newest reading behind the load (bench/screen.py)
  }

  // -- the centre's views take turns (data-rotate-s seconds each; 0 or the pause button: they stay) -------------
  const centre = $("scr-centre");
  const views = centre ? Array.from(centre.querySelectorAll(".scr-view")) : [];
  const dots = Array.from(document.querySelectorAll("[data-goto]"));
  const rotateButton = $("scr-rotate");
  const rotateMs = Number((centre && centre.dataset.rotateS) || 0) * 1000;
  let current = 0;
  let paused = !rotateMs;
  let timer = null;
  function showView(index) {
    current = ((index % views.length) + views.length) % views.length;
    views.forEach((view, i) => (view.hidden = i !== current));
    dots.forEach((dot, i) => dot.setAttribute("aria-current", i === current ? "true" : "false"));
    const view = views[current];
    const isMap = Boolean(view && view.dataset.mapLayers !== undefined);
    if (centre) centre.dataset.view = String(current);
    const mapNode = $("ioc-map");
    if (mapNode) mapNode.style.visibility = isMap ? "visible" : "hidden";
    if (isMap && window.digipark && window.digipark.showLayers) window.digipark.showLayers(view.dataset.mapLayers.split(","));
  }
  function schedule() {
    if (timer) clearInterval(timer);
    timer = paused || views.length < 2 ? null : setInterval(() => showView(current + 1), rotateMs);
    if (rotateButton) rotateButton.dataset.paused = paused ? "1" : "0";
  }
  if (views.length) {
    showView(0);
    window.addEventListener("digipark:map-ready", () => showView(current));
    schedule();
    dots.forEach((dot) =>
      dot.addEventListener("click", () => {
        showView(Number(dot.dataset.goto));
        schedule(); // a full period for the view chosen
      }),
    );
    if (rotateButton)
      rotateButton.addEventListener("click", () => {
        paused = !paused || !rotateMs;
        schedule();
      });
    document.addEventListener("keydown", (event) => {
      if (event.key === " " && rotateButton) {
        event.preventDefault();
        rotateButton.click();
      }
    });
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
  const firstFigures = initial ? JSON.parse(initial.textContent) : null;
  if (firstFigures) show(firstFigures); // else the stream's first message brings them

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
