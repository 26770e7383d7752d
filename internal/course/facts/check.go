package facts

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Authority is what the real tools say, which the lessons are checked
// against.
type Authority struct {
	RedisConfig map[string]string // CONFIG GET * of a server started with defaults
	RedisInfo   map[string]bool   // INFO everything (and CLUSTER INFO) field names
	// RedisMemoryStats are the keys of MEMORY STATS (peak.allocated, ...),
	// which look like Kafka settings but are not.
	RedisMemoryStats map[string]bool
	KafkaConfig      map[string][]KafkaDef // config definitions by name
	Kafka            *KafkaJars
	// Known are names the tools cannot show at run time, each with its
	// source (see ReadKnown); they pass the existence checks.
	Known map[string]string
	// RedisNotCompared are Redis settings whose value on the test's server
	// is not the default, because of how the test has to start it (port,
	// dir) or of the machine (maxclients under a small open-files limit);
	// their stated defaults are not compared.
	RedisNotCompared map[string]bool
}

// Finding is one fact the authority contradicts.
type Finding struct {
	Fact
	Problem string // what is wrong, with what the real tool says
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Problem) }

// removedRE marks a sentence that says a name no longer exists: a Kafka
// setting, class or metric absent from 4.1 passes only in a sentence that
// says "removed", "no longer exists" or "ZooKeeper-only".
var removedRE = regexp.MustCompile(`(?i)\b(removed|no longer exists?|zookeeper-only)\b`)

// perCommandInfoRE are INFO field families with one field per command or
// error seen (cmdstat_get, errorstat_OOM, latency_percentiles_usec_get):
// the checker accepts any member of a family the server has.
var perCommandInfoRE = regexp.MustCompile(`^(cmdstat|errorstat|latency_percentiles_usec)_[a-z|]+$`)

// Counts says how many facts of each kind the checker verified.
type Counts map[string]int

