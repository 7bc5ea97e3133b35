// Car-park page: the occupancy live (server-sent events from /living/parking/live; polling without EventSource)
// finds the nearest car park with a free space.
(function () {
  "use strict";
  const table = document.getElementById("occupancy");
  if (!table) return;
  const texts = {};
  const template = document.getElementById("guidance-texts");
  if (template) for (const span of template.content.querySelectorAll("span")) texts[span.dataset.key] = span.textContent;

  function setText(row, selector, value) {
    const cell = row.querySelector(selector);
    if (!cell) return;
    const target = cell.querySelector("strong") || cell;
    target.textContent = String(value);
  }

  function show(items) {
    for (const item of items) {
      const row = table.querySelector('tr[data-car-park="' + Number(item.car_park_id) + '"]');
      if (!row) continue;
      setText(row, ".occ-occupied", Number(item.occupied));
      setText(row, ".occ-reserved", Number(item.reserved));
      setText(row, ".occ-free", Number(item.free));
      const bar = row.querySelector(".lv-occ-bar span");
      if (bar && item.capacity) bar.style.width = Math.round((100 * item.occupied) / item.capacity) + "%";
    }
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v1/living/occupancy", { credentials: "same-origin" });
      if (response.ok) show(await response.json());
    } catch (error) {
      // the next refresh tries again
    }
  }
  if (window.EventSource) {
    // pushed by the server as soon as a sensor's reading is stored (the browser reconnects by itself)
    const source = new EventSource("/living/parking/live");
    source.addEventListener("occupancy", function (event) {
      try {
        show(JSON.parse(event.data));
      } catch (error) {
        // a broken message: the next one replaces it
      }
    });
  } else {
    setInterval(refresh, 2000);
  }

  const button = document.getElementById("find-nearest");
  const out = document.getElementById("guidance");
  if (!button || !out || !navigator.geolocation) {
    if (button) button.hidden = true;
    return;
  }
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(async function (position) {
      const query = "lon=" + position.coords.longitude + "&lat=" + position.coords.latitude;
      const response = await fetch("/api/v1/living/guidance?" + query, { credentials: "same-origin" });
      if (!response.ok) return;
      const options = await response.json();
      out.hidden = false;
      out.textContent = options.length
        ? (texts.found || "") + " " + options[0].name + " · " + Math.round(options[0].distance_m) + " " + (texts.metres || "m")
        : texts.none || "";
    });
  });
})();
