// Work-order report form: the floor and room lists show only what belongs to the chosen building (and floor).
(function () {
  "use strict";
  const building = document.getElementById("f-building");
  const floor = document.getElementById("f-floor");
  const room = document.getElementById("f-room");
  if (!building || !floor || !room) return;

  function narrow(select, keep) {
    for (const option of select.options) {
      if (!option.value) continue;
      const shown = keep(option);
      option.hidden = !shown;
      option.disabled = !shown;
      if (!shown && option.selected) select.value = "";
    }
  }

  function update() {
    const b = building.value;
    const f = floor.value;
    narrow(floor, (o) => !b || o.dataset.building === b);
    narrow(room, (o) => (!b || o.dataset.building === b) && (!floor.value || o.dataset.floor === floor.value));
    if (f !== floor.value) update();
  }

  building.addEventListener("change", update);
  floor.addEventListener("change", update);
  update();
})();
