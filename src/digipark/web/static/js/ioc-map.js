// The park map (MapLibre GL, an ES module served from node_modules and imported here): the style the server built from the park's own geometry
// (#ioc-style), buildings extruded in 3D, devices by state, open alarms, car parks. A click on an object opens a
// popup naming it, with a link to its page. The layers are fetched again every minute (and when the screen's figures
// say the alarms changed: window.digipark.refreshMap). On the operations screen (data-rotate) the view turns slowly.
(function () {
  "use strict";
  const element = document.getElementById("ioc-map");
  if (!element) return;
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const texts = read("ioc-texts") || {};
  const fallback = document.getElementById("ioc-map-fallback");
  function fail(message) {
    element.hidden = true;
    if (fallback) {
      fallback.textContent = message;
      fallback.hidden = false;
    }
  }
  if (!element.dataset.library) {
    fail(texts.no_map || "");
    return;
  }
  // a PMTiles base layer: its reader (a classic script, global `pmtiles`) before the map asks for a tile
  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }
  // the map (a large module, a WebGL context: seconds of main-thread work with software GL) starts after the
  // page's first frame is painted, so the figures around it show first
  function afterFirstPaint(run) {
    requestAnimationFrame(() => setTimeout(run, 0));
  }
  afterFirstPaint(() => {
    if (element.dataset.css) {
      // the map's own styles, loaded with the map rather than before the page's first paint (the operations screen)
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = element.dataset.css;
      document.head.append(link);
    }
    import(element.dataset.library).then(
      (maplibregl) => {
        if (!element.dataset.pmtiles) return start(maplibregl);
        return loadScript(element.dataset.pmtiles).then(
          () => {
            maplibregl.addProtocol("pmtiles", new window.pmtiles.Protocol().tile);
            element.dataset.pmtilesReady = "1";
            start(maplibregl);
          },
          () => start(maplibregl), // without its reader the map still draws the park
        );
      },
      () => fail(texts.no_map || ""),
    );
  });

  function start(maplibregl) {
    const style = read("ioc-style");
    let bounds = read("ioc-bounds");
    let map;
    try {
      map = new maplibregl.Map({
        container: element,
        style: style,
        attributionControl: false,
        maxPitch: 75,
        canvasContextAttributes: { preserveDrawingBuffer: true },
      });
    } catch (error) {
      fail(texts.no_webgl || String(error));
      return;
    }
    window.digipark = window.digipark || {};
    window.digipark.map = map;
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "top-right");
    if (style.sources.base && style.sources.base.attribution) map.addControl(new maplibregl.AttributionControl(), "bottom-right");

    function fit() {
      if (bounds) map.fitBounds(bounds, { padding: 40, pitch: style.pitch, bearing: style.bearing, duration: 0 });
    }
    map.on("load", () => {
      fit();
      if (element.dataset.lazy) {
        // the page came without the layers (a quick first paint): fetch them now, then frame the park
        refresh(true).then(() => {
          element.dataset.ready = "1";
          window.dispatchEvent(new Event("digipark:map-ready"));
        });
        return;
      }
      element.dataset.ready = "1";
      window.dispatchEvent(new Event("digipark:map-ready"));
    });

    // -- a view's layers (the operations screen's map views): the others hidden, buildings coloured by risk or use
    const colours = (style.metadata && style.metadata["digipark:building-colours"]) || {};
    const toggled = { devices: "devices", alarms: "alarms", car_parks: "car-parks" };
    window.digipark.showLayers = (keys) => {
      if (!map.getLayer("buildings")) return; // the style not loaded yet: the map-ready event shows the view again
      for (const [key, id] of Object.entries(toggled)) {
        if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", keys.includes(key) ? "visible" : "none");
      }
      const colouring = keys.includes("energy") ? colours.energy : keys.includes("risk") ? colours.risk : colours.use;
      if (colouring && map.getLayer("buildings")) map.setPaintProperty("buildings", "fill-extrusion-color", colouring);
      element.dataset.layersShown = keys.join(",");
    };
    new ResizeObserver(() => map.resize()).observe(element);

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
        default:
          return "";
      }
    }
    const clickable = ["alarms", "devices", "car-parks", "buildings", "zones"];
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
        const id = box.dataset.layerToggle;
        if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
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
    async function refresh(first) {
      if (refreshing || !element.dataset.layers) return;
      refreshing = true;
      try {
        const response = await fetch(element.dataset.layers, { credentials: "same-origin" });
        if (response.ok) {
          const data = await response.json();
          for (const name of ["devices", "alarms", "car_parks", "park"]) {
            const source = map.getSource(name);
            if (source && data.layers[name]) source.setData(data.layers[name]);
          }
          if (first === true && data.bounds) {
            bounds = data.bounds;
            fit();
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
      map.on("load", () => requestAnimationFrame(turn));
    }
  }
})();
