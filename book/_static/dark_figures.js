// Dark theme: every figure has a dark twin, <name>.dark.png, made at build time
// (book/_ext/dark_figures.py). While the page is dark, figures show their twins; frames of
// interactive figures, added as a control selects them, are switched as they arrive (they
// load lazily, so the light one is never fetched).
(function () {
  var FIGURE = /(_images|_frames)\/[^/]+?(\.dark)?\.png$/;

  function dark() {
    return document.documentElement.dataset.theme === "dark";
  }

  function show(img) {
    var src = img.getAttribute("src") || "";
    var match = src.match(FIGURE);
    if (!match) return;
    var isTwin = Boolean(match[2]);
    if (dark() && !isTwin) img.setAttribute("src", src.replace(/\.png$/, ".dark.png"));
    if (!dark() && isTwin) img.setAttribute("src", src.replace(/\.dark\.png$/, ".png"));
  }

  function showAll(root) {
    if (root.tagName === "IMG") show(root);
    if (root.querySelectorAll) root.querySelectorAll("img").forEach(show);
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (record.type === "attributes") showAll(document);
      else record.addedNodes.forEach(showAll);
    });
  }).observe(document.documentElement,
    { attributes: true, attributeFilter: ["data-theme"], childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { showAll(document); });
})();
