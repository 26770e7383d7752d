package check

import (
	"strings"
)

// pickField selects a field from a probe value:
//   - from an object (map), the key as written ("config.retention.ms"),
//     or else a path through nested objects ("a.b");
//   - from a Redis INFO reply (a "name:value" text), the named line;
//   - from a flat list of names and values (CONFIG GET, HGETALL), the
//     value after the name.
func pickField(v any, field string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if f, ok := x[field]; ok {
			return f, true
		}
		head, rest, found := strings.Cut(field, ".")
		if !found {
			return nil, false
		}
		inner, ok := x[head]
		if !ok {
			return nil, false
		}
		return pickField(inner, rest)
	case string:
		for _, line := range strings.Split(x, "\n") {
			name, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
			if ok && name == field {
				return val, true
			}
		}
		return nil, false
	}
	if l, ok := asList(v); ok && len(l)%2 == 0 {
		for i := 0; i+1 < len(l); i += 2 {
			if text(l[i]) == field {
				return l[i+1], true
			}
		}
	}
	return nil, false
}
