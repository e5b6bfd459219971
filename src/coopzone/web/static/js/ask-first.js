// Forms that move money or sign for a side ask first: a form with data-confirm="…" submits
// only if the user accepts that message (the amount and its Chinese capitals, the parties).
// The message is an attribute the server escaped; window.confirm shows it as plain text.
// Without JavaScript the form submits as before; the server still checks the version the
// page showed (lock_version), so a changed figure is never confirmed or paid unseen.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) {
      return;
    }
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
