package team

import "time"

// CompletionWindow is the most days the completion chart covers.
const CompletionWindow = 30

// Day is the team's lesson completions on one calendar day (UTC).
type Day struct {
	Date      time.Time // midnight UTC
	Completed int       // lessons completed that day
	Total     int       // lessons completed up to the end of that day, days before the chart included
}

// CompletionDays returns one Day per calendar day, in UTC, ending on now's
// day and starting on the later of the day days-1 before it and the day of
// the learners' first activity: the last days days, or since the team
// started if that is more recent. A completion recorded after now counts on
// now's day. It returns nil when no learner has any activity, or days < 1.
func CompletionDays(learners []*Learner, now time.Time, days int) []Day {
	var first *time.Time
	for _, l := range learners {
		if l.FirstActivity != nil && (first == nil || l.FirstActivity.Before(*first)) {
			first = l.FirstActivity
		}
	}
	if first == nil || days < 1 {
		return nil
	}
	end := midnight(now)
	start := end.AddDate(0, 0, -(days - 1))
	if f := midnight(*first); f.After(start) {
		start = f
	}
	if start.After(end) {
		start = end
	}
	n := int(end.Sub(start).Hours()/24+0.5) + 1
	out := make([]Day, n)
	for i := range out {
		out[i].Date = start.AddDate(0, 0, i)
	}
	before := 0
	for _, l := range learners {
		for _, c := range l.Cells {
			if c.Completed == nil {
				continue
			}
			d := midnight(*c.Completed)
			switch {
			case d.Before(start):
				before++
			case d.After(end):
				out[n-1].Completed++
			default:
				out[int(d.Sub(start).Hours()/24+0.5)].Completed++
			}
		}
	}
	total := before
	for i := range out {
		total += out[i].Completed
		out[i].Total = total
	}
	return out
}

// midnight returns the start of t's day in UTC.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
