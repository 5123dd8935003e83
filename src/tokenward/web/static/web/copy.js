/* Copy buttons for secrets shown once. A file, not inline code: the token pages' CSP allows
   scripts from this site only. Without JavaScript the button stays hidden and the value can
   be selected and copied by hand. */
(function () {
  "use strict";

  function say(feedback, text) {
    if (feedback) {
      feedback.textContent = "";
      // A fresh text node makes screen readers announce the message again on a second copy.
      window.setTimeout(function () { feedback.textContent = text; }, 50);
    }
  }

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var feedback = document.getElementById(button.getAttribute("data-copy-feedback"));
    if (!field) {
      return;
    }
    var done = function () { say(feedback, "Copied to the clipboard."); };
    var failed = function () {
      field.focus();
      field.select();
      say(feedback, "Could not copy: the token is selected, press Ctrl+C or ⌘C to copy it.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (copyBySelection(field)) { done(); } else { failed(); }
      });
    } else if (copyBySelection(field)) {
      done();
    } else {
      failed();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
    var heading = document.querySelector("[data-focus-on-load]");
    if (heading) {
      heading.focus();
    }
  });
}());
