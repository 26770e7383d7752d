package check

import (
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/course"
)

// Describe names a check that has no label from its probe and matchers,
// for the card's task list: `GET counter equals "5"`, `TTL k is at least
// 1 and at most 60`, `INFO memory, field maxmemory_policy equals
// "allkeys-lru"`.
func Describe(c course.Check) string {
	subject, predicate := DescribeParts(c)
	if predicate == "" {
		return subject
	}
	return subject + " " + predicate
}

// DescribeParts is Describe in two parts: what is asked (the probe, its
// field and node) and what it must satisfy.
func DescribeParts(c course.Check) (subject, predicate string) {
	subject = c.Probe.Command
	if c.Field != "" {
		subject += ", field " + c.Field
	}
	if c.Probe.Node != "" {
		subject += " on " + c.Probe.Node
	}
	var preds []string
	prevIs := false
	for _, m := range c.Matchers {
		p := predicateOf(m)
		// "is at least 1 and at most 60", not "… and is at most 60".
		is := strings.HasPrefix(p, "is ")
		if is && prevIs {
			p = strings.TrimPrefix(p, "is ")
		}
		prevIs = is
		preds = append(preds, p)
	}
	return subject, strings.Join(preds, " and ")
}

// predicateOf says what one matcher requires, as a verb phrase.
func predicateOf(m course.Matcher) string {
	switch m.Name {
	case course.MatchEquals:
		return "equals " + Show(m.Value)
	case course.MatchContains:
		return "contains " + Show(m.Value)
	case course.MatchMatches:
		return "matches /" + fmt.Sprint(m.Value) + "/"
	case course.MatchMin:
		return "is at least " + Show(m.Value)
	case course.MatchMax:
		return "is at most " + Show(m.Value)
	case course.MatchLength:
		return "has length " + Show(m.Value)
	case course.MatchExists:
		if exp, _ := m.Value.(bool); exp {
			return "exists"
		}
		return "is absent"
	}
	return m.Name + " " + Show(m.Value)
}
