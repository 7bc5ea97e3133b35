// The park map (the platform's map set-up in park-map.js): the style the server built from the park's own geometry
// (#ioc-style), buildings extruded in 3D, devices by state, open alarms, car parks, open deliveries (where each is, a
// line to where it goes). A click on an object opens a popup naming it, with a link to its page. The layers are
// fetched again every minute (and when the screen's figures say the alarms changed: window.digipark.refreshMap).
// On the operations screen (data-rotate) the view turns slowly.
(function () {
  "use strict";
  if (!window.digipark || !window.digipark.parkMap) return;
  window.digipark.parkMap(
    { element: "ioc-map", prefix: "ioc", deferred: true, pitch: true,
      options: { maxPitch: 75, canvasContextAttributes: { preserveDrawingBuffer: true } } },
    start,
  );

  function start(map, maplibregl, context) {
    const element = context.element;
    const texts = context.texts;
    const style = context.style;
    window.digipark.map = map;
    if (element.dataset.lazy) {
      // the page came without the layers (a quick first paint): fetch them once the map is up, then frame the park
      map.once("load", () => refresh(true).then(context.ready));
    }
    // -- a view's layers (the operations screen's map views): the others hidden, buildings coloured by risk or use
    const colours = (style.metadata && style.metadata["digipark:building-colours"]) || {};
    const toggled = {
      devices: ["devices"],
      alarms: ["alarms"],
      car_parks: ["car-parks"],
      deliveries: ["deliveries", "delivery-routes"],
    };
    window.digipark.showLayers = (keys) => {
      if (!map.getLayer("buildings")) return; // the style not loaded yet: the map-ready event shows the view again
      for (const [key, ids] of Object.entries(toggled)) {
        for (const id of ids) {
          if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", keys.includes(key) ? "visible" : "none");
        }
      }
      const colouring = keys.includes("energy") ? colours.energy : keys.includes("risk") ? colours.risk : colours.use;
      if (colouring && map.getLayer("buildings")) map.setPaintProperty("buildings", "fill-extrusion-color", colouring);
      element.dataset.layersShown = keys.join(",");
    };

    // -- popups: name, a line of facts, a link to the object's page -------------------------------------------------
    function describe(props) {
      switch (props.layer) {
        case "building":
          return props.floors + " " + (texts.floors || "") + " · " + props.height + " " + (texts.height || "") +
            (texts.risk && texts.risk[props.risk] ? " · " + texts.risk[props.risk] : "") +
            (typeof props.load_kw === "number" ? " · " + (texts.load || "") + " " + props.load_kw + " kW" : "");
        case "device":
          return (texts.states && texts.states[props.state]) || props.state;
        case "alarm":
          return (texts.severity && texts.severity[props.severity]) || props.severity;
        case "car_park":
          return props.free + " " + (texts.free || "") + " " + props.capacity;
        case "delivery":
        case "delivery_route":
          return ((texts.deliveries && texts.deliveries[props.state]) || props.state) +
            (props.vehicle ? " · " + props.vehicle : "") +
            " · " + (texts.to || "") + " " + props.destination +
            (props.eta ? " · " + (texts.eta || "") + " " + new Date(props.eta).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" }) : "");
        default:
          return "";
      }
    }
    const clickable = ["alarms", "deliveries", "delivery-routes", "devices", "car-parks", "buildings", "zones"];
    map.on("click", (event) => {
      const layers = clickable.filter((id) => map.getLayer(id));
      const hit = map.queryRenderedFeatures(event.point, { layers: layers })[0];
      if (!hit) return;
      const props = hit.properties;
      const box = document.createElement("div");
      box.className = "ioc-popup";
      const title = document.createElement("strong");
      title.textContent = props.name || "";
      const facts = document.createElement("div");
      facts.textContent = describe(props);
      box.append(title, facts);
      if (props.href) {
        const link = document.createElement("a");
        link.href = props.href;
        link.textContent = texts.open || "→";
        box.append(link);
      }
      if (props.floors_href) {
        const floors = document.createElement("a");
        floors.href = props.floors_href;
        floors.textContent = texts.floor_view || "→";
        box.append(floors);
      }
      new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(event.lngLat).setDOMContent(box).addTo(map);
    });
    for (const id of clickable) {
      map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", id, () => (map.getCanvas().style.cursor = ""));
    }

    // -- legend controls (the map page) --------------------------------------------------------------------------
    for (const box of document.querySelectorAll("[data-layer-toggle]")) {
      box.addEventListener("change", () => {
        for (const id of box.dataset.layerToggle.split(",")) {
          if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
        }
      });
    }
    const stateBoxes = document.querySelectorAll("[data-state-filter]");
    function filterStates() {
      const shown = Array.from(stateBoxes).filter((b) => b.checked).map((b) => b.dataset.stateFilter);
      if (map.getLayer("devices")) map.setFilter("devices", ["in", ["get", "state"], ["literal", shown]]);
    }
    for (const box of stateBoxes) box.addEventListener("change", filterStates);
    for (const radio of document.querySelectorAll("[data-colouring]")) {
      radio.addEventListener("change", () => {
        const colouring = colours[radio.value];
        if (radio.checked && colouring && map.getLayer("buildings")) map.setPaintProperty("buildings", "fill-extrusion-color", colouring);
      });
    }

    // -- live layers ----------------------------------------------------------------------------------------------
    let refreshing = false;
    const shown = {}; // each source's data as last set (JSON)
    async function refresh(first) {
      if (refreshing || !element.dataset.layers) return;
      refreshing = true;
      try {
        const response = await fetch(element.dataset.layers, { credentials: "same-origin" });
        if (response.ok) {
          const data = await response.json();
          for (const name of ["devices", "alarms", "car_parks", "deliveries", "park"]) {
            // a source is given new data only when it changed (a screen runs for days: no needless re-tiling in
            // the map's worker, no garbage every minute)
            const source = map.getSource(name);
            const text = data.layers[name] ? JSON.stringify(data.layers[name]) : null;
            if (source && text !== null && text !== shown[name]) {
              source.setData(data.layers[name]);
              shown[name] = text;
            }
          }
          if (first === true && data.bounds) {
            context.bounds = data.bounds;
            context.fit();
          }
        }
      } catch (error) {
        // the next refresh tries again
      } finally {
        refreshing = false;
      }
    }
    window.digipark.refreshMap = refresh;
    setInterval(refresh, 60000);

    // -- the operations screen: a slow turn around the park --------------------------------------------------------
    if (element.dataset.rotate) {
      const degreesPerSecond = 3;
      let last = null;
      function turn(now) {
        if (last !== null && !map.isMoving()) map.setBearing((map.getBearing() + ((now - last) / 1000) * degreesPerSecond) % 360);
        last = now;
        requestAnimationFrame(turn);
      }
      map.once("load", () => requestAnimationFrame(turn));
    }
    return element.dataset.lazy ? "later" : undefined; // lazy: ready once the layers are in
  }
})();
