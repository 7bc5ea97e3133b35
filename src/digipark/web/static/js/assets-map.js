// The asset map (MapLibre GL, the ES module the park map also uses): the style the server built (#asset-map-style)
// with the park's buildings, roads and pipe networks as lines and located assets as points. A click on a line or a
// point opens that asset's page; hovering shows its name.
(function () {
  "use strict";
  const element = document.getElementById("asset-map");
  if (!element) return;
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const texts = read("asset-map-texts") || {};
  const fallback = document.getElementById("asset-map-fallback");
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
  import(element.dataset.library).then(start, () => fail(texts.no_map || ""));

  function start(maplibregl) {
    const style = read("asset-map-style");
    const bounds = read("asset-map-bounds");
    let map;
    try {
      map = new maplibregl.Map({ container: element, style: style, attributionControl: false });
    } catch (error) {
      fail(texts.no_webgl || String(error));
      return;
    }
    window.digipark = window.digipark || {};
    window.digipark.assetMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.on("load", () => {
      if (bounds) map.fitBounds(bounds, { padding: 40, duration: 0 });
      element.dataset.ready = "1";
    });
    new ResizeObserver(() => map.resize()).observe(element);
    const clickable = ["points", "lines"];
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false });
    map.on("click", (event) => {
      const box = [[event.point.x - 4, event.point.y - 4], [event.point.x + 4, event.point.y + 4]];
      const hit = map.queryRenderedFeatures(box, { layers: clickable })[0];
      if (hit && hit.properties.href) window.location.assign(hit.properties.href);
    });
    for (const id of clickable) {
      map.on("mousemove", id, (event) => {
        map.getCanvas().style.cursor = "pointer";
        const props = event.features[0].properties;
        const label = document.createElement("div");
        label.className = "ioc-popup";
        label.textContent = props.label ? props.name + " · " + props.label : props.name;
        popup.setLngLat(event.lngLat).setDOMContent(label).addTo(map);
      });
      map.on("mouseleave", id, () => {
        map.getCanvas().style.cursor = "";
        popup.remove();
      });
    }
  }
})();
