package facts

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// RedisConfig returns every configuration parameter of the Redis server at
// network/addr with its current value, as CONFIG GET * reports it (memory
// sizes in bytes, booleans as yes/no).
func RedisConfig(network, addr string) (map[string]string, error) {
	reply, err := redisCommand(network, addr, "CONFIG", "GET", "*")
	if err != nil {
		return nil, fmt.Errorf("redis CONFIG GET *: %w", err)
	}
	list, ok := reply.([]any)
	if !ok || len(list)%2 != 0 {
		return nil, fmt.Errorf("redis CONFIG GET *: unexpected reply %v", reply)
	}
	out := make(map[string]string, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		k, kok := list[i].(string)
		v, vok := list[i+1].(string)
		if !kok || !vok {
			return nil, fmt.Errorf("redis CONFIG GET *: unexpected reply %v", reply)
		}
		out[k] = v
	}
	return out, nil
}

// RedisMemoryStats returns the keys of the server's MEMORY STATS reply
// (peak.allocated, overhead.total, db.0, ...).
func RedisMemoryStats(network, addr string) (map[string]bool, error) {
	reply, err := redisCommand(network, addr, "MEMORY", "STATS")
	if err != nil {
		return nil, fmt.Errorf("redis MEMORY STATS: %w", err)
	}
	list, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("redis MEMORY STATS: unexpected reply %v", reply)
	}
	out := map[string]bool{}
	for i := 0; i < len(list); i += 2 {
		if k, ok := list[i].(string); ok {
			out[k] = true
		}
	}
	return out, nil
}

// RedisInfoFields returns the field names of the server's reply to the
// given INFO-like command (INFO everything, CLUSTER INFO): the part before
// ':' of every line that is not a section header.
func RedisInfoFields(network, addr string, command ...string) (map[string]bool, error) {
	reply, err := redisCommand(network, addr, command...)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", strings.Join(command, " "), err)
	}
	text, ok := reply.(string)
	if !ok {
		return nil, fmt.Errorf("redis %s: unexpected reply %v", strings.Join(command, " "), reply)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, _, ok := strings.Cut(line, ":"); ok {
			out[name] = true
		}
	}
	return out, nil
}

// redisCommand sends one command and reads its reply: a string for a
// simple or bulk string or an integer, []any for an array.
func redisCommand(network, addr string, args ...string) (any, error) {
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("read reply: empty line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return nil, fmt.Errorf("server error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, fmt.Errorf("read reply: bad length %q", line)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("read reply: %w", err)
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, fmt.Errorf("read reply: bad length %q", line)
		}
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			item, err := readReply(r)
			if err != nil {
				return nil, err
			}
			out = append(out, item)
		}
		return out, nil
	}
	return nil, fmt.Errorf("read reply: unknown type %q", line)
}
