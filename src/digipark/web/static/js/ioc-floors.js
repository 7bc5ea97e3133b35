// The floor view's sensor values, live: telemetry's point stream (#floor-plan[data-stream], `event: readings`)
// updates every [data-point] it names. The browser's EventSource reconnects by itself.
(function () {
  "use strict";
  const plan = document.getElementById("floor-plan");
  if (!plan || !plan.dataset.stream || !window.EventSource) return;
  const lang = document.documentElement.lang && document.documentElement.lang.startsWith("en") ? "en-GB" : "zh-CN";
  const source = new EventSource(plan.dataset.stream);
  source.addEventListener("open", () => (plan.dataset.live = "1"));
  source.addEventListener("readings", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    for (const [pid, reading] of Object.entries(data.points || {})) {
      for (const node of plan.querySelectorAll('[data-point="' + pid + '"]')) {
        node.textContent = Number(reading.value).toLocaleString(lang, { maximumFractionDigits: 1 });
      }
    }
    plan.dataset.updated = String(Date.now());
  });
})();
