// Team pages: progressive enhancement only. Without script the forms work
// as they are; with it, the new invite link gets a Copy button and removing
// a member or revoking a link asks first.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var url = document.querySelector("[data-role=invite-url]");
    var copy = document.querySelector("[data-role=copy-invite]");
    if (url) {
      url.addEventListener("focus", function () { url.select(); });
    }
    if (url && copy && navigator.clipboard) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url.value).then(function () {
          copy.textContent = "Copied";
          setTimeout(function () { copy.textContent = "Copy"; }, 1500);
        }, function () {
          url.select();
        });
      });
    }

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
  });
})();
