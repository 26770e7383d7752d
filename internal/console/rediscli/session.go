package rediscli

import (
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/resp"
)

// Session is the state redis-cli shows in its prompt for one connection:
// the selected database and whether a transaction is open. Observe it
// with every command sent on the connection and its reply.
type Session struct {
	DB      int
	InMulti bool
	// preMultiDB is the database when MULTI began: an aborted or
	// discarded transaction goes back to it, as redis-cli does.
	preMultiDB int
}

// Observe updates s after args was sent and v came back, as redis-cli
// does (commands match case-insensitively and only in these exact forms):
//
//	SELECT n   not an error: the database is n (also when QUEUED)
//	MULTI      not an error: a transaction begins
//	EXEC       in a transaction: it ends; an error or nil reply goes
//	           back to the database it began in
//	DISCARD    not an error: it ends and goes back to that database
func (s *Session) Observe(args []string, v resp.Value) {
	if len(args) == 0 {
		return
	}
	failed := v.Kind == resp.Error
	switch name := strings.ToLower(args[0]); {
	case name == "select" && len(args) == 2 && !failed:
		s.DB = int(atoi(args[1]))
	case name == "multi" && len(args) == 1 && !failed:
		s.InMulti = true
		s.preMultiDB = s.DB
	case name == "exec" && len(args) == 1 && s.InMulti:
		s.InMulti = false
		if failed || v.Kind == resp.Nil || v.Kind == resp.NilArray {
			s.DB = s.preMultiDB
		}
	case name == "discard" && len(args) == 1 && !failed:
		s.InMulti = false
		s.DB = s.preMultiDB
	}
}

// Prompt is redis-cli's prompt after host ("127.0.0.1:6379"): the
// database in brackets unless it is 0, "(TX)" inside MULTI, then "> ".
func (s Session) Prompt(host string) string {
	p := host
	if s.DB != 0 {
		p += "[" + strconv.Itoa(s.DB) + "]"
	}
	if s.InMulti {
		p += "(TX)"
	}
	return p + "> "
}
