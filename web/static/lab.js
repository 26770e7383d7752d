// opslab lab: turns each exercise card into a live lab. Start makes the
// learner's sandbox, the console runs real commands, Check runs the typed
// checks, and the task list ticks live after every command. Instructors
// and admins also get a panel per card with the reference solution, the
// checks, anonymous statistics and a Run solution button; its data comes
// from the API, since the card's HTML is the same for everyone.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function button(label, role, cls) {
    var b = el("button", { type: "button", "data-role": role, "class": "button button-small " + (cls || "") }, label);
    return b;
  }

  // codeEl is inline code as the lesson renderer writes it (app.css): one
  // word stays whole, a command wraps only between its words.
  function codeEl(text) {
    var words = text.split(" ");
    if (words.length === 1) return el("code", {}, text);
    var c = el("code", { "class": "code-words" });
    words.forEach(function (w, i) {
      if (i > 0) c.appendChild(document.createTextNode(" "));
      if (w !== "") c.appendChild(el("span", {}, w));
    });
    return c;
  }

  // inline appends src, a line of an author's Markdown (a check's
  // message), to parent: code spans, emphasis, strong and links (http,
  // https, same site), made as elements and text, never parsed as HTML.
  var inlineRE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*]+)\*\*|\*([^*\s][^*]*?)\*|\b_([^_\s][^_]*?)_\b|\[([^\]]+)\]\(([^)\s]+)\)/g;
  function inline(parent, src) {
    var re = new RegExp(inlineRE.source, "g"), last = 0, m;
    while ((m = re.exec(src)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(src.slice(last, m.index)));
      if (m[1]) {
        var code = m[2];
        if (/^ .*[^ ].* $/.test(code)) code = code.slice(1, -1);
        parent.appendChild(codeEl(code));
      } else if (m[3] !== undefined) inline(parent.appendChild(el("strong")), m[3]);
      else if (m[4] !== undefined) inline(parent.appendChild(el("em")), m[4]);
      else if (m[5] !== undefined) inline(parent.appendChild(el("em")), m[5]);
      else if (/^(https?:\/\/|\/[^\/]|#)/.test(m[7])) {
        var a = el("a", { href: m[7] });
        if (/^https?:/.test(m[7])) a.setAttribute("rel", "nofollow noopener noreferrer");
        inline(a, m[6]);
        parent.appendChild(a);
      } else parent.appendChild(document.createTextNode(m[0]));
      last = re.lastIndex;
    }
    if (last < src.length) parent.appendChild(document.createTextNode(src.slice(last)));
  }

  // The console's width is remembered per browser: narrow (the lesson's
  // column) or wide (the page's).
  var wideKey = "opslab.consoleWide";
  function wideSaved() { try { return window.localStorage.getItem(wideKey) === "1"; } catch (e) { return false; } }
  function saveWide(on) { try { window.localStorage.setItem(wideKey, on ? "1" : "0"); } catch (e) { /* not kept */ } }

  function setup(card, base) {
    var api = window.opslab.api;
    var id = card.dataset.exercise;
    var kind = card.dataset.sandbox;
    // A multi-node sandbox lists its nodes, default first.
    var nodes = (card.dataset.nodes || "").split(" ").filter(function (n) { return n !== ""; });
    // The command language is the node's family: redis-cluster speaks
    // Redis, kafka-cluster Kafka; a stack lists each node's family
    // (data-families), so its language follows the picked node.
    var families = (card.dataset.families || "").split(" ").filter(function (n) { return n !== ""; });
    function family() {
      if (families.length && picker) return families[Math.max(0, nodes.indexOf(picker.value))];
      if (families.length) return families[0];
      return kind.indexOf("kafka") === 0 ? "kafka" : kind === "postgres" ? "postgres" : "redis";
    }
    function isKafka() { return family() === "kafka"; }
    function isPostgres() { return family() === "postgres"; }
    var url = base + "/exercises/" + encodeURIComponent(id);
    var lab = card.querySelector("[data-role=lab]");
    var checks = card.querySelectorAll("[data-role=checks] .check");
    var status = card.querySelector("[data-role=status]");
    lab.textContent = "";

    var bar = el("div", { "class": "lab-bar" });
    // Start reads Restart while the sandbox runs, and then starts the
    // exercise again on a fresh sandbox.
    var start = button("Start sandbox", "start");
    var checkBtn = button("Check", "check");
    var solution = button("Show solution", "solution", "button-secondary");
    [start, checkBtn, solution].forEach(function (b) { bar.appendChild(b); });
    var state = el("span", { "class": "lab-state", "data-role": "lab-state", "aria-live": "polite" });
    bar.appendChild(state);
    var widen = button("Widen console", "widen", "button-secondary lab-widen");
    widen.setAttribute("aria-pressed", "false");
    widen.title = "Widen the console to the page, for wide output; remembered in this browser";
    bar.appendChild(widen);
    lab.appendChild(bar);
    var live = false;
    function running(on) {
      live = on;
      start.textContent = on ? "Restart sandbox" : "Start sandbox";
      start.title = on ? "Start the exercise again on a fresh sandbox" : "";
    }
    // fit sizes a wide card to the page, less a margin either side; a
    // narrow card keeps the lesson's column.
    function fit() {
      card.style.width = "";
      card.style.marginLeft = "";
      if (!card.classList.contains("wide")) return;
      var r = card.getBoundingClientRect(), gap = 16;
      var w = document.documentElement.clientWidth - 2 * gap;
      if (w <= r.width) return;
      card.style.width = w + "px";
      card.style.marginLeft = (gap - r.left) + "px";
    }
    function setWide(on) {
      card.classList.toggle("wide", on);
      widen.setAttribute("aria-pressed", on ? "true" : "false");
      widen.textContent = on ? "Narrow console" : "Widen console";
      fit();
      if (shell) shell.fit();
    }
    widen.addEventListener("click", function () {
      var on = !card.classList.contains("wide");
      setWide(on);
      saveWide(on);
      if (shell && !termPane.hidden) shell.focus(); else input.focus();
    });
    window.addEventListener("resize", fit);

    var connect = el("p", { "class": "lab-connect", hidden: "" });
    lab.appendChild(connect);

    // The node picker: which node of a multi-node sandbox the console
    // talks to. Typing "@node command" picks one for a single line.
    var picker = null;
    if (nodes.length > 1) {
      var pick = el("label", { "class": "console-node" }, "Node ");
      picker = el("select", { "data-role": "node", "aria-label": "Node the console runs commands on" });
      nodes.forEach(function (n) { picker.appendChild(el("option", { value: n }, n)); });
      pick.appendChild(picker);
      lab.appendChild(pick);
    }
    // redisPrompts holds redis-cli's prompt per node as the last exec
    // returned it ([1] after SELECT 1, (TX) inside MULTI).
    var redisPrompts = {};
    function promptText() {
      var base = isKafka() ? "$ " : "> ";
      var known = redisPrompts[picker ? picker.value : ""];
      if (known) return known;
      if (isPostgres()) return "appdb=> ";
      if (picker) return picker.value + base;
      return isKafka() ? "$ " : "127.0.0.1:6379> ";
    }

    var term = el("div", { "class": "console", "data-role": "console" });
    var out = el("pre", { "class": "console-output", "data-role": "console-output", role: "log", "aria-live": "polite", tabindex: "0" });
    var line = el("div", { "class": "console-line" });
    var prompt = el("span", { "class": "console-prompt", "aria-hidden": "true" }, promptText());
    var input = el("input", {
      "class": "console-input", "data-role": "console-input", type: "text", autocomplete: "off",
      autocapitalize: "off", spellcheck: "false", "aria-label": inputLabel()
    });
    function inputLabel() { return isKafka() ? "Kafka tool command" : isPostgres() ? "SQL statement or psql meta-command" : "Redis command"; }
    line.appendChild(prompt);
    line.appendChild(input);
    term.appendChild(out);
    term.appendChild(line);
    lab.appendChild(term);
    function helpText() {
      return (isKafka() ? "Type Kafka tool commands such as kafka-topics --list; after kafka-console-producer, type one record per line and end with Ctrl+D. ↑/↓ history, Ctrl+L clears."
             : isPostgres() ? "Type SQL or a psql meta-command such as \\dt, run by psql as your role on appdb; each line is a session of its own. ↑/↓ history, Ctrl+L clears."
             : "Type Redis commands as in redis-cli. ↑/↓ history, Ctrl+L clears.") +
      (picker ? " Pick a node above, or start a line with @node (e.g. @" + nodes[1] + ")." : "") +
      (card.dataset.requires && card.dataset.requires.split(" ").indexOf("real-kafka") >= 0 && picker && isKafka()
        ? " systemctl stop kafka, systemctl start kafka and systemctl status kafka act on the picked broker." : "");
    }
    var help = el("p", { "class": "console-help", "data-role": "console-help" }, helpText());
    lab.appendChild(help);
    if (picker) picker.addEventListener("change", function () {
      prompt.textContent = promptText();
      input.setAttribute("aria-label", inputLabel());
      help.textContent = helpText();
      input.focus();
    });

    // Console and Terminal tabs: the terminal is a real shell beside the
    // sandbox (terminal.js, loaded with xterm.js on first use).
    var tabs = el("div", { "class": "lab-tabs", role: "tablist", "aria-label": "How to work on the sandbox" });
    var consoleTab = el("button", { type: "button", role: "tab", "class": "lab-tab", "data-role": "tab-console", "aria-selected": "true" }, "Console");
    var termTab = el("button", { type: "button", role: "tab", "class": "lab-tab", "data-role": "tab-terminal", "aria-selected": "false" }, "Terminal");
    tabs.appendChild(consoleTab);
    tabs.appendChild(termTab);
    lab.insertBefore(tabs, term);
    var termPane = el("div", { "class": "terminal-pane", "data-role": "terminal", hidden: "" });
    var termNote = el("p", { "class": "terminal-note", "data-role": "terminal-note", "aria-live": "polite", hidden: "" });
    var termHelp = el("p", { "class": "console-help", hidden: "" },
      "A real bash beside your sandbox, with the real tools: " +
      (families.length ? "psql (the database is db), pg_dump appdb, redis-cli -h redis, kafka-topics --bootstrap-server broker:9092 --list"
        : isKafka() ? "kafka-topics --bootstrap-server broker:9092 --list, kcat -b broker:9092 -L"
        : isPostgres() ? "psql, pg_dump appdb" : "redis-cli -h redis") +
      ". Your home folder lasts as long as the sandbox.");
    lab.insertBefore(termPane, help);
    lab.insertBefore(termNote, help);
    lab.insertBefore(termHelp, help);
    var shell = null, loading = null;
    function showTab(terminal) {
      consoleTab.setAttribute("aria-selected", terminal ? "false" : "true");
      termTab.setAttribute("aria-selected", terminal ? "true" : "false");
      [term, line, help].forEach(function (e) { e.hidden = terminal; });
      if (picker) picker.parentNode.hidden = terminal;
      termPane.hidden = !terminal;
      termHelp.hidden = !terminal;
      if (!terminal) { input.focus(); return; }
      if (shell) { window.opslab.activeShell = shell; shell.reopen(); shell.fit(); shell.focus(); return; }
      if (!loading) loading = window.opslab.loadTerminal();
      loading.then(function () {
        shell = window.opslab.openTerminal(termPane, url, function (text) {
          termNote.textContent = text;
          termNote.hidden = text === "";
        });
        running(true);
        window.opslab.activeShell = shell;
        document.body.classList.add("has-terminal");
        shell.focus();
      }).catch(function (e) {
        termNote.textContent = "The terminal could not load: " + e.message;
        termNote.hidden = false;
      });
    }
    consoleTab.addEventListener("click", function () { showTab(false); });
    termTab.addEventListener("click", function () { showTab(true); });

    var sol = el("div", { "class": "lab-solution", hidden: "" });
    lab.appendChild(sol);

    function print(text, cls) {
      var span = el("span", { "class": cls || "" }, text);
      out.appendChild(span);
      out.scrollTop = out.scrollHeight;
    }
    function busy(on) { [start, checkBtn].forEach(function (b) { b.disabled = on; }); }
    function fail(e) { state.textContent = e.message; state.className = "lab-state error"; }

    // showChecks ticks the card's checks from a report; a report that was
    // not recorded (an instructor's run of the solution) does not mark the
    // card passed.
    function showChecks(rep, notRecorded) {
      if (!rep || !rep.checks) return;
      rep.checks.forEach(function (c, i) {
        var li = checks[i];
        if (!li) return;
        li.classList.remove("pending", "ok", "fail");
        li.classList.add(c.passed ? "ok" : "fail");
        // A failed check shows the author's message (inline Markdown)
        // unless it only repeats the label, and what it wanted beside
        // what it saw; a check not reached shows why.
        var d = li.querySelector("[data-role=detail]");
        if (!d) return;
        d.textContent = "";
        if (c.passed) return;
        var label = li.dataset.label || li.querySelector(".check-label").textContent;
        var author = c.message && c.message !== c.detail && c.message !== label;
        if (author || (c.message && c.want === undefined)) {
          d.appendChild(document.createTextNode(" — "));
          inline(d.appendChild(el("span", { "class": "check-message", "data-role": "message" })), c.message);
        }
        if (c.want !== undefined || c.saw !== undefined) {
          var seen = el("span", { "class": "check-seen", "data-role": "seen" });
          [["wanted", c.want, "want"], ["saw", c.saw, "saw"]].forEach(function (p) {
            var part = el("span", { "data-role": p[2] });
            part.appendChild(el("b", {}, p[0] + " "));
            part.appendChild(el("span", { "class": "check-value" }, p[1] || ""));
            seen.appendChild(part);
          });
          d.appendChild(seen);
        }
      });
      if (rep.passed && !notRecorded) {
        card.classList.add("passed");
        status.textContent = "✓ Passed";
        status.classList.add("ok");
      }
    }

    function started(res) {
      running(true);
      state.className = "lab-state ready";
      state.textContent = "Sandbox ready";
      if (res.notice) print("# " + res.notice + "\n", "console-notice");
      // Label each node with its role and address, as the nodes know
      // each other (REPLICAOF, CLUSTER MEET and Sentinel replies use them).
      if (picker && res.nodes) {
        res.nodes.forEach(function (n) {
          for (var i = 0; i < picker.options.length; i++) {
            if (picker.options[i].value === n.name) picker.options[i].textContent = n.name + " (" + n.role + ", " + n.address + ")";
          }
        });
      }
      if (res.connect) {
        connect.hidden = false;
        connect.textContent = "Connect your own client: ";
        connect.appendChild(codeEl(res.connect));
      }
      input.focus();
    }

    start.addEventListener("click", function () {
      if (live) { restart(); return; }
      busy(true);
      state.className = "lab-state";
      state.textContent = "Starting…";
      var t0 = performance.now();
      api("POST", url + "/start").then(function (res) {
        started(res);
        state.textContent = "Sandbox ready in " + Math.round(performance.now() - t0) + " ms";
      }).catch(fail).then(function () { busy(false); });
    });

    function restart() {
      busy(true);
      state.className = "lab-state";
      state.textContent = "Restarting on a fresh sandbox…";
      api("POST", url + "/reset").then(function (res) {
        out.textContent = "";
        redisPrompts = {};
        prompt.textContent = promptText();
        checks.forEach(function (li) {
          li.classList.remove("ok", "fail");
          li.classList.add("pending");
          var d = li.querySelector("[data-role=detail]");
          if (d) d.textContent = "";
        });
        started(res);
      }).catch(fail).then(function () { busy(false); });
    }

    checkBtn.addEventListener("click", function () {
      busy(true);
      state.className = "lab-state";
      state.textContent = "Checking…";
      api("POST", url + "/check").then(function (res) {
        running(true);
        showChecks(res);
        var n = res.checks.filter(function (c) { return c.passed; }).length;
        state.textContent = res.passed ? "All checks passed" : n + " of " + res.checks.length + " checks pass";
        state.className = "lab-state " + (res.passed ? "ready" : "error");
        if (res.progress && window.opslab.setProgress) window.opslab.setProgress(res.progress);
      }).catch(fail).then(function () { busy(false); });
    });

    solution.addEventListener("click", function () {
      if (!window.confirm("Show the reference solution? It is recorded, and never applied for you.")) return;
      api("POST", url + "/solution").then(function (res) {
        sol.hidden = false;
        sol.textContent = "";
        sol.appendChild(el("p", {}, "Reference solution (type it yourself to apply it):"));
        sol.appendChild(el("pre", { "class": "solution-code" }, res.solution.join("\n")));
      }).catch(fail);
    });

    card.querySelectorAll("details.hint").forEach(function (h, i) {
      h.addEventListener("toggle", function () {
        if (h.open && !h.dataset.recorded) {
          h.dataset.recorded = "1";
          api("POST", url + "/hints/" + (i + 1)).catch(function () {});
        }
      });
    });

    var history = [], pos = 0, pending = false;
    // Standard input for kafka-console-producer: after a producer command
    // with no pipe or here-document, the lines typed next are its records,
    // shown after the tool's ">" prompt, until a line holding only "." or
    // Ctrl-D; after "<<EOF" they are a here-document, shown after the
    // shell's "> ", until EOF. The card then sends one command whose
    // following lines are the input (docs/api.md); Ctrl-C drops it.
    var collect = null;
    function stdinFor(cmd) {
      // A line's own "@node" decides its language, as on the server.
      var named = /^\s*@(\S+)\s/.exec(cmd);
      var lineFamily = named && families.length && nodes.indexOf(named[1]) >= 0 ? families[nodes.indexOf(named[1])] : family();
      if (lineFamily !== "kafka") return null;
      var text = cmd.replace(/^\s*@\S+\s+/, ""), quote = "", pipe = false, here = -1;
      for (var i = 0; i < text.length; i++) {
        var c = text[i];
        if (quote) { if (c === quote) quote = ""; else if (c === "\\" && quote === '"') i++; continue; }
        if (c === "\\") { i++; continue; }
        if (c === "'" || c === '"') { quote = c; continue; }
        if (c === "|") pipe = true;
        if (c === "<" && text[i + 1] === "<" && here < 0) here = i;
      }
      if (here >= 0) {
        var m = /^<<-?\s*(?:'([^']*)'|"([^"]*)"|([^\s|<>;&]+))/.exec(text.slice(here));
        if (!m) return null;
        var word = m[1] !== undefined ? m[1] : m[2] !== undefined ? m[2] : m[3].replace(/\\/g, "");
        return { end: word, prompt: "> ", lines: [cmd] };
      }
      var first = (text.split(/\s+/)[0] || "").replace(/^.*\//, "").replace(/\.sh$/, "");
      if (pipe || first !== "kafka-console-producer" || /(^|\s)--(mes|help|ver)/.test(text)) return null;
      return { end: ".", prompt: ">", lines: [cmd] };
    }
    function endInput(ctrlD) {
      var entry = collect;
      collect = null;
      prompt.textContent = promptText();
      if (ctrlD) entry.lines.push(entry.end);
      send(entry.lines.join("\n"));
    }
    function send(cmd) {
      pending = true;
      var body = { command: cmd };
      if (picker) body.node = picker.value;
      api("POST", url + "/exec", body).then(function (res) {
        if (res.notice) print("# " + res.notice + "\n", "console-notice");
        print(res.output, /^\(error\)|^Invalid argument/.test(res.output) ? "console-error" : "console-reply");
        if (res.prompt) { redisPrompts[body.node || ""] = res.prompt; if (!collect) prompt.textContent = promptText(); }
        showChecks(res.checks);
        running(true);
        if (state.textContent === "" || state.textContent.indexOf("Starting") === 0) { state.className = "lab-state ready"; state.textContent = "Sandbox ready"; }
      }).catch(function (e) { print("(error) " + e.message + "\n", "console-error"); })
        .then(function () { pending = false; input.focus(); });
    }
    input.addEventListener("keydown", function (ev) {
      if (collect && !pending && ev.ctrlKey && (ev.key === "d" || ev.key === "c")) {
        ev.preventDefault();
        if (input.value !== "") collect.lines.push(input.value);
        print(collect.prompt + input.value + (ev.key === "c" ? "^C" : "") + "\n", "console-echo");
        input.value = "";
        if (ev.key === "d") { endInput(true); return; }
        collect = null;
        prompt.textContent = promptText();
        return;
      }
      if (collect && ev.key === "Enter" && !pending) {
        var typed = input.value;
        input.value = "";
        print(collect.prompt + typed + "\n", "console-echo");
        collect.lines.push(typed);
        if (typed === collect.end) endInput(false);
        return;
      }
      if (ev.key === "ArrowUp") {
        if (pos > 0) { pos--; input.value = history[pos]; }
        ev.preventDefault();
      } else if (ev.key === "ArrowDown") {
        if (pos < history.length) { pos++; input.value = history[pos] || ""; }
        ev.preventDefault();
      } else if (ev.key === "l" && ev.ctrlKey) {
        out.textContent = "";
        ev.preventDefault();
      } else if (ev.key === "Enter" && !pending) {
        var cmd = input.value;
        input.value = "";
        print(promptText() + cmd + "\n", "console-echo");
        if (cmd.trim() === "") return;
        if (history[history.length - 1] !== cmd) history.push(cmd);
        pos = history.length;
        if (cmd.trim() === "clear") { out.textContent = ""; return; }
        collect = stdinFor(cmd);
        if (collect) { prompt.textContent = collect.prompt; return; }
        send(cmd);
      }
    });
    term.addEventListener("click", function () { if (!window.getSelection().toString()) input.focus(); });
    if (wideSaved()) setWide(true);

    return { url: url, lab: lab, prompt: promptText(), print: print, showChecks: showChecks, busy: busy };
  }

  // statsText sums up an exercise's anonymous statistics in a sentence.
  function statsText(st) {
    if (!st) return "This server keeps no statistics.";
    if (st.learners === 0) return "No learner has tried this exercise yet.";
    var s = st.passed + " of " + st.learners + " learners passed (" + Math.round(100 * st.pass_rate) + "%) · " +
      st.attempts + (st.attempts === 1 ? " attempt" : " attempts");
    if (st.most_failed) {
      s += " · most failed: check " + st.most_failed.check + " (" + st.most_failed.failures +
        (st.most_failed.failures === 1 ? " time" : " times") + "): " + st.most_failed.message;
    }
    return s;
  }

  // checkItem lists one check as its author wrote it: probe, field,
  // matchers (values as JSON, so 3 and "3" differ) and message.
  function checkItem(c) {
    var li = el("li", { "class": "instructor-check" });
    li.appendChild(el("code", {}, c.probe.kind + ": " + c.probe.command));
    if (c.field) {
      li.appendChild(document.createTextNode(" · field "));
      li.appendChild(el("code", {}, c.field));
    }
    c.matchers.forEach(function (m) {
      li.appendChild(document.createTextNode(" · " + m.name + " "));
      li.appendChild(el("code", {}, JSON.stringify(m.value)));
    });
    if (c.message) li.appendChild(el("span", { "class": "instructor-check-message" }, " — " + c.message));
    return li;
  }

  // instructorPanel adds the instructor view to one card.
  function instructorPanel(h) {
    var api = window.opslab.api;
    api("GET", h.url + "/instructor").then(function (info) {
      var panel = el("div", { "class": "instructor-panel", "data-role": "instructor" });
      panel.appendChild(el("p", { "class": "instructor-title" }, "Instructor"));
      panel.appendChild(el("p", { "class": "instructor-stats", "data-role": "instructor-stats" }, statsText(info.stats)));
      panel.appendChild(el("p", { "class": "instructor-label" }, "Reference solution"));
      panel.appendChild(el("pre", { "class": "solution-code", "data-role": "instructor-solution" }, info.solution.join("\n")));
      panel.appendChild(el("p", { "class": "instructor-label" }, "Checks"));
      var list = el("ol", { "class": "instructor-checks", "data-role": "instructor-checks" });
      info.checks.forEach(function (c) { list.appendChild(checkItem(c)); });
      panel.appendChild(list);

      var bar = el("div", { "class": "lab-bar" });
      var run = button("Run solution", "run-solution");
      var note = el("span", { "class": "lab-state", "data-role": "run-state", "aria-live": "polite" },
        "Applies the solution in your own sandbox; nothing is recorded.");
      bar.appendChild(run);
      bar.appendChild(note);
      panel.appendChild(bar);

      run.addEventListener("click", function () {
        run.disabled = true;
        h.busy(true);
        note.className = "lab-state";
        note.textContent = "Applying the solution…";
        api("POST", h.url + "/run-solution").then(function (res) {
          h.print("# solution applied\n", "console-notice");
          info.solution.forEach(function (line) { h.print(h.prompt + line + "\n", "console-notice"); });
          h.showChecks(res, true);
          var n = res.checks.filter(function (c) { return c.passed; }).length;
          note.textContent = res.passed ? "Solution applied: all checks pass (not recorded)"
            : "Solution applied: " + n + " of " + res.checks.length + " checks pass (not recorded)";
          note.className = "lab-state " + (res.passed ? "ready" : "error");
        }).catch(function (e) {
          note.textContent = e.message;
          note.className = "lab-state error";
        }).then(function () { run.disabled = false; h.busy(false); });
      });
      h.lab.appendChild(panel);
    }).catch(function () {});
  }

  // loadTerminal loads xterm.js, its fit addon, its style sheet and
  // terminal.js once, from the content-hashed addresses the lesson page
  // names.
  var terminalAssets = null;
  function loadTerminal() {
    if (terminalAssets) return terminalAssets;
    var layout = document.querySelector(".lesson-layout");
    function script(src) {
      return new Promise(function (resolve, reject) {
        var s = el("script", { src: src });
        s.onload = resolve;
        s.onerror = function () { reject(new Error("could not load " + src)); };
        document.head.appendChild(s);
      });
    }
    // The style sheet must apply before xterm.js measures the pane.
    var css = new Promise(function (resolve, reject) {
      var link = el("link", { rel: "stylesheet", href: layout.dataset.xtermCss });
      link.onload = resolve;
      link.onerror = function () { reject(new Error("could not load " + layout.dataset.xtermCss)); };
      document.head.appendChild(link);
    });
    terminalAssets = css.then(function () { return script(layout.dataset.xtermJs); })
      .then(function () { return script(layout.dataset.xtermFit); })
      .then(function () { return script(layout.dataset.terminalJs); });
    return terminalAssets;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var layout = document.querySelector(".lesson-layout");
    if (!layout || !window.opslab) return;
    window.opslab.loadTerminal = loadTerminal;
    var base = "/api/courses/" + encodeURIComponent(layout.dataset.course) +
      "/lessons/" + encodeURIComponent(layout.dataset.lesson);
    var cards = [];
    document.querySelectorAll("section.exercise").forEach(function (card) { cards.push(setup(card, base)); });
    if (cards.length === 0) return;
    window.opslab.api("GET", "/api/me").then(function (me) {
      // Lets styles and tests tell whose view this is once it is known.
      layout.dataset.viewerRole = me.role;
      if (me.role === "instructor" || me.role === "admin") cards.forEach(instructorPanel);
    }).catch(function () {});
  });
})();
