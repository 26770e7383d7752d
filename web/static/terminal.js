// The learner's terminal on an exercise card: xterm.js over the WebSocket
// of GET …/exercises/{e}/terminal (docs/api.md, "The terminal").
// lab.js loads this file, xterm.js and its fit addon when a card's
// Terminal tab is first opened, then calls window.opslab.openTerminal.
(function () {
  "use strict";

  // openTerminal opens the terminal of url (the exercise's API path) in
  // pane and returns { focus, fit }.
  window.opslab.openTerminal = function (pane, url, notice) {
    var term = new window.Terminal({
      cursorBlink: true,
      convertEol: false,
      fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      fontSize: 14,
      lineHeight: 1.15,
      scrollback: 5000
    });
    var fitter = new window.FitAddon.FitAddon();
    term.loadAddon(fitter);
    term.open(pane);
    fitter.fit();

    var ws = null, ended = false, retries = 0, opened = false;
    var enc = new TextEncoder();
    function sendResize() {
      if (ws && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
      }
    }
    function connect() {
      var scheme = location.protocol === "https:" ? "wss:" : "ws:";
      ws = new WebSocket(scheme + "//" + location.host + url + "/terminal");
      ws.binaryType = "arraybuffer";
      opened = false;
      ws.onopen = function () {
        opened = true;
        retries = 0;
        notice("");
        term.reset();
        sendResize();
      };
      ws.onmessage = function (ev) {
        if (typeof ev.data !== "string") { term.write(new Uint8Array(ev.data)); return; }
        var e;
        try { e = JSON.parse(ev.data); } catch (err) { return; }
        if (e.type === "exit") {
          ended = true;
          notice("The shell ended (exit " + e.code + "). Open the tab again for a new one.");
        } else if (e.type === "detached") {
          ended = true;
          notice("This terminal is open in another window; reload to take it back.");
        }
      };
      ws.onclose = function () {
        if (ended) return;
        if (!opened && retries >= 2) {
          notice("The terminal could not open: this server may offer none for this sandbox, or too many are open. The console works.");
          return;
        }
        retries++;
        notice("Connection lost; reconnecting…");
        setTimeout(connect, Math.min(10000, 1000 * retries));
      };
    }
    term.onData(function (d) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
    term.onBinary(function (d) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      var b = new Uint8Array(d.length);
      for (var i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 255;
      ws.send(b);
    });
    term.onResize(sendResize);
    window.addEventListener("resize", function () { if (pane.offsetParent) fitter.fit(); });
    connect();
    return {
      focus: function () { term.focus(); },
      fit: function () { fitter.fit(); },
      reopen: function () { if (ended) { ended = false; retries = 0; connect(); } },
      paste: function (text) { term.paste(text); term.focus(); }
    };
  };
})();
