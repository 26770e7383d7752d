// opslab runbooks: the runbook editor at the end of each lesson, and the
// header badges that tell a lead that runbooks wait for review and a
// learner that a review of theirs waits to be read. The lesson page is the
// same for every learner, so the editor is built here from the API. A
// draft is saved as the learner types (and kept in localStorage until the
// server has it, so a reload or a lost connection loses nothing).
(function () {
  "use strict";

  var SAVE_DELAY = 800;   // ms of quiet typing before an autosave
  var RETRY_DELAY = 5000; // ms before retrying a save that did not reach the server

  var statusText = {
    draft: "Draft: not submitted yet",
    submitted: "Submitted: waiting for review",
    changes_requested: "Changes requested",
    approved: "Approved"
  };
  var decisionText = { approve: "approved", changes_requested: "asked for changes", comment: "commented" };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // call sends a JSON request and resolves with {status, data}; it rejects
  // only when the server could not be reached.
  function call(method, url, body, keepalive) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (keepalive) opts.keepalive = true;
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        return { status: r.status, data: data };
      });
    });
  }

  function errorOf(res) {
    return (res.data && res.data.error) || ("The server answered " + res.status + ".");
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString();
  }

  // Badges: a count on the Reviews link for reviewers, and a link to the
  // newest reviewed runbook for its author.
  function refreshBadges() {
    var reviews = document.querySelector("[data-role=badge-reviews]");
    var runbooks = document.querySelector("[data-role=badge-runbooks]");
    if (!reviews && !runbooks) return;
    call("GET", "/api/me/badges").then(function (res) {
      if (res.status !== 200 || !res.data) return;
      var b = res.data;
      if (reviews) {
        var rc = reviews.querySelector("[data-role=badge-count]");
        if (b.reviewer) reviews.hidden = false;
        rc.textContent = String(b.reviews_waiting);
        rc.hidden = b.reviews_waiting === 0;
        reviews.setAttribute("aria-label", b.reviews_waiting === 1 ? "Reviews: 1 runbook waits for you" :
          "Reviews: " + b.reviews_waiting + " runbooks wait for you");
      }
      if (runbooks) {
        var uc = runbooks.querySelector("[data-role=badge-count]");
        runbooks.hidden = b.runbook_updates === 0;
        uc.textContent = String(b.runbook_updates);
        if (b.updates.length > 0) {
          runbooks.href = b.updates[0].url;
          runbooks.title = "New review of your runbook for " + b.updates[0].lesson_title;
          runbooks.setAttribute("aria-label", "Runbook feedback: " + b.runbook_updates + " new, on " + b.updates[0].lesson_title);
        }
      }
    }).catch(function () {});
  }
  window.opslabRunbookBadges = refreshBadges;

  function Editor(section, course, lesson) {
    this.section = section;
    this.url = "/api/courses/" + encodeURIComponent(course) + "/lessons/" + encodeURIComponent(lesson) + "/runbook";
    this.place = course + "/" + lesson;
    this.state = null;
    this.revision = 0;
    this.saving = null;    // the save in flight, a promise
    this.timer = null;
    this.dirty = false;    // the textarea holds text the server does not have
    this.stopped = false;  // a conflict: no more autosaves until a reload
    this.build();
  }

  Editor.prototype.build = function () {
    var s = this.section, self = this;
    var head = el("div", { "class": "runbook-head" });
    this.statusEl = el("span", { "class": "runbook-status", "data-role": "runbook-status" }, "Loading…");
    head.appendChild(this.statusEl);
    s.appendChild(head);
    s.appendChild(el("p", { "class": "runbook-intro" },
      "Write the runbook this lesson's Practice section asks for, in Markdown. It is saved as you type; " +
      "submit it for review when it is ready, and your team lead will answer here."));
    // The reviews come first: when changes are asked for, they are what
    // the learner needs to read before editing.
    this.historyEl = el("div", { "class": "runbook-history", "data-role": "runbook-history" });
    s.appendChild(this.historyEl);

    var tabs = el("div", { "class": "runbook-tabs", role: "tablist", "aria-label": "Runbook editor" });
    this.writeTab = el("button", { type: "button", role: "tab", id: "runbook-tab-write", "aria-controls": "runbook-panel-write",
      "aria-selected": "true", "data-role": "runbook-tab-write", "class": "runbook-tab" }, "Write");
    this.previewTab = el("button", { type: "button", role: "tab", id: "runbook-tab-preview", "aria-controls": "runbook-panel-preview",
      "aria-selected": "false", tabindex: "-1", "data-role": "runbook-tab-preview", "class": "runbook-tab" }, "Preview");
    tabs.appendChild(this.writeTab);
    tabs.appendChild(this.previewTab);
    s.appendChild(tabs);

    var writePanel = el("div", { role: "tabpanel", id: "runbook-panel-write", "aria-labelledby": "runbook-tab-write", "class": "runbook-panel" });
    this.textarea = el("textarea", { "class": "runbook-body", "data-role": "runbook-body", rows: "20", spellcheck: "true",
      "aria-label": "Your runbook, in Markdown", disabled: "" });
    writePanel.appendChild(this.textarea);
    s.appendChild(writePanel);
    this.writePanel = writePanel;

    this.previewPanel = el("div", { role: "tabpanel", id: "runbook-panel-preview", "aria-labelledby": "runbook-tab-preview",
      "class": "runbook-panel runbook-rendered", "data-role": "runbook-preview", hidden: "", tabindex: "0" });
    s.appendChild(this.previewPanel);

    var bar = el("div", { "class": "runbook-bar" });
    this.submitBtn = el("button", { type: "button", "class": "button", "data-role": "runbook-submit", disabled: "" }, "Submit for review");
    this.saveEl = el("span", { "class": "runbook-save", "data-role": "runbook-save-status", "aria-live": "polite" });
    this.sizeEl = el("span", { "class": "runbook-size", hidden: "" });
    bar.appendChild(this.submitBtn);
    bar.appendChild(this.saveEl);
    bar.appendChild(this.sizeEl);
    s.appendChild(bar);

    this.noticeEl = el("div", { "class": "runbook-notice", "data-role": "runbook-notice", role: "status", hidden: "" });
    s.appendChild(this.noticeEl);

    this.writeTab.addEventListener("click", function () { self.showTab(false); });
    this.previewTab.addEventListener("click", function () { self.showTab(true); });
    tabs.addEventListener("keydown", function (ev) {
      if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
      var preview = self.previewTab.getAttribute("aria-selected") !== "true";
      self.showTab(preview);
      (preview ? self.previewTab : self.writeTab).focus();
      ev.preventDefault();
    });
    this.textarea.addEventListener("input", function () { self.edited(); });
    this.submitBtn.addEventListener("click", function () { self.submit(); });
    window.addEventListener("pagehide", function () { self.flushOnLeave(); });
  };

  Editor.prototype.showTab = function (preview) {
    this.writeTab.setAttribute("aria-selected", String(!preview));
    this.previewTab.setAttribute("aria-selected", String(preview));
    this.writeTab.tabIndex = preview ? -1 : 0;
    this.previewTab.tabIndex = preview ? 0 : -1;
    this.writePanel.hidden = preview;
    this.previewPanel.hidden = !preview;
    if (!preview) return;
    var panel = this.previewPanel;
    panel.textContent = "Rendering…";
    call("POST", this.url + "/preview", { body: this.textarea.value }).then(function (res) {
      if (res.status !== 200) { panel.textContent = "No preview: " + errorOf(res); return; }
      // Rendered by the server's safe renderer: no raw HTML, links sanitised.
      panel.innerHTML = res.data.html || "<p><em>Nothing written yet.</em></p>";
    }).catch(function () { panel.textContent = "No preview: the server cannot be reached."; });
  };

  // Local copy: what the textarea holds and the revision it started from,
  // kept until the server has the same text.
  Editor.prototype.localKey = function () {
    return "opslab-runbook:" + this.state.author_id + ":" + this.place;
  };
  Editor.prototype.readLocal = function () {
    try { return JSON.parse(localStorage.getItem(this.localKey()) || "null"); } catch (e) { return null; }
  };
  Editor.prototype.writeLocal = function () {
    try {
      localStorage.setItem(this.localKey(), JSON.stringify({ base: this.revision, body: this.textarea.value, at: new Date().toISOString() }));
    } catch (e) { /* storage full or off: the server copy is all there is */ }
  };
  Editor.prototype.clearLocal = function () {
    try { localStorage.removeItem(this.localKey()); } catch (e) {}
  };

  Editor.prototype.load = function () {
    var self = this;
    return call("GET", this.url).then(function (res) {
      if (res.status !== 200) { self.setSave("error", "The runbook could not be loaded: " + errorOf(res)); return; }
      self.state = res.data;
      self.revision = res.data.revision;
      var saved = res.data.revision > 0 ? res.data.draft : "";
      self.textarea.value = res.data.revision > 0 ? res.data.draft : res.data.template;
      self.textarea.disabled = false;
      self.submitBtn.disabled = false;
      var local = self.readLocal();
      if (local && typeof local.body === "string" && local.body !== saved) {
        if (local.base === res.data.revision) {
          self.textarea.value = local.body;
          self.notice("Restored the changes this browser had not saved yet.");
          self.edited();
        } else {
          self.offerLocal(local);
        }
      } else if (local) {
        self.clearLocal();
      }
      if (!self.dirty) {
        if (res.data.revision > 0) self.setSave("ok", "Saved " + when(res.data.draft_updated_at));
        else self.setSave("idle", "Not started yet");
      }
      self.render();
    }).catch(function () {
      self.setSave("error", "The runbook could not be loaded: the server cannot be reached.");
    });
  };

  // offerLocal lets the learner take back a copy this browser kept of an
  // older revision: the server's text is newer, so nothing is overwritten
  // unless they ask.
  Editor.prototype.offerLocal = function (local) {
    var self = this;
    this.noticeEl.textContent = "";
    this.noticeEl.appendChild(el("span", {}, "This browser kept a copy you had not saved (" + when(local.at) +
      "), but the runbook was saved since, from another tab or device. "));
    var use = el("button", { type: "button", "class": "button button-small button-secondary", "data-role": "runbook-use-local" }, "Use this browser's copy");
    var drop = el("button", { type: "button", "class": "button button-small button-secondary" }, "Discard it");
    use.addEventListener("click", function () {
      self.textarea.value = local.body;
      self.noticeEl.hidden = true;
      self.edited();
    });
    drop.addEventListener("click", function () { self.clearLocal(); self.noticeEl.hidden = true; });
    this.noticeEl.appendChild(use);
    this.noticeEl.appendChild(el("span", {}, " "));
    this.noticeEl.appendChild(drop);
    this.noticeEl.hidden = false;
  };

  Editor.prototype.notice = function (text) {
    this.noticeEl.textContent = text;
    this.noticeEl.hidden = false;
  };

  Editor.prototype.setSave = function (kind, text) {
    this.saveEl.textContent = text;
    this.saveEl.className = "runbook-save " + kind;
    this.saveEl.dataset.state = kind;
  };

  Editor.prototype.edited = function () {
    if (!this.state) return;
    this.dirty = true;
    this.state.draft_changed = true;
    this.writeLocal();
    this.showSize();
    if (this.stopped) return;
    this.setSave("pending", "Saving…");
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.save(); }, SAVE_DELAY);
  };

  Editor.prototype.showSize = function () {
    var n = new TextEncoder().encode(this.textarea.value).length, max = this.state.max_bytes;
    this.sizeEl.hidden = n < max * 0.75;
    this.sizeEl.textContent = Math.ceil(n / 1024) + " of " + Math.round(max / 1024) + " KiB";
    this.sizeEl.className = "runbook-size" + (n > max ? " over" : "");
  };

  // save sends the textarea to the server unless a save is in flight (it
  // runs again when that one ends). It resolves when the server has the
  // text or refused it.
  Editor.prototype.save = function () {
    var self = this;
    clearTimeout(this.timer);
    if (this.stopped) return Promise.resolve(false);
    if (this.saving) {
      return this.saving.then(function () { return self.dirty ? self.save() : true; });
    }
    var body = this.textarea.value;
    this.setSave("pending", "Saving…");
    this.saving = call("PUT", this.url, { body: body, revision: this.revision }).then(function (res) {
      self.saving = null;
      if (res.status === 200) {
        self.revision = res.data.revision;
        self.state.revision = res.data.revision;
        self.state.draft = body;
        if (self.textarea.value === body) {
          self.dirty = false;
          self.clearLocal();
          self.setSave("ok", "Saved");
          return true;
        }
        self.writeLocal();
        return self.save();
      }
      if (res.status === 409) {
        // Another tab or device saved since: never overwrite its text.
        self.stopped = true;
        self.setSave("error", "Not saved: " + errorOf(res));
        self.conflictNotice();
        return false;
      }
      self.setSave("error", "Not saved: " + errorOf(res) + " Your text is kept in this browser.");
      return false;
    }, function () {
      self.saving = null;
      self.setSave("error", "Not saved: the server cannot be reached. Your text is kept in this browser; trying again…");
      self.timer = setTimeout(function () { self.save(); }, RETRY_DELAY);
      return false;
    });
    return this.saving;
  };

  Editor.prototype.conflictNotice = function () {
    this.noticeEl.textContent = "";
    this.noticeEl.appendChild(el("span", {}, "Your text stays in this box and in this browser. "));
    var reload = el("button", { type: "button", "class": "button button-small button-secondary", "data-role": "runbook-reload" }, "Load the saved runbook");
    reload.addEventListener("click", function () { location.reload(); });
    this.noticeEl.appendChild(reload);
    this.noticeEl.hidden = false;
  };

  // flushOnLeave sends unsaved text as the page goes away; the local copy
  // covers the case where it does not arrive.
  Editor.prototype.flushOnLeave = function () {
    if (!this.dirty || this.stopped || this.saving || !this.state) return;
    if (this.textarea.value.length > 60000) return; // keepalive bodies are capped at 64 KiB
    clearTimeout(this.timer);
    call("PUT", this.url, { body: this.textarea.value, revision: this.revision }, true).catch(function () {});
  };

  Editor.prototype.submit = function () {
    var self = this;
    if (!this.state) return;
    if (this.revision === 0 && !this.dirty) {
      this.notice("Write your runbook first: the headings are only a start.");
      return;
    }
    this.submitBtn.disabled = true;
    var ready = this.dirty ? this.save() : Promise.resolve(true);
    ready.then(function (ok) {
      if (!ok) { self.submitBtn.disabled = false; return; }
      return call("POST", self.url + "/submit", { revision: self.revision }).then(function (res) {
        self.submitBtn.disabled = false;
        if (res.status !== 200) { self.notice("Not submitted: " + errorOf(res)); return; }
        self.state = res.data;
        self.revision = res.data.revision;
        var v = res.data.versions[res.data.versions.length - 1];
        self.notice("Submitted version " + v.number + " for review.");
        self.render();
      });
    }).catch(function () {
      self.submitBtn.disabled = false;
      self.notice("Not submitted: the server cannot be reached.");
    });
  };

  // render shows the status, the versions and the reviews.
  Editor.prototype.render = function () {
    var st = this.state, self = this;
    this.statusEl.textContent = statusText[st.status] || st.status;
    this.statusEl.dataset.status = st.status;
    this.statusEl.className = "runbook-status status-" + st.status;
    this.submitBtn.textContent = st.versions.length > 0 ? "Submit a new version" : "Submit for review";

    var h = this.historyEl;
    h.textContent = "";
    if (st.versions.length > 0) {
      var last = st.versions[st.versions.length - 1];
      h.appendChild(el("p", { "class": "runbook-versions", "data-role": "runbook-versions" },
        st.versions.length === 1 ? "Version 1 submitted " + when(last.created_at) + "." :
          st.versions.length + " versions; the latest, version " + last.number + ", submitted " + when(last.created_at) + "."));
    }
    if (st.reviews.length === 0) return;
    h.appendChild(el("h3", { "class": "runbook-reviews-title" }, "Reviews"));
    var list = el("ol", { "class": "runbook-reviews", "data-role": "runbook-reviews", reversed: "" });
    var newest = 0;
    st.reviews.slice().reverse().forEach(function (r) {
      var li = el("li", { "class": "runbook-review decision-" + r.decision + (r.unseen ? " unseen" : ""), "data-role": "runbook-review" });
      var head = el("p", { "class": "runbook-review-head" });
      head.appendChild(el("strong", {}, r.reviewer_name));
      head.appendChild(document.createTextNode(" " + (decisionText[r.decision] || r.decision) + " on version " + r.version + " · " + when(r.created_at)));
      if (r.unseen) head.appendChild(el("span", { "class": "runbook-new" }, "New"));
      li.appendChild(head);
      if (r.comment_html) {
        var c = el("div", { "class": "runbook-review-comment runbook-rendered", "data-role": "runbook-review-comment" });
        // Rendered by the server's safe renderer.
        c.innerHTML = r.comment_html;
        li.appendChild(c);
      }
      list.appendChild(li);
      newest = Math.max(newest, r.id);
    });
    h.appendChild(list);
    if (newest > st.seen_review) this.markSeenWhenRead(list, newest);
  };

  // markSeenWhenRead tells the server the reviews were read once the list
  // is on screen, and updates the badges.
  Editor.prototype.markSeenWhenRead = function (list, newest) {
    var self = this, done = false;
    function seen() {
      if (done) return;
      done = true;
      call("POST", self.url + "/seen", { review: newest }).then(function (res) {
        if (res.status === 204) { self.state.seen_review = newest; refreshBadges(); }
      }).catch(function () {});
    }
    if (!("IntersectionObserver" in window)) { seen(); return; }
    var io = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { io.disconnect(); seen(); }
    });
    io.observe(list);
  };

  document.addEventListener("DOMContentLoaded", function () {
    refreshBadges();
    var section = document.querySelector("[data-role=runbook]");
    var layout = document.querySelector(".lesson-layout");
    if (!section || !layout) return;
    new Editor(section, layout.dataset.course, layout.dataset.lesson).load();
  });
})();
