package check

import (
	"strings"
)

// pickField selects a field from a probe value:
//   - from an object (map), the key as written ("config.retention.ms"),
//     or else a path through nested objects ("a.b");
//   - from a Redis INFO reply (a "name:value" text), the named line;
//   - from a flat list of names and values (CONFIG GET, HGETALL), the
//     value after the name;
//   - from a list of objects (a postgres probe's rows, a describe's
//     columns or index), see pickRowsField.
func pickField(v any, field string) (any, bool) {
	if rows, ok := objectList(v); ok {
		return pickRowsField(rows, field)
	}
	if l, ok := v.([]any); ok && len(l) == 0 && field == "count" {
		return int64(0), true // no rows, no columns
	}
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

// objectList returns v as a list of objects when it is a non-empty []any
// whose every element is a map[string]any.
func objectList(v any) ([]map[string]any, bool) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, false
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		out[i] = m
	}
	return out, true
}

// pickRowsField selects a field from a list of objects (rows):
//   - "count": how many there are;
//   - a key of the objects ("name"): the list of its value in each row;
//   - "X.rest": rest of the row whose "name" is X (columns.email.type).
func pickRowsField(rows []map[string]any, field string) (any, bool) {
	if field == "count" {
		return int64(len(rows)), true
	}
	if _, ok := rows[0][field]; ok {
		out := make([]any, len(rows))
		for i, r := range rows {
			out[i] = r[field]
		}
		return out, true
	}
	head, rest, found := strings.Cut(field, ".")
	if !found {
		return nil, false
	}
	for _, r := range rows {
		if name, ok := r["name"]; ok && text(name) == head {
			return pickField(r, rest)
		}
	}
	return nil, false
}
