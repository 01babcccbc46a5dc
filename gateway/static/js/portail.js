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

// ---- The planning (guide §7, §9): a click updates the planning in place ------------------------
// Without this script every cell is a button posting its form, and the page comes back at the
// same cell. With it, the same request is sent with fetch, the server answers the planning's
// region alone, which replaces the old one; focus stays on the pressed cell and the result is
// said in the status region. The « Sélection automatique des jours » page opens as a dialog.
(function () {
  "use strict";
  var PARTIAL = { "X-Partial": "planning" };

  function status(text) {
    var region = document.getElementById("planning-status");
    if (region && text) {
      region.textContent = "";
      // A new text node after a tick is announced even when it repeats the last message.
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function fallback(form, submitter) {
    // Anything unexpected: the plain form post, which always works.
    if (submitter && submitter.name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
    }
    form.submit();
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var focusId = submitter && submitter.id;
    var dialog = form.closest("dialog");
    var menu = form.closest("details");
    if (submitter) {
      submitter.setAttribute("aria-busy", "true");
    }
    // getAttribute: `form.action` would be the form's field named « action ».
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(data),
      headers: PARTIAL,
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/html") !== 0 || response.status >= 500 || response.redirected) {
        throw new Error("unexpected answer");
      }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#planning");
      var old = document.getElementById("planning");
      if (!fresh || !old) {
        throw new Error("no planning in the answer");
      }
      old.replaceWith(fresh);
      var back = dialog && dialog.returnFocusTo;
      if (dialog && dialog.open) {
        dialog.close();
      }
      if (menu) {
        menu.open = false;
      }
      var target = (focusId && document.getElementById(focusId)) || back ||
        (menu && menu.querySelector("summary")) || document.getElementById("selection-count");
      if (target) {
        if (target.id === "selection-count") {
          target.setAttribute("tabindex", "-1");
        }
        target.focus();
      }
      var error = fresh.getAttribute("data-error");
      if (error) {
        status(error);
      } else if (fresh.getAttribute("data-status")) {
        status(fresh.getAttribute("data-status"));
      } else if (focusId) {
        var cell = document.getElementById(focusId);
        if (cell) {
          status(cell.innerText.split(/\s*\n\s*/).filter(Boolean).join(" "));
        }
      }
    }).catch(function () {
      fallback(form, submitter);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-planning") ||
        !window.fetch || !document.getElementById("planning")) {
      return;
    }
    event.preventDefault();
    send(form, event.submitter || null);
  });

  // « Sélection automatique des jours »: the unit's link opens the dialog instead of the page.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[data-auto]");
    var dialog = document.getElementById("auto-dialog");
    if (link && dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      var unit = dialog.querySelector("select[name=unite]");
      if (unit) {
        unit.value = link.getAttribute("data-auto");
      }
      var menu = link.closest("details");
      if (menu) {
        menu.open = false;
      }
      dialog.returnFocusTo = menu ? menu.querySelector("summary") : link;
      dialog.showModal();
      return;
    }
    var close = event.target instanceof Element && event.target.closest("dialog [data-close]");
    if (close) {
      close.closest("dialog").close();
    }
  });

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.returnFocusTo &&
        !dialog.contains(document.activeElement) &&
        document.activeElement === document.body) {
      dialog.returnFocusTo.focus();
    }
  }, true);

  // A confirmation is sent once: the button says so while the next page loads (the key in the
  // form makes a second send harmless anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-once")) {
      if (form.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.setAttribute("aria-disabled", "true");
        button.textContent = "Enregistrement en cours…";
      }
    }
  });
}());

// ---- « Imprimer la liste » (staff attendance lists): the browser's print, which the page's
// print style lays out; without script the button stays hidden and the browser's menu prints.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();

// ---- Invoices (guide §11): « Détail » opens the invoice in a dialog --------------------------
// Without this script the link opens the invoice's page. With it, the same page is asked for
// its content alone and shown in a modal dialog (Échap or « Fermer » close it, focus goes back
// to the link). The page before PayFiP follows its link at once.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[data-invoice]");
    var dialog = document.getElementById("invoice-dialog");
    var body = document.getElementById("invoice-dialog-body");
    if (!link || !dialog || !body || typeof dialog.showModal !== "function" || !window.fetch ||
        event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    fetch(link.getAttribute("href"), {
      headers: { "X-Partial": "invoice" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("text/html") !== 0 || response.redirected) {
        throw new Error("unexpected answer");
      }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var detail = holder.querySelector("#invoice-detail");
      if (!detail) {
        throw new Error("no invoice in the answer");
      }
      body.replaceChildren(detail);
      var title = detail.querySelector("#invoice-title");
      if (title) {
        dialog.setAttribute("aria-labelledby", "invoice-title");
        dialog.removeAttribute("aria-label");
        title.setAttribute("tabindex", "-1");
      }
      dialog.returnFocusTo = link;
      dialog.showModal();
      if (title) {
        title.focus();
      }
    }).catch(function () {
      window.location.href = link.getAttribute("href");
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var follow = document.querySelector("a[data-follow]");
    if (follow) {
      window.location.assign(follow.getAttribute("href"));
    }
  });
}());

// ---- The waiting room: the page comes back every few seconds ------------------------------------
// Without this script a <noscript> refresh does the same; the parent may stop either (a form).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var waiting = document.querySelector("[data-refresh][data-url]");
    if (waiting) {
      var seconds = parseInt(waiting.getAttribute("data-refresh"), 10) || 5;
      window.setTimeout(function () {
        window.location.replace(waiting.getAttribute("data-url"));
      }, seconds * 1000);
    }
  });
})();