// Check compares every fact with the authority and returns the findings
// (each a lesson claim the real tools contradict) and how many facts it
// checked of each sort, for floors.
func Check(facts []Fact, a *Authority) ([]Finding, Counts) {
	var out []Finding
	counts := Counts{}
	kafkaPrefixes := map[string]bool{"zookeeper": true}
	for name := range a.KafkaConfig {
		first, _, _ := strings.Cut(name, ".")
		kafkaPrefixes[first] = true
	}
	infoPrefixes := map[string]bool{}
	for name := range a.RedisInfo {
		first, _, _ := strings.Cut(name, "_")
		infoPrefixes[first] = true
	}
	// redis_* names are mostly Prometheus exporter metrics, which no Redis
	// server can confirm; the few INFO fields of that shape still pass.
	delete(infoPrefixes, "redis")
	bad := func(f Fact, format string, args ...any) {
		out = append(out, Finding{Fact: f, Problem: fmt.Sprintf("`%s`: ", f.Name) + fmt.Sprintf(format, args...)})
	}
	for _, f := range facts {
		_, known := a.Known[f.Name]
		removed := removedRE.MatchString(sentenceOf(f.Text, f.Name))
		switch f.Kind {
		case Setting:
			dotted := strings.Contains(f.Name, ".")
			redisValue, isRedis := a.RedisConfig[f.Name]
			kafkaDefs, isKafka := a.KafkaConfig[f.Name]
			if !isKafka {
				kafkaDefs, isKafka = listenerConfig(a.KafkaConfig, f.Name)
			}
			first, _, _ := strings.Cut(f.Name, ".")
			switch {
			case !dotted && isRedis:
				counts["redis-setting"]++
				if f.HasDefault && !a.RedisNotCompared[f.Name] {
					counts["redis-default"]++
					if !redisDefaultMatches(f, redisValue) {
						bad(f, "the lesson states default %q; CONFIG GET on a default Redis 7.0 server says %q", f.Default, redisValue)
					}
				}
			case isKafka:
				counts["kafka-setting"]++
				if f.HasDefault {
					counts["kafka-default"]++
					if !kafkaDefaultMatches(f, kafkaDefs) {
						bad(f, "the lesson states default %q; Kafka 4.1's definition says %s", f.Default, describeDefs(kafkaDefs))
					}
				}
			case known:
				counts["known-setting"]++
			case dotted && a.RedisMemoryStats[f.Name]:
				counts["redis-memory-stats"]++
			case dotted && (f.ConfigContext || kafkaPrefixes[first]):
				if removed {
					counts["removed-setting"]++
					continue
				}
				bad(f, "not a configuration name of Kafka 4.1 (broker, controller, topic, producer, consumer or admin definitions); if the lesson means it was removed, say \"removed in\" on the same line")
			case f.ConfigContext:
				bad(f, "named as a setting, but neither Redis 7.0 (CONFIG GET *) nor Kafka 4.1 knows it")
			case !dotted && len(f.Name) >= 8 && !newerRedisRE.MatchString(sentenceOf(f.Text, f.Name)):
				if near := nearName(a.RedisConfig, f.Name); near != "" {
					bad(f, "not a Redis 7.0 setting; did the lesson mean `%s`?", near)
				}
			}
		case InfoField:
			if !infoPrefixes[strings.SplitN(f.Name, "_", 2)[0]] && !known {
				continue // not shaped like an INFO field of this server
			}
			counts["redis-info"]++
			if m := perCommandInfoRE.FindStringSubmatch(f.Name); m != nil && infoPrefixes[strings.SplitN(m[1], "_", 2)[0]] {
				continue
			}
			if !a.RedisInfo[f.Name] && !known {
				bad(f, "not a field of Redis 7.0's INFO everything (primary with AOF, replica) or CLUSTER INFO; add it to known_names.txt with its source if it is real")
			}
		case UpperName:
			counts["kafka-upper"]++
			if !a.Kafka.Errors[f.Name] && !a.Kafka.Enums[f.Name] && !known && !removed {
				bad(f, "not a constant of Kafka 4.1's Errors enum (nor of another Kafka enum)")
			}
		case Exception:
			counts["exception"]++
			if !a.Kafka.Classes[f.Name] && !known && !removed {
				bad(f, "no class of that name in Kafka 4.1's jars")
			}
		case CamelName:
			counts["camel-name"]++
			// Also accepted: the short name of an exception class
			// (NotEnoughReplicas) and the CamelCase spelling Kafka's
			// tools use for enum constants (ClusterAction).
			if !a.Kafka.Strings[f.Name] && !a.Kafka.Classes[f.Name] && !a.Kafka.Classes[f.Name+"Exception"] &&
				!a.Kafka.Enums[upperSnake(f.Name)] && !known && !removed {
				bad(f, "neither a string constant nor a class of Kafka 4.1's jars; add it to known_names.txt with its source if it is a real metric")
			}
		case KebabMetric:
			if redisSettingEndsWith(a.RedisConfig, f.Name) {
				continue // a Redis setting, or its tail (cycle-max)
			}
			counts["kafka-metric"]++
			if !a.Kafka.Strings[f.Name] && !known && !removed {
				bad(f, "not a string constant of Kafka 4.1's jars; add it to known_names.txt with its source if it is a real metric")
			}
		case MBean:
			counts["kafka-mbean"]++
			for _, part := range mbeanParts(f.Name) {
				if _, knownPart := a.Known[part]; !a.Kafka.Strings[part] && !a.Kafka.Classes[part] && !known && !knownPart {
					bad(f, "%q is not a string constant of Kafka 4.1's jars", part)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, counts
}

// sentenceOf returns the sentence of line that holds `name`: the text
// between the sentence ends (". " or a table cell's "|") around its
// first occurrence, or the whole line if name is not found.
func sentenceOf(line, name string) string {
	i := strings.Index(line, "`"+name)
	if i < 0 {
		i = strings.Index(line, name)
	}
	if i < 0 {
		return line
	}
	start, end := 0, len(line)
	for _, sep := range []string{". ", "|"} {
		if j := strings.LastIndex(line[:i], sep); j >= 0 && j+len(sep) > start {
			start = j + len(sep)
		}
		if j := strings.Index(line[i:], sep); j >= 0 && i+j < end {
			end = i + j
		}
	}
	return line[start:end]
}

// listenerConfig resolves a per-listener broker setting,
// listener.name.<listener>.<setting> or, for SASL,
// listener.name.<listener>.<mechanism>.<setting>, to the setting's
// definitions.
func listenerConfig(config map[string][]KafkaDef, name string) ([]KafkaDef, bool) {
	rest, ok := strings.CutPrefix(name, "listener.name.")
	if !ok {
		return nil, false
	}
	for range 2 {
		_, after, found := strings.Cut(rest, ".")
		if !found {
			return nil, false
		}
		rest = after
		if defs, ok := config[rest]; ok {
			return defs, true
		}
	}
	return nil, false
}

// mbeanParts returns the values of a JMX name's type= and name= keys that
// are literal (no wildcard or placeholder).
func mbeanParts(name string) []string {
	_, keys, _ := strings.Cut(name, ":")
	var parts []string
	for _, kv := range strings.Split(keys, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k != "type" && k != "name" {
			continue
		}
		for _, alt := range strings.Split(v, "|") { // type=Produce|Fetch
			if alt != "" && !strings.ContainsAny(alt, "*<>{}…") {
				parts = append(parts, alt)
			}
		}
	}
	return parts
}

// redisDefaultMatches reports whether a stated Redis default is the real
// one. A stated "off" also matches 0 and the empty string (tls-port 0,
// no tls-cert-file), the values that turn a feature off.
func redisDefaultMatches(f Fact, real string) bool {
	stated := Normalize(f.Name, f.Default)
	if stated == Normalize(f.Name, real) {
		return true
	}
	return strings.EqualFold(f.Default, "off") && (real == "0" || real == "")
}

// newerRedisRE marks a sentence about a later Redis release (7.2, 7.4, 8.0):
// a name in it that 7.0 lacks is not taken for a misspelling.
var newerRedisRE = regexp.MustCompile(`\b(7\.[2-9]|[89]\.\d)\b`)

// nearName returns a setting of config whose name is one edit (a letter
// added, dropped or changed) away from name, or "": a backticked word that
// close to a real setting is taken for a misspelt setting.
func nearName(config map[string]string, name string) string {
	var found []string
	for setting := range config {
		if oneEdit(setting, name) {
			found = append(found, setting)
		}
	}
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// oneEdit reports whether a and b differ by exactly one inserted, deleted
// or replaced byte.
func oneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i+1:] == b[i:]
}

// redisSettingEndsWith reports whether name is a Redis setting or the tail
// of one after a hyphen.
func redisSettingEndsWith(config map[string]string, name string) bool {
	for setting := range config {
		if setting == name || strings.HasSuffix(setting, "-"+name) {
			return true
		}
	}
	return false
}

// upperSnake turns ClusterAction into CLUSTER_ACTION.
func upperSnake(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// kafkaDefaultMatches reports whether any definition of the name has the
// stated default (a name such as compression.type has different defaults
// for the broker and the producer; the lesson may mean either).
func kafkaDefaultMatches(f Fact, defs []KafkaDef) bool {
	for _, d := range defs {
		if Normalize(f.Name, f.Default) == Normalize(f.Name, d.Default) {
			return true
		}
	}
	return false
}

func describeDefs(defs []KafkaDef) string {
	var parts []string
	for _, d := range defs {
		parts = append(parts, fmt.Sprintf("%q (%s)", d.Default, d.Scope))
	}
	return strings.Join(parts, ", ")
}

// ReadKnown reads an allow list: one name per line, then whitespace, then
// its reason and source (required). Blank lines and lines starting with
// '#' are comments.
func ReadKnown(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, source, _ := strings.Cut(line, " ")
		source = strings.TrimSpace(source)
		if source == "" {
			return nil, fmt.Errorf("read known names: line %d: %q has no source", n, name)
		}
		out[name] = source
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read known names: %w", err)
	}
	return out, nil
}
