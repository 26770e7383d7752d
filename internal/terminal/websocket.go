package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The WebSocket protocol of a terminal:
//
//   - the browser sends keystrokes (and pastes) as binary messages, and
//     control messages as JSON text: {"type":"resize","cols":C,"rows":R};
//   - the server sends output as binary messages (the scrollback first),
//     and events as JSON text: {"type":"exit","code":N} when the shell
//     ended, {"type":"detached"} when another window took it over;
//   - an unknown or malformed control message, or input over the limit,
//     closes the connection with status 1008 (policy violation) and a
//     reason; the shell goes on.

// control is a control message from the browser.
type control struct {
	Type string `json:"type"`
	Cols uint16 `json:"cols"`
	Rows uint16 `json:"rows"`
}

// event is an event message to the browser.
type event struct {
	Type string `json:"type"`
	Code *int   `json:"code,omitempty"`
}

// Serve upgrades the request to a WebSocket and attaches it to sh as its
// window until the connection closes, the shell ends or another window
// takes over. The caller has checked who may use sh; the upgrade refuses a
// request from another origin than the page's host, as the rest of the API
// does.
func Serve(w http.ResponseWriter, r *http.Request, sh *Shell) {
	// The server's read and write timeouts bound requests; a terminal is
	// a long conversation whose reads and writes have their own limits.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered the request
	}
	c.SetReadLimit(int64(sh.limits.MaxInput) + 1)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	win := &wsWindow{c: c, cancel: cancel}
	if err := sh.Attach(ctx, win); err != nil {
		if errors.Is(err, ErrClosed) {
			win.Ended(sh.ExitCode())
			return
		}
		_ = c.Close(websocket.StatusInternalError, "the shell could not attach")
		return
	}
	defer sh.Detach(win)
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				return // the library closed it with 1009
			}
			win.close(websocket.StatusNormalClosure, "")
			return
		}
		switch typ {
		case websocket.MessageBinary:
			err = sh.Input(win, data)
		case websocket.MessageText:
			var m control
			if json.Unmarshal(data, &m) != nil || m.Type != "resize" {
				win.close(websocket.StatusPolicyViolation, `a control message is {"type":"resize","cols":C,"rows":R}`)
				return
			}
			err = sh.Resize(win, Size{Cols: m.Cols, Rows: m.Rows})
		}
		if errors.Is(err, errNotAttached) {
			return // detached: the other window has the shell
		}
		if err != nil {
			win.close(websocket.StatusPolicyViolation, err.Error())
			return
		}
	}
}

// wsWindow is a Window over a WebSocket connection.
type wsWindow struct {
	c      *websocket.Conn
	cancel context.CancelFunc
	once   sync.Once
}

// Output sends p as one binary message.
func (w *wsWindow) Output(ctx context.Context, p []byte) error {
	return w.c.Write(ctx, websocket.MessageBinary, p)
}

// Detached tells the browser and closes the connection.
func (w *wsWindow) Detached() {
	w.send(event{Type: "detached"})
	w.close(websocket.StatusNormalClosure, "another window took this terminal over")
}

// Ended tells the browser the exit code and closes the connection.
func (w *wsWindow) Ended(code int) {
	w.send(event{Type: "exit", Code: &code})
	w.close(websocket.StatusNormalClosure, "the shell ended")
}

func (w *wsWindow) send(e event) {
	b, _ := json.Marshal(e)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultLimits.WriteTimeout)
	defer cancel()
	_ = w.c.Write(ctx, websocket.MessageText, b)
}

func (w *wsWindow) close(code websocket.StatusCode, reason string) {
	w.once.Do(func() {
		if len(reason) > 120 {
			reason = reason[:120]
		}
		_ = w.c.Close(code, reason)
		w.cancel()
	})
}
