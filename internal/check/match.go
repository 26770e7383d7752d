package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opslab/opslab/internal/course"
)

// match applies one matcher; want describes what was expected.
func match(m course.Matcher, v any, present bool) (ok bool, want string) {
	if m.Name == course.MatchExists {
		exp, _ := m.Value.(bool)
		if exp {
			return present && v != nil, "it to exist"
		}
		return !present || v == nil, "it to be absent"
	}
	if !present {
		return false, wantText(m)
	}
	switch m.Name {
	case course.MatchEquals:
		return equal(v, m.Value), Show(m.Value)
	case course.MatchContains:
		return containsValue(v, m.Value), "it to contain " + Show(m.Value)
	case course.MatchMatches:
		return m.Re != nil && m.Re.MatchString(text(v)), "a match for /" + fmt.Sprint(m.Value) + "/"
	case course.MatchMin, course.MatchMax:
		n, okN := number(v)
		lim, _ := number(m.Value)
		if m.Name == course.MatchMin {
			return okN && n >= lim, "at least " + Show(m.Value)
		}
		return okN && n <= lim, "at most " + Show(m.Value)
	case course.MatchLength:
		want, _ := m.Value.(int)
		n, okL := length(v)
		return okL && n == want, fmt.Sprintf("length %d", want)
	}
	return false, "a known matcher"
}

func wantText(m course.Matcher) string {
	_, want := match(m, nil, true)
	return want
}

// equal compares a probe value with an author's value: numbers equal their
// decimal strings, lists compare element by element, nil equals only nil.
func equal(v, want any) bool {
	wl, wantList := want.([]any)
	vl, isList := asList(v)
	if wantList || isList {
		if !wantList || !isList || len(wl) != len(vl) {
			return false
		}
		for i := range wl {
			if !equal(vl[i], wl[i]) {
				return false
			}
		}
		return true
	}
	if want == nil || v == nil {
		return want == nil && v == nil
	}
	if a, okA := number(v); okA {
		if b, okB := number(want); okB {
			return a == b
		}
	}
	return text(v) == text(want)
}

// containsValue: a string contains the text; a list holds an equal element
// at any depth.
func containsValue(v, want any) bool {
	if l, ok := asList(v); ok {
		for _, e := range l {
			if equal(e, want) || containsValue(e, want) {
				return true
			}
		}
		return false
	}
	if s, ok := v.(string); ok {
		return strings.Contains(s, text(want))
	}
	return false
}

// number reads a value as a number: ints, floats and decimal strings.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

func length(v any) (int, bool) {
	if l, ok := asList(v); ok {
		return len(l), true
	}
	if s, ok := v.(string); ok {
		return utf8.RuneCountInString(s), true
	}
	return 0, false
}

// asList turns []any and []string into []any.
func asList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// text is a value as a string, for matches and for comparing.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	if l, ok := asList(v); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = text(e)
		}
		return strings.Join(parts, "\n")
	}
	return fmt.Sprint(v)
}

// Show formats a value for a message: strings quoted, lists in brackets,
// nil as (nil), long values shortened.
func Show(v any) string {
	s := show(v)
	if utf8.RuneCountInString(s) > 200 {
		r := []rune(s)
		s = string(r[:197]) + "..."
	}
	return s
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "(nil)"
	case string:
		return strconv.Quote(x)
	case map[string]any:
		return fmt.Sprintf("an object with %d fields", len(x))
	}
	if l, ok := asList(v); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return text(v)
}
