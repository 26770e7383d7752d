package resp

import "errors"

// ErrProtocol is wrapped by errors returned when the peer sends bytes that
// are not valid RESP2 (including RESP3-only types such as maps, which a
// server sends after "HELLO 3").
var ErrProtocol = errors.New("resp: protocol error")

// ErrReplyTooLarge is wrapped by errors returned when a reply would exceed
// the reply size cap (see WithMaxReplyBytes) or nests deeper than MaxDepth.
var ErrReplyTooLarge = errors.New("resp: reply too large")

// ErrClosed is wrapped by errors returned from Do on a Conn that was closed,
// either by Close or because an earlier Do failed.
var ErrClosed = errors.New("resp: connection closed")
