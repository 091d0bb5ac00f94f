// Optional comforts for the search page, which works without them:
// "/" focuses the search box, and changing the order or a source filter
// searches again at once.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.search");
  const box = document.getElementById("q");
  if (!form || !box) {
    return;
  }
  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLElement &&
      event.target.matches("input, select, textarea");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
  for (const field of form.querySelectorAll("select")) {
    field.addEventListener("change", () => {
      if (box.value.trim()) {
        form.requestSubmit();
      }
    });
  }
});
