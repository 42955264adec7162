// Accessibility repairs for the static site: names for controls that the widget manager and
// the theme render without one. Runs on load and again whenever a figure renders or changes.
(function () {
  var ICONS = { play: "Play", pause: "Pause", stop: "Stop", retweet: "Repeat", repeat: "Repeat" };

  function set(element, attribute, value) {
    if (value && element.getAttribute(attribute) !== value) element.setAttribute(attribute, value);
  }

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function repair() {
    // A slider is named by its label, and says its value as the readout shows it.
    document.querySelectorAll(".widget-slider").forEach(function (slider) {
      var name = text(slider.querySelector(".widget-label"));
      var readout = text(slider.querySelector(".widget-readout"));
      slider.querySelectorAll('[role="slider"]').forEach(function (handle) {
        set(handle, "aria-label", name);
        set(handle, "aria-valuetext", readout);
      });
      var editable = slider.querySelector(".widget-readout");
      if (editable) set(editable, "aria-label", (name ? name + ": " : "") + "value");
    });
    // The Play widget's buttons show only an icon.
    document.querySelectorAll(".jupyter-widgets button, .widget-play button").forEach(function (button) {
      if (text(button) || button.getAttribute("aria-label")) return;
      var icon = button.querySelector("[data-icon]") || button.querySelector("i");
      var key = icon ? icon.getAttribute("data-icon") || ((icon.className.baseVal || icon.className)
        .match(/fa-([a-z-]+)/) || [])[1] : "";
      set(button, "aria-label", ICONS[key] || key || "button");
    });
    // The theme's search and colour-mode buttons: a name must contain the text shown.
    document.querySelectorAll(".search-button-field[aria-label], .theme-switch-button[aria-label]")
      .forEach(function (button) {
        var shown = text(button);
        var base = button.dataset.a11yName || button.getAttribute("aria-label");
        button.dataset.a11yName = base;
        set(button, "aria-label", !shown || base.indexOf(shown) >= 0 ? base
          : shown.indexOf(base) >= 0 ? shown : base + ": " + shown);
      });
    // A collapsed cell's toggle ("Show the set-up") is named by the text it shows, not by
    // the generic label MyST-NB gives it.
    document.querySelectorAll("details > summary[aria-label]").forEach(function (summary) {
      if (text(summary)) summary.removeAttribute("aria-label");
    });
    // docutils marks bibliography entries with a deprecated role inside a role="list".
    document.querySelectorAll('.citation-list > [role="doc-biblioentry"]').forEach(function (entry) {
      entry.setAttribute("role", "listitem");
    });
  }

  var queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () { queued = false; repair(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    repair();
    new MutationObserver(soon).observe(document.body,
      { childList: true, subtree: true, characterData: true });
  });
})();
