package rediscli

import (
	"path/filepath"
	"strings"
)

// The neutral paths the console shows instead of the platform's own: a
// learner's server seems to live in /data (its socket /data/redis.sock),
// run /usr/local/bin/redis-server and read /etc/redis/redis.conf, as in
// the official container image.
const (
	NeutralDir        = "/data"
	NeutralSocket     = "/data/redis.sock"
	NeutralExecutable = "/usr/local/bin/redis-server"
	NeutralConfigFile = "/etc/redis/redis.conf"
)

// HidePaths rewrites the host's file paths in console output. socket is
// the unix socket the console reaches the server through ("" if none): it
// becomes NeutralSocket and its directory, the server's dir (where its
// other nodes' sockets, log and dumps live), NeutralDir. This covers
// CLIENT LIST and CLIENT INFO (addr, laddr), CONFIG GET dir, unixsocket,
// logfile and ACL LOG's client info. INFO's executable and config_file
// lines, which name files outside that directory, get NeutralExecutable
// and NeutralConfigFile when they are not empty.
func HidePaths(out, socket string) string {
	if socket != "" && filepath.IsAbs(socket) {
		out = strings.ReplaceAll(out, socket, NeutralSocket)
		if dir := filepath.Dir(socket); dir != "/" {
			out = strings.ReplaceAll(out, dir+"/", NeutralDir+"/")
			out = replaceWhole(out, dir, NeutralDir)
		}
	}
	out = replaceInfoValue(out, "executable:", NeutralExecutable)
	out = replaceInfoValue(out, "config_file:", NeutralConfigFile)
	return out
}

// replaceWhole replaces old where it is not followed by a character that
// may continue a file name, so "/tmp/a" is not rewritten inside "/tmp/ab".
func replaceWhole(s, old, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(old)
		b.WriteString(s[:i])
		if end < len(s) && isNameByte(s[end]) {
			b.WriteString(old)
		} else {
			b.WriteString(repl)
		}
		s = s[end:]
	}
}

func isNameByte(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// replaceInfoValue replaces the value of every INFO line starting with
// field (at the start of the text or of a line) when it is not empty.
func replaceInfoValue(s, field, repl string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, field) {
			continue
		}
		rest := line[len(field):]
		end := strings.IndexAny(rest, "\r\n")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			continue
		}
		lines[i] = field + repl + rest[end:]
	}
	return strings.Join(lines, "")
}
