/* digipark shell: the menu button opens the side menu on narrow screens (below 1000 px the menu is a drawer);
   Escape or a click outside closes it; an open header menu (theme, user) closes when another one opens.
   Table cells holding a date or a time are kept on one line (a phone squeezed "2026-12-07 05:20" into three),
   also in rows loaded or added later (htmx panels, live lists). */
(function () {
  "use strict";

  var DATE = /^\d{4}-\d{2}(-\d{2})?( \d{2}:\d{2}(:\d{2})?)?$|^\d{2}:\d{2}(:\d{2})?$|^\d{2}-\d{2} \d{2}:\d{2}$/;

  function keepDatesWhole(root) {
    if (!root || !root.querySelectorAll) return;
    var cells = root.querySelectorAll("table.data td, table.data th");
    for (var i = 0; i < cells.length; i++) {
      if (!cells[i].classList.contains("cell-date") && DATE.test(cells[i].textContent.trim())) {
        cells[i].classList.add("cell-date");
      }
    }
  }

  function watchTables() {
    keepDatesWhole(document);
    if (!window.MutationObserver) return;
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        keepDatesWhole(document);
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  function init() {
    watchTables();
    var button = document.querySelector("button[data-navtoggle]");
    var nav = document.getElementById("sidenav");
    if (button && nav) {
      var setOpen = function (open) {
        document.body.classList.toggle("nav-open", open);
        button.setAttribute("aria-expanded", open ? "true" : "false");
      };
      button.addEventListener("click", function () {
        setOpen(!document.body.classList.contains("nav-open"));
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
          setOpen(false);
          button.focus();
        }
      });
      document.addEventListener("click", function (event) {
        if (!document.body.classList.contains("nav-open")) return;
        if (nav.contains(event.target) || button.contains(event.target)) return;
        setOpen(false);
      });
    }
    var menus = document.querySelectorAll(".topbar details");
    for (var i = 0; i < menus.length; i++) {
      menus[i].addEventListener("toggle", function (event) {
        if (!event.target.open) return;
        for (var j = 0; j < menus.length; j++) {
          if (menus[j] !== event.target) menus[j].open = false;
        }
      });
    }
    document.addEventListener("click", function (event) {
      for (var k = 0; k < menus.length; k++) {
        if (menus[k].open && !menus[k].contains(event.target)) menus[k].open = false;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
