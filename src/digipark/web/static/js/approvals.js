// The process diagram of an application (bpmn-js viewer from node_modules): the definition's BPMN is read from the
// API, the steps where the application stands are marked. No inline script: the page names what to draw in data-*.
(function () {
  "use strict";
  function draw(container) {
    if (typeof window.BpmnJS !== "function") return;
    var position = [];
    try {
      position = JSON.parse(container.getAttribute("data-position") || "[]");
    } catch (e) {
      position = [];
    }
    fetch(container.getAttribute("data-definition"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("definition " + response.status);
        return response.json();
      })
      .then(function (definition) {
        container.textContent = "";
        container.style.height = "420px";
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(definition.bpmn_xml).then(function () {
          var canvas = viewer.get("canvas");
          canvas.zoom("fit-viewport");
          position.forEach(function (id) {
            try {
              canvas.addMarker(id, "bpmn-current");
            } catch (e) {
              /* an id of the engine's own (a join) has no shape */
            }
          });
          container.setAttribute("data-rendered", "1");
        });
      })
      .catch(function () {
        container.setAttribute("data-rendered", "0");
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("process-diagram");
    if (container) draw(container);
  });
})();
