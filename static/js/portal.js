// One convention for errors over htmx: 409 (not allowed now / stale) and 422 (invalid form)
// answers carry the re-rendered fragment with its message, so they are swapped like 200s.
// Other 4xx/5xx are not swapped; a banner says something went wrong and nothing changed.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  document.body.addEventListener("htmx:responseError", function (evt) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var msg = document.body.dataset.errorMessage || "Error";
    box.innerHTML = '<p class="flash flash-error" role="alert"></p>';
    box.firstChild.textContent = msg + " (" + evt.detail.xhr.status + ")";
  });
});

// Behaviour the templates ask for with data attributes (the CSP forbids inline handlers):
// [data-print] prints the page; [data-hide-breakdown] empties the table cell its HTMX
// breakdown was swapped into; [data-menu-toggle] opens and closes the header menu of narrow
// screens (the CSS shows the menu while the button says aria-expanded="true").
function setMenu(toggle, open) {
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
}

document.addEventListener("click", function (evt) {
  var target = evt.target instanceof Element ? evt.target : null;
  if (!target) return;
  var toggle = target.closest("[data-menu-toggle]");
  if (toggle) {
    setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
    return;
  }
  if (target.closest("[data-print]")) {
    window.print();
    return;
  }
  var hide = target.closest("[data-hide-breakdown]");
  if (hide) {
    var cell = hide.closest("td");
    if (cell) cell.innerHTML = "";
  }
});

// Escape closes an open header menu and gives the focus back to its button.
document.addEventListener("keydown", function (evt) {
  if (evt.key !== "Escape") return;
  var toggle = document.querySelector('[data-menu-toggle][aria-expanded="true"]');
  if (!toggle) return;
  setMenu(toggle, false);
  toggle.focus();
});
