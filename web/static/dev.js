// opslab dev mode ("opslab serve --dev"): only pages served in dev mode
// load this script. It reloads the page when the content folder changes
// (server-sent events from /dev/events) and lists the content's problems
// in a panel over the page (from /dev/problems).
(function () {
  "use strict";

  var tag = document.querySelector("script[data-dev-version]");
  // The content version this page was made from.
  var version = tag ? tag.getAttribute("data-dev-version") : "";
  var panel = null;
  var dismissedKey = "opslab-dev-dismissed";

  var events = new EventSource("/dev/events");
  function reload() {
    events.close();
    location.reload();
  }
  // "hello" comes when the stream opens: a different version means the
  // content changed while the page loaded, or the server restarted.
  events.addEventListener("hello", function (e) {
    if (e.data !== version) reload();
  });
  events.addEventListener("reload", function (e) {
    if (e.data !== version) reload();
  });
  window.addEventListener("pagehide", function () { events.close(); });

  function remember(key) {
    try { sessionStorage.setItem(dismissedKey, key); } catch (e) {}
  }
  function dismissedList() {
    try { return sessionStorage.getItem(dismissedKey); } catch (e) { return null; }
  }

  function hide() {
    if (panel) panel.remove();
    panel = null;
  }

  function show(problems) {
    hide();
    var key = problems.join("\n");
    // A dismissed list stays dismissed until the problems change.
    if (problems.length === 0 || dismissedList() === key) return;

    panel = document.createElement("section");
    panel.className = "dev-overlay";
    panel.id = "dev-overlay";
    panel.setAttribute("role", "alert");
    panel.setAttribute("aria-labelledby", "dev-overlay-title");

    var head = document.createElement("div");
    head.className = "dev-overlay-head";
    var title = document.createElement("h2");
    title.id = "dev-overlay-title";
    title.className = "dev-overlay-title";
    // Warnings come after the problems, each reading "path:line: warning: ...".
    var nWarn = problems.filter(function (p) { return /^[^:]*:\d+: warning: /.test(p); }).length;
    var nProb = problems.length - nWarn;
    var parts = [];
    if (nProb > 0) parts.push(nProb === 1 ? "1 content problem" : nProb + " content problems");
    if (nWarn > 0) parts.push(nWarn === 1 ? "1 warning" : nWarn + " warnings");
    title.textContent = parts.join(", ");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "dev-overlay-close";
    close.setAttribute("aria-label", "Dismiss the content problems");
    close.textContent = "×";
    close.addEventListener("click", function () {
      remember(key);
      hide();
    });
    head.appendChild(title);
    head.appendChild(close);

    var note = document.createElement("p");
    note.className = "dev-overlay-note";
    note.textContent = nProb > 0
      ? "A lesson with problems is served in its last good version. Save a fix and the page reloads. Esc dismisses."
      : "Warnings leave the lesson served as it is; opslab lint --strict fails on them. Save a fix and the page reloads. Esc dismisses.";

    var list = document.createElement("ul");
    list.className = "dev-overlay-list";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = p;
      li.appendChild(code);
      list.appendChild(li);
    });

    panel.appendChild(head);
    panel.appendChild(note);
    panel.appendChild(list);
    document.body.appendChild(panel);
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && panel) {
      var close = panel.querySelector(".dev-overlay-close");
      if (close) close.click();
    }
  });

  fetch("/dev/problems", { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : []; })
    .then(function (problems) { show(Array.isArray(problems) ? problems : []); })
    .catch(function () {});
})();
