/* digipark shell: the menu button opens the side menu on narrow screens (below 1000 px the menu is a drawer);
   Escape or a click outside closes it; an open header menu (theme, user) closes when another one opens. */
(function () {
  "use strict";

  function init() {
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
