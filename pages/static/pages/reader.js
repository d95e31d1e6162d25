/* The source reader: a link to #c-<start>-<end> emphasises every piece of that cited span
   (a span that crosses another is cut into several marks; CSS :target reaches only the first),
   centres it and moves keyboard focus to it. Without this script the page reads the same and
   the browser still scrolls to the span's first piece. */
(function () {
  "use strict";

  function emphasise() {
    document.querySelectorAll("mark.is-target").forEach(function (piece) {
      piece.classList.remove("is-target");
    });
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!/^c-[0-9]+-[0-9]+$/.test(id)) {
      return;
    }
    var pieces = document.querySelectorAll('mark[data-span="' + id + '"]');
    pieces.forEach(function (piece) {
      piece.classList.add("is-target");
    });
    var first = document.getElementById(id);
    if (first) {
      first.scrollIntoView({ block: "center" });
      first.focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", emphasise);
  // After the browser's own jump to the fragment, which would put the span against the top.
  window.addEventListener("load", emphasise);
})();
