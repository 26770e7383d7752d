package team

import (
	"sort"
	"strings"
	"time"
)

// SortKey names a column the learners can be sorted by.
type SortKey string

// The sort keys. The zero key is the dashboard's own order: stuck learners
// first, then by name.
const (
	SortDefault      SortKey = ""
	SortName         SortKey = "name"
	SortCompletion   SortKey = "completion"
	SortLastActivity SortKey = "last-activity"
	SortTimeSpent    SortKey = "time-spent"
	SortFailedChecks SortKey = "failed-checks"
	SortHints        SortKey = "hints"
)

// SortKeys lists the keys of the sortable columns, in column order.
var SortKeys = []SortKey{SortName, SortCompletion, SortLastActivity, SortTimeSpent, SortFailedChecks, SortHints}

// ParseSortKey returns the key named s; ok is false for an unknown name.
// The empty string is SortDefault.
func ParseSortKey(s string) (k SortKey, ok bool) {
	if s == "" {
		return SortDefault, true
	}
	for _, k := range SortKeys {
		if string(k) == s {
			return k, true
		}
	}
	return SortDefault, false
}

// DescendingFirst reports whether the column reads best largest first
// (numbers and dates) rather than alphabetically.
func (k SortKey) DescendingFirst() bool { return k != SortName && k != SortDefault }

// SortLearners returns the learners sorted by the key, descending when desc
// is set; ties keep the learners' order by name (then email). SortDefault
// puts the stuck learners first and ignores desc. The input is not changed.
func SortLearners(learners []*Learner, key SortKey, desc bool) []*Learner {
	out := append([]*Learner(nil), learners...)
	byName := func(a, b *Learner) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	}
	var cmp func(a, b *Learner) int
	switch key {
	case SortName:
		cmp = byName
	case SortCompletion:
		cmp = func(a, b *Learner) int {
			if c := compareInts(a.Percent, b.Percent); c != 0 {
				return c
			}
			return compareInts(a.CompletedLessons, b.CompletedLessons)
		}
	case SortLastActivity:
		cmp = func(a, b *Learner) int { return compareInts(unix(a.LastActivity), unix(b.LastActivity)) }
	case SortTimeSpent:
		cmp = func(a, b *Learner) int { return compareInts(int(a.TimeSpent), int(b.TimeSpent)) }
	case SortFailedChecks:
		cmp = func(a, b *Learner) int { return compareInts(a.FailedChecks, b.FailedChecks) }
	case SortHints:
		cmp = func(a, b *Learner) int { return compareInts(a.HintsUsed, b.HintsUsed) }
	default:
		cmp, desc = func(a, b *Learner) int { return compareInts(notStuck(a), notStuck(b)) }, false
	}
	sort.SliceStable(out, func(i, j int) bool {
		c := cmp(out[i], out[j])
		if desc {
			c = -c
		}
		if c == 0 && key != SortName {
			return byName(out[i], out[j]) < 0
		}
		return c < 0
	})
	return out
}

// notStuck is 0 for a stuck learner and 1 for the others.
func notStuck(l *Learner) int {
	if len(l.Stuck) > 0 {
		return 0
	}
	return 1
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// unix returns t in seconds since 1970, 0 for nil.
func unix(t *time.Time) int {
	if t == nil {
		return 0
	}
	return int(t.Unix())
}
