package facts

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

var (
	// a number with an optional unit: 10, -1, 0.5, 64mb, 1 GiB, 7 days, 9 s
	quantityRE = regexp.MustCompile(`^(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)?$`)
	// a space-separated list of numbers: a save schedule, percentiles
	numberListRE = regexp.MustCompile(`^-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)+$`)
	// one identifier-like word: noeviction, everysec, read_uncommitted, ./
	wordRE = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
)

// notConcrete are words that say there is no value rather than give one.
var notConcrete = map[string]bool{"none": true, "unset": true, "null": true, "empty": true, "n/a": true, "-": true,
	"unlimited": true, "never": true, "infinite": true}

// Concrete reports whether a stated default is a value the checker can
// compare: a number (with an optional size or time unit), a list of
// numbers, one word, or `""` (empty). "none", "unset" and prose are not.
func Concrete(v string) bool {
	v = cleanValue(v)
	if v == `""` {
		return true
	}
	if v == "" || notConcrete[strings.ToLower(v)] {
		return false
	}
	if m := quantityRE.FindStringSubmatch(v); m != nil {
		return m[2] == "" || unitKnown(m[2])
	}
	return numberListRE.MatchString(v) || wordRE.MatchString(v)
}

// cleanValue strips backticks, bold and surrounding space.
func cleanValue(v string) string {
	v = strings.TrimSpace(v)
	v = strings.Trim(v, "`*")
	return strings.TrimSpace(v)
}

var sizeUnits = map[string]float64{
	"b": 1, "byte": 1, "bytes": 1,
	"k": 1e3, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1 << 30, "gib": 1 << 30,
}

var timeUnitsMS = map[string]float64{
	"ms": 1, "millisecond": 1, "milliseconds": 1,
	"s": 1e3, "sec": 1e3, "second": 1e3, "seconds": 1e3,
	"min": 60e3, "mins": 60e3, "minute": 60e3, "minutes": 60e3,
	"h": 3600e3, "hour": 3600e3, "hours": 3600e3,
	"day": 86400e3, "days": 86400e3,
	"week": 604800e3, "weeks": 604800e3,
}

func unitKnown(u string) bool {
	u = strings.ToLower(u)
	_, size := sizeUnits[u]
	_, tm := timeUnitsMS[u]
	return size || tm
}

// nameTimeUnitMS returns the unit, in milliseconds, that a setting's name
// says its value is in (retention.ms, log.retention.hours,
// repl-backlog-ttl has none), or 0.
func nameTimeUnitMS(name string) float64 {
	for suffix, ms := range map[string]float64{
		".ms": 1, "-ms": 1, "milliseconds": 1,
		".seconds": 1e3, ".minutes": 60e3, ".hours": 3600e3,
	} {
		if strings.HasSuffix(name, suffix) {
			return ms
		}
	}
	return 0
}

// Normalize turns a value into the form the checker compares: booleans
// as "true"/"false" (yes/on likewise), sizes in bytes, durations in the
// unit the setting's name implies (a duration without one keeps its
// number), `""` as the empty string, numbers without trailing zeros, lists
// of numbers single-spaced, words lower-cased.
func Normalize(name, v string) string {
	v = cleanValue(v)
	if v == `""` {
		return ""
	}
	switch strings.ToLower(v) {
	case "yes", "on", "true":
		return "true"
	case "no", "off", "false":
		return "false"
	}
	if m := quantityRE.FindStringSubmatch(v); m != nil {
		x, err := strconv.ParseFloat(m[1], 64)
		if err == nil {
			u := strings.ToLower(m[2])
			if f, ok := sizeUnits[u]; ok {
				x *= f
			} else if f, ok := timeUnitsMS[u]; ok {
				if want := nameTimeUnitMS(name); want != 0 {
					x = x * f / want
				}
			}
			if x == math.Trunc(x) && math.Abs(x) < 1e18 {
				return strconv.FormatInt(int64(x), 10)
			}
			if m[2] == "" {
				return m[1] // keep big integers such as Long.MAX_VALUE exact
			}
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	if numberListRE.MatchString(v) {
		return strings.Join(strings.Fields(v), " ")
	}
	return strings.ToLower(v)
}
