// The asset map (the platform's map set-up in park-map.js, as the park map): the style the server built
// (#asset-map-style) with the park's buildings, roads and pipe networks as lines and located assets as points. A
// click on a line or a point opens that asset's page; hovering shows its name.
(function () {
  "use strict";
  if (!window.digipark || !window.digipark.parkMap) return;
  window.digipark.parkMap({ element: "asset-map", prefix: "asset-map" }, (map, maplibregl) => {
    window.digipark.assetMap = map;
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
  });
})();
