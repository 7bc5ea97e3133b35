// The platform's one map set-up (MapLibre GL, the ES module served under /static/vendor), used by the park map and
// the operations screen (ioc-map.js) and by the asset map (assets-map.js): the element's data-library names the
// module; the style, the bounds and the words come from JSON script elements named after the element
// (#<prefix>-style, -bounds, -texts). Without the library or WebGL the fallback paragraph (#<id>-fallback) says so.
// data-css: the map's own styles, loaded with the map; data-pmtiles: the reader of a PMTiles base layer.
//
//   window.digipark.parkMap({ element: "ioc-map", prefix: "ioc", deferred: true, options: {...} }, (map, lib, ctx) => {})
//
// The map is fitted to the bounds when its style has loaded (ctx.fit() again later), resized with its element, and
// element.dataset.ready is set once ctx.ready() is called (by default right after the load).
(function () {
  "use strict";
  window.digipark = window.digipark || {};

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }

  // the map (a large module, a WebGL context: seconds of main-thread work with software GL) may start after the
  // page's first frame is painted, so the figures around it show first
  function afterFirstPaint(run) {
    requestAnimationFrame(() => setTimeout(run, 0));
  }

  window.digipark.parkMap = function (config, onStart) {
    const element = document.getElementById(config.element);
    if (!element) return;
    const prefix = config.prefix;
    const texts = readJson(prefix + "-texts") || {};
    const fallback = document.getElementById(config.element + "-fallback");
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

    function start(maplibregl) {
      const style = readJson(prefix + "-style");
      const context = { element: element, texts: texts, style: style, bounds: readJson(prefix + "-bounds") };
      let map;
      try {
        map = new maplibregl.Map(Object.assign({ container: element, style: style, attributionControl: false }, config.options || {}));
      } catch (error) {
        fail(texts.no_webgl || String(error));
        return;
      }
      context.fit = () => {
        if (context.bounds)
          map.fitBounds(context.bounds, { padding: 40, pitch: style.pitch || 0, bearing: style.bearing || 0, duration: 0 });
      };
      context.ready = () => {
        element.dataset.ready = "1";
        window.dispatchEvent(new Event("digipark:map-ready"));
      };
      map.addControl(new maplibregl.NavigationControl({ visualizePitch: Boolean(config.pitch) }), "top-right");
      const base = style.sources && style.sources.base;
      if (base && base.attribution) map.addControl(new maplibregl.AttributionControl(), "bottom-right");
      new ResizeObserver(() => map.resize()).observe(element);
      const waitForReady = onStart(map, maplibregl, context) === "later";
      map.once("load", () => {
        context.fit();
        if (!waitForReady) context.ready();
      });
    }

    function begin() {
      if (element.dataset.css) {
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
    }
    if (config.deferred) afterFirstPaint(begin);
    else begin();
  };
})();
