/* The portal's own behaviour, small and optional (every page works without it): focus the error summary so a
   screen reader reads it first; send a form once even when its button is clicked twice (the Idempotency-Key
   makes a second send harmless anyway); the division picker's next level without a page reload; remove a
   household member's row; print the receipt. */
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.name) { return; }  // add a row, change an answer: not the final send
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
});

document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-division]") || !window.htmx) { return; }
  var picker = select.closest(".division-picker");
  var code = select.value || select.dataset.parent;
  var id = select.id;
  if (!picker || !/^[0-9]{2,12}$/.test(code)) { return; }
  htmx.ajax("GET", "/divisions/" + code + "/children", {target: picker, swap: "outerHTML"}).then(function () {
    var again = document.getElementById(id);
    if (again) { again.focus(); }  // the person stays where they were; the next level follows
  });
});

document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-remove], [data-print]") : null;
  if (!button) { return; }
  if (button.hasAttribute("data-print")) { window.print(); return; }
  var row = document.getElementById(button.getAttribute("data-remove"));
  if (!row) { return; }
  var next = row.nextElementSibling || document.getElementById("add-row");
  row.remove();  // a row left out is not sent; the next page numbers the rest again
  var focusable = next && (next.querySelector ? next.querySelector("input") : null) || document.getElementById("add-row");
  if (focusable) { focusable.focus(); }
});
