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

// Issue 12: a text field with a limit (data-maxchars, see pages/forms.py) shows a live count
// such as "12/200" next to its hint, red when over; the server refuses an over-long value with
// a message (no maxlength attribute cuts a paste silently). It counts what the server will:
// characters (code points), with the CR LF a form sends for every line break.
function portalCount(field) {
  var max = parseInt(field.getAttribute("data-maxchars"), 10);
  var out = field.id ? document.getElementById(field.id + "-count") : null;
  if (!max || !out) return;
  var n = Array.from(field.value.replace(/\r?\n/g, "\r\n")).length;
  out.textContent = n ? n + "/" + max : "";
  out.classList.toggle("over", n > max);
}

function portalCountAll(root) {
  var fields = (root || document).querySelectorAll("[data-maxchars]");
  for (var i = 0; i < fields.length; i++) portalCount(fields[i]);
}

document.addEventListener("input", function (evt) {
  var field = evt.target instanceof Element ? evt.target : null;
  if (field && field.hasAttribute("data-maxchars")) portalCount(field);
});
document.addEventListener("DOMContentLoaded", function () { portalCountAll(document); });
document.addEventListener("htmx:afterSettle", function () { portalCountAll(document); });

// Issue 12: "use this customer's details" in the intake's second-check fragment (swapped in by
// htmx, so the click is delegated). The button carries only what the user may see
// (portal/lookup.py), one data- attribute per form field: data-customer-name fills
// customer_name. An input event keeps the counts right; no change event, so the look-up is
// not run again under the user's cursor.
var FILL_FIELDS = ["customer_name", "customer_phone", "customer_email", "customer_address"];
document.addEventListener("click", function (evt) {
  var target = evt.target instanceof Element ? evt.target : null;
  var button = target ? target.closest('[data-action="fill-customer"]') : null;
  if (!button) return;
  var form = button.closest("form");
  if (!form) return;
  FILL_FIELDS.forEach(function (name) {
    var value = button.getAttribute("data-" + name.replace(/_/g, "-"));
    var field = form.elements.namedItem(name);
    if (value === null || !field) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
  var status = button.parentNode.querySelector("[data-fill-status]");
  if (status && button.getAttribute("data-done")) status.textContent = button.getAttribute("data-done");
});

// Escape closes an open header menu and gives the focus back to its button.
document.addEventListener("keydown", function (evt) {
  if (evt.key !== "Escape") return;
  var toggle = document.querySelector('[data-menu-toggle][aria-expanded="true"]');
  if (!toggle) return;
  setMenu(toggle, false);
  toggle.focus();
});
