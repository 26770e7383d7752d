// opslab page script: progressive enhancement only. Every page works
// without it; with it, themes persist, hints reveal one at a time, code
// blocks get copy buttons, and lesson progress updates without a reload.
(function () {
  "use strict";

  var root = document.documentElement;

  // Theme: remembered per browser; the default follows the system.
  function applyTheme(t) {
    if (t === "light" || t === "dark") root.setAttribute("data-theme", t);
    else root.removeAttribute("data-theme");
  }
  try { applyTheme(localStorage.getItem("opslab-theme")); } catch (e) {}

  function api(method, url, body) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : null;
        if (!r.ok) throw new Error((data && data.error) || ("HTTP " + r.status));
        return data;
      });
    });
  }
  window.opslab = { api: api };

  function setProgress(p) {
    var pct = p.total_exercises + p.total_lessons === 0 ? 0 : p.percent;
    document.querySelectorAll("[data-role=progress-bar]").forEach(function (el) {
      el.value = pct;
      el.textContent = pct + "%";
    });
    document.querySelectorAll("[data-role=progress-text]").forEach(function (el) {
      el.textContent = pct + "% · " + p.completed_lessons + " of " + p.total_lessons +
        " lessons completed · " + p.passed_exercises + " of " + p.total_exercises + " exercises passed";
    });
  }
  window.opslab.setProgress = setProgress;

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-role=theme-toggle]");
    if (toggle) toggle.addEventListener("click", function () {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.hasAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      applyTheme(next);
      try { localStorage.setItem("opslab-theme", next); } catch (e) {}
    });

    // Hints: one at a time. Opening hint i makes hint i+1 available.
    document.querySelectorAll("[data-role=hints]").forEach(function (box) {
      var hints = box.querySelectorAll("details.hint");
      hints.forEach(function (h, i) {
        if (i > 0) h.hidden = true;
        h.addEventListener("toggle", function () {
          if (h.open && hints[i + 1]) hints[i + 1].hidden = false;
          if (h.open) box.dispatchEvent(new CustomEvent("hint-revealed", { bubbles: true, detail: { index: i } }));
        });
      });
    });

    // Copy buttons on code blocks.
    document.querySelectorAll(".lesson-body pre").forEach(function (pre) {
      if (navigator.clipboard) copyButton(pre);
      pasteButton(pre);
    });
    function copyButton(pre) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "copy-button";
      b.textContent = "Copy";
      b.setAttribute("aria-label", "Copy this code");
      b.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        navigator.clipboard.writeText(code.innerText.replace(/\n$/, "")).then(function () {
          b.textContent = "Copied";
          setTimeout(function () { b.textContent = "Copy"; }, 1500);
        });
      });
      pre.appendChild(b);
    }
    // With a card's terminal open, a block can go straight to it: pasted
    // at the prompt, for the learner to read and run with Enter.
    function pasteButton(pre) {
      var t = document.createElement("button");
      t.type = "button";
      t.className = "copy-button paste-button";
      t.textContent = "To terminal";
      t.setAttribute("aria-label", "Paste this code into the open terminal");
      t.addEventListener("click", function () {
        var shell = window.opslab && window.opslab.activeShell;
        if (!shell) return;
        var code = pre.querySelector("code") || pre;
        shell.paste(code.innerText.replace(/\n$/, ""));
      });
      pre.appendChild(t);
    }

    var layout = document.querySelector(".lesson-layout");
    if (!layout) return;
    var base = "/api/courses/" + encodeURIComponent(layout.dataset.course) +
      "/lessons/" + encodeURIComponent(layout.dataset.lesson);

    // Mark done without a reload.
    var form = document.querySelector("[data-role=done-form]");
    if (form) form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var button = form.querySelector("[data-role=done-button]");
      var done = button.dataset.done !== "true";
      button.disabled = true;
      api("POST", base + "/complete", { done: done }).then(function (res) {
        button.dataset.done = String(res.done);
        form.querySelector("input[name=done]").value = String(!res.done);
        button.textContent = res.done ? "Mark as not done" : "Mark lesson as done";
        var state = document.querySelector("[data-role=lesson-state]");
        if (state) state.textContent = res.state_text;
        setProgress(res.progress);
      }).catch(function (e) { alert(e.message); }).then(function () { button.disabled = false; });
    });

    // Exercises already passed.
    api("GET", base).then(function (lesson) {
      (lesson.exercises || []).forEach(function (ex) {
        var card = document.getElementById("exercise-" + ex.id);
        if (!card || !ex.passed) return;
        card.classList.add("passed");
        var s = card.querySelector("[data-role=status]");
        if (s) { s.textContent = "✓ Passed"; s.classList.add("ok"); }
        // The pass still counts; the learner may want a fresh look.
        if (ex.changed_since_pass && !card.querySelector("[data-role=changed-notice]")) {
          var note = document.createElement("p");
          note.className = "exercise-changed";
          note.setAttribute("data-role", "changed-notice");
          note.textContent = "This exercise changed since you passed it.";
          var head = card.querySelector(".exercise-head");
          card.insertBefore(note, head ? head.nextSibling : card.firstChild);
        }
      });
    }).catch(function () {});

    // Active reading time: counted while the page is visible and the
    // reader did something in the last two minutes.
    var last = Date.now();
    ["scroll", "keydown", "mousemove", "click", "touchstart"].forEach(function (t) {
      window.addEventListener(t, function () { last = Date.now(); }, { passive: true });
    });
    setInterval(function () {
      if (document.visibilityState !== "visible" || Date.now() - last > 120000) return;
      fetch(base + "/activity", {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ seconds: 30 })
      }).catch(function () {});
    }, 30000);

    // Highlight the table-of-contents entry of the section being read: the
    // last heading above the top third of the window.
    var links = {};
    document.querySelectorAll(".toc a").forEach(function (a) { links[a.getAttribute("href").slice(1)] = a; });
    var heads = Array.prototype.slice.call(document.querySelectorAll(".lesson-body h2[id], .lesson-body h3[id]"));
    var pending = false;
    function markActive() {
      pending = false;
      var cut = window.innerHeight * 0.3, cur = null;
      heads.forEach(function (h) { if (h.getBoundingClientRect().top <= cut) cur = h; });
      Object.keys(links).forEach(function (k) { links[k].classList.toggle("active", !!cur && k === cur.id); });
      if (cur && links[cur.id] && links[cur.id].scrollIntoView) {
        var toc = document.querySelector(".toc");
        var a = links[cur.id];
        if (toc && (a.offsetTop < toc.scrollTop || a.offsetTop > toc.scrollTop + toc.clientHeight - 40)) {
          toc.scrollTop = a.offsetTop - toc.clientHeight / 2;
        }
      }
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; requestAnimationFrame(markActive); }
    }, { passive: true });
    markActive();
  });
})();
