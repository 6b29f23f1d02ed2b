// Small progressive enhancement: every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Filters submit as soon as a choice is made.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { if (el.form) el.form.submit(); });
  });
  // A button pressed once is disabled so a slow phone does not record an outage twice.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var b = ev.submitter;
      if (b && form.method === "post") {
        setTimeout(function () { b.disabled = true; }, 0);
      }
    });
  });
});
