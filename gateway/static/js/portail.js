// Progressive enhancement only: every page works without this script.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // Bring the error summary to the keyboard and screen-reader user's attention.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  // One-click confirmation pages (e-mailed links) submit themselves when scripts run;
  // without scripts the parent presses the button.
  var auto = document.querySelector("form[data-autosubmit]");
  if (auto && !summary) {
    var button = auto.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = "Confirmation en cours…";
    }
    auto.submit();
  }
});
