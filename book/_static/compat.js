// Small compatibility shims for the static site, loaded before anything else.
(function () {
  // The widget manager typesets widget labels with the MathJax 2 API
  // (MathJax.Hub.Queue); the site uses MathJax 3. Give every MathJax object the
  // old entry point, forwarding to MathJax 3's typesetPromise.
  var current = window.MathJax;
  function withHub(mj) {
    if (mj && typeof mj === "object" && !mj.Hub) {
      mj.Hub = {
        Queue: function (command) {
          var element = Array.isArray(command) ? command[2] : undefined;
          if (window.MathJax && window.MathJax.typesetPromise) {
            window.MathJax.typesetPromise(element ? [element] : undefined).catch(function () {});
          }
        },
      };
    }
    return mj;
  }
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
  withHub(current);

  // The theme's Font Awesome script replaces every <i class="fa ..."> with an <svg>; the
  // widgets' Play button keeps a handle on its <i> icon and fails once it is gone. Nest the
  // SVG inside the <i> instead of replacing it.
  window.FontAwesomeConfig = Object.assign({ autoReplaceSvg: "nest" }, window.FontAwesomeConfig);

  // The theme reads the colour mode from <html data-mode>, which the template leaves
  // empty; an empty mode makes it log an error before falling back to "auto".
  if (!document.documentElement.dataset.mode) {
    document.documentElement.dataset.mode = localStorage.getItem("mode") || "auto";
  }
})();
