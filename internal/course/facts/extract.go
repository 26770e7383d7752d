// Package facts reads the checkable facts out of a course's lessons (the
// Redis and Kafka settings they name with the defaults they state, the
// Redis INFO fields, Kafka error codes, exception classes and metric names
// they name) so that tests can compare them with the real tools.
//
// Extraction is deliberately simple and only looks at inline code spans
// (text between backticks) in the lesson's prose, tables and exercise
// blocks; other fenced code blocks (shell sessions, config files) are left
// alone. What counts:
//
//   - A setting is a backticked lower-case token: a word with hyphens
//     (`maxmemory-policy`, Redis style) or dotted (`min.insync.replicas`,
//     Kafka style), optionally written `name=value`. A token is in a config
//     context when it stands in the name column of a table that has a
//     Default column, or a default is stated right after it. Outside a
//     config context, an undotted word only counts if the checker finds it
//     in the real server's configuration (so `noeviction` or `redis-cli` are
//     not settings) or when it is one letter away from a real Redis
//     setting (a misspelling such as `maxmemory-polcy`, unless its sentence
//     is about Redis 7.2 or later), and a dotted one only if its first part
//     starts some real Kafka setting (so `dump.rdb` is not one).
//   - A stated default is one of: "`name` (default V)" (up to three
//     words may stand between the name and the parenthesis, and other
//     words may precede "default" inside it: "`hz` times per second
//     (default 10)", "(new in 7.0, default 0)"), "`name`, default V",
//     "`name` (V by default)" or "`name`, V by default",
//     "`name` defaults to V", "`name` ... its default of V" (or "its
//     default, V" / "its default is V", in the same clause),
//     "`name value` (the default)" or "`name value`, the default", in a
//     code block "CONFIG GET name  # V by default" or a config file line
//     "name value  # default", a table row whose name column holds the
//     name and whose Default column (a header containing "default") holds
//     the value, or a "`name value`" span inside such a Default column.
//     Several names in one cell ("`a`, `b`" or "`a` / `b`") pair with as
//     many values separated the same way; names in parentheses inside the
//     name cell get no default. Values such as "none" or prose are not
//     concrete and are not compared.
//   - Redis INFO fields are backticked snake_case tokens; Kafka error codes
//     and other enum constants are UPPER_SNAKE tokens; exceptions are
//     tokens ending in "Exception"; Kafka metric names are CamelCase tokens,
//     hyphenated tokens ending in a metric suffix (-avg, -max, -rate, ...)
//     and JMX object names (`kafka.server:type=...`).
package facts

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Kind says what a fact names.
type Kind string

const (
	// Setting is a configuration name (Redis or Kafka; the checker decides).
	Setting Kind = "setting"
	// InfoField is a snake_case token that may be a Redis INFO field.
	InfoField Kind = "info-field"
	// UpperName is an UPPER_SNAKE token: a Kafka error code or enum constant.
	UpperName Kind = "upper-name"
	// Exception is a class name ending in "Exception".
	Exception Kind = "exception"
	// CamelName is a CamelCase token: a metric name or a class.
	CamelName Kind = "camel-name"
	// KebabMetric is a hyphenated token ending in a metric suffix.
	KebabMetric Kind = "kebab-metric"
	// MBean is a JMX object name such as kafka.server:type=X,name=Y.
	MBean Kind = "mbean"
)

// Fact is one name a lesson mentions, with the default it states if any.
type Fact struct {
	File string // lesson path inside the content tree
	Line int    // 1-based file line
	Kind Kind
	Name string
	// ConfigContext is true when the lesson uses Name as a setting for sure
	// (table name column, or a default stated next to it).
	ConfigContext bool
	// Default is the value the lesson states as Name's default, as written
	// (backticks and trailing remarks removed); HasDefault says one is
	// stated. Only concrete values (see Concrete) are kept.
	Default    string
	HasDefault bool
	// Text is the whole source line, for reports and removal markers.
	Text string
}

func (f Fact) String() string {
	s := fmt.Sprintf("%s:%d: %s `%s`", f.File, f.Line, f.Kind, f.Name)
	if f.HasDefault {
		s += fmt.Sprintf(" default %q", f.Default)
	}
	return s
}

// ExtractFS returns the facts of every lesson (NN-*.md) of every course
// folder in fsys, in file and line order.
func ExtractFS(fsys fs.FS) ([]Fact, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && lessonFileRE.MatchString(path.Base(p)) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list lessons: %w", err)
	}
	sort.Strings(files)
	var all []Fact
	for _, p := range files {
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read lesson: %w", err)
		}
		all = append(all, Extract(p, string(src))...)
	}
	return all, nil
}

var lessonFileRE = regexp.MustCompile(`^\d+-[a-z0-9-]+\.md$`)

var (
	fenceRE    = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([a-z]*)")
	spanRE     = regexp.MustCompile("`([^`]+)`")
	dashNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	dotNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$`)
	snakeRE    = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)+$`)
	upperRE    = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	exceptRE   = regexp.MustCompile(`^(?:[a-z][a-z0-9]*\.)*([A-Z][A-Za-z0-9]*Exception)$`)
	camelRE    = regexp.MustCompile(`^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$`)
	kebabRE    = regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)*-(avg|max|min|rate|total|bytes|ratio|count)$`)
	mbeanRE    = regexp.MustCompile(`^kafka\.[a-z.]+:.*type=\S+$`)
	// after a setting's closing backtick:
	defaultParenRE = regexp.MustCompile(`^\*{0,2}(?:\s+[a-z]+){0,3}\s*\((?:[^()]*?[,;]\s*)?default:?\s+(` + "`[^`]*`" + `|[^,;)]+)`)
	commaDefaultRE = regexp.MustCompile(`^\*{0,2},\s+default:?\s+(` + "`[^`]*`" + `|[^,;.)]+)`)
	byDefaultRE    = regexp.MustCompile(`^\*{0,2}(?:\s*\((?:[^()]*?,\s*)?|,\s+)(` + "`[^`]*`" + `|[^,;()]+?) by default\b`)
	defaultsToRE   = regexp.MustCompile(`^\*{0,2}\s+defaults to\s+(` + "`[^`]*`" + `|[^,;.)]+)`)
	theDefaultRE   = regexp.MustCompile(`^\*{0,2}(?:\s*\(|,\s*)the default\b`)
	itsDefaultRE   = regexp.MustCompile(`^\*{0,2}[^.;` + "`" + `]*?\bits default(?: of|,| is)\s+(` + "`[^`]*`" + `|[^,;.)\s]+)`)
	// in a code block: "CONFIG GET name   # V by default" and a config
	// file line "name value   # the default" / "# default"
	codeGetDefaultRE  = regexp.MustCompile(`CONFIG GET ([a-z][a-z0-9-]*)\s+#\s*(\S+) by default\b`)
	codeFileDefaultRE = regexp.MustCompile(`^\s*([a-z][a-z0-9-]*) (\S+)\s+#\s*(?:the )?default\b`)
)

// fileExtensions marks dotted tokens that are file names, not settings.
var fileExtensions = []string{".conf", ".properties", ".rdb", ".aof", ".md", ".sh", ".log", ".json", ".yaml", ".yml", ".txt", ".jar", ".xml", ".jks", ".p12", ".pem", ".crt", ".key", ".csv", ".py", ".go", ".service", ".tar", ".gz", ".base", ".incr", ".manifest", ".metadata"}

// Extract returns the facts of one lesson file's source.
func Extract(file, src string) []Fact {
	var facts []Fact
	lines := strings.Split(src, "\n")
	var fence string // the open fence, "" outside a fenced block
	var fenceCounts bool
	var table *tableState
	for i, line := range lines {
		n := i + 1
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			if fence == "" {
				fence, fenceCounts = m[1], m[2] == "exercise"
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(line), fence) && strings.Trim(strings.TrimSpace(line), fence[:1]) == "" {
				fence = ""
				continue
			}
		}
		if fence != "" && !fenceCounts {
			facts = append(facts, codeFacts(file, n, line)...)
			continue
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "|") {
			cells := splitRow(trimmed)
			switch {
			case table == nil:
				table = newTable(cells)
			case isSeparatorRow(cells):
			default:
				facts = append(facts, table.row(file, n, line, cells)...)
				facts = append(facts, spanFacts(file, n, line, table.namedInRow(cells))...)
				continue
			}
			facts = append(facts, spanFacts(file, n, line, nil)...)
			continue
		}
		table = nil
		facts = append(facts, spanFacts(file, n, line, nil)...)
	}
	return dedupe(facts)
}

// spanFacts returns the facts of every code span of a line; skip holds the
// setting names a table row already reported in a config context.
func spanFacts(file string, n int, line string, skip map[string]bool) []Fact {
	var facts []Fact
	for _, loc := range spanRE.FindAllStringSubmatchIndex(line, -1) {
		span := line[loc[2]:loc[3]]
		rest := line[loc[1]:]
		add := func(k Kind, name string) {
			facts = append(facts, Fact{File: file, Line: n, Kind: k, Name: name, Text: line})
		}
		// "`name value` (the default)" and "`name value`, the default".
		if name, value, ok := strings.Cut(span, " "); ok && dashNameRE.MatchString(name) {
			if theDefaultRE.MatchString(rest) && Concrete(value) {
				facts = append(facts, Fact{File: file, Line: n, Kind: Setting, Name: name, ConfigContext: true,
					Default: cleanValue(value), HasDefault: true, Text: line})
			}
			continue
		}
		token := span
		if name, _, ok := strings.Cut(span, "="); ok && dotNameRE.MatchString(name) {
			token = name
		}
		switch {
		case skip[token]:
		case dashNameRE.MatchString(token) || (dotNameRE.MatchString(token) && !isFileName(token)):
			f := Fact{File: file, Line: n, Kind: Setting, Name: token, Text: line}
			if v, ok := statedDefault(rest); ok {
				f.ConfigContext, f.Default, f.HasDefault = true, v, true
			}
			facts = append(facts, f)
			if kebabRE.MatchString(token) {
				add(KebabMetric, token)
			}
		case snakeRE.MatchString(token):
			add(InfoField, token)
		case upperRE.MatchString(token):
			add(UpperName, token)
		case exceptRE.MatchString(token):
			add(Exception, exceptRE.FindStringSubmatch(token)[1])
		case camelRE.MatchString(token):
			add(CamelName, token)
		case mbeanRE.MatchString(token):
			add(MBean, token)
		}
	}
	return facts
}

// proseValueRE is what a default stated in prose must look like to be
// compared: a code span, a number, or a boolean word ("seven days" is not).
var proseValueRE = regexp.MustCompile("^(`.*`|-?\\d.*|(?i:on|off|yes|no|true|false))$")

// codeFacts returns the defaults a line of a code block states in a
// comment (the two code forms of the package comment); nothing else of a
// code block counts.
func codeFacts(file string, n int, line string) []Fact {
	for _, re := range []*regexp.Regexp{codeGetDefaultRE, codeFileDefaultRE} {
		if m := re.FindStringSubmatch(line); m != nil && Concrete(m[2]) {
			return []Fact{{File: file, Line: n, Kind: Setting, Name: m[1], ConfigContext: true,
				Default: cleanValue(m[2]), HasDefault: true, Text: line}}
		}
	}
	return nil
}

// statedDefault reads a default stated right after a setting's closing
// backtick, in one of the prose forms of the package comment.
func statedDefault(rest string) (string, bool) {
	for _, re := range []*regexp.Regexp{defaultParenRE, commaDefaultRE, byDefaultRE, defaultsToRE, itsDefaultRE} {
		if m := re.FindStringSubmatch(rest); m != nil {
			v := strings.TrimSpace(m[1])
			if proseValueRE.MatchString(v) && Concrete(v) {
				return cleanValue(v), true
			}
			return "", false
		}
	}
	return "", false
}

func isFileName(token string) bool {
	for _, ext := range fileExtensions {
		if strings.HasSuffix(token, ext) {
			return true
		}
	}
	return false
}

// tableState is the header of the Markdown table being read.
type tableState struct {
	nameCol, defaultCol int // -1 when absent
}

var (
	// a header that is the Default column: "Default", "7.0 default",
	// "Default value", "Default (Redis 7.0 / Kafka 4)"
	defaultHeaderRE = regexp.MustCompile(`^((redis |kafka )?[\d.]+ )?defaults?\b`)
	// a header that mentions defaults: "Thresholds (Redis 7 defaults)"
	defaultWordRE = regexp.MustCompile(`\bdefaults?\b`)
)

func newTable(header []string) *tableState {
	t := &tableState{nameCol: -1, defaultCol: -1}
	for i, h := range header {
		h = strings.ToLower(h)
		if defaultHeaderRE.MatchString(h) && !strings.HasPrefix(h, "default in") && t.defaultCol < 0 {
			t.defaultCol = i
		}
	}
	for i, h := range header {
		h = strings.ToLower(h)
		if t.defaultCol < 0 && defaultWordRE.MatchString(h) && !strings.HasPrefix(h, "default in") &&
			!strings.Contains(h, "setting") && !strings.Contains(h, "broker default") {
			t.defaultCol = i
		}
		if i != t.defaultCol && t.nameCol < 0 && (strings.Contains(h, "setting") || strings.Contains(h, "parameter") || strings.Contains(h, "config")) {
			t.nameCol = i
		}
	}
	return t
}

// namedInRow returns the names the row's name column gives a config
// context (so spanFacts does not report them again without it).
func (t *tableState) namedInRow(cells []string) map[string]bool {
	skip := map[string]bool{}
	if t.defaultCol < 0 || t.nameCol < 0 || t.nameCol >= len(cells) {
		return skip
	}
	for _, name := range settingSpans(cells[t.nameCol]) {
		skip[name] = true
	}
	return skip
}

// row returns the config-context facts of one table row.
func (t *tableState) row(file string, n int, line string, cells []string) []Fact {
	if t.defaultCol < 0 || t.defaultCol >= len(cells) {
		return nil
	}
	var facts []Fact
	value := cells[t.defaultCol]
	// "`name value`" spans inside the Default column.
	for _, m := range spanRE.FindAllStringSubmatch(value, -1) {
		if name, v, ok := strings.Cut(m[1], " "); ok && dashNameRE.MatchString(name) && Concrete(v) {
			facts = append(facts, Fact{File: file, Line: n, Kind: Setting, Name: name, ConfigContext: true,
				Default: cleanValue(v), HasDefault: true, Text: line})
		}
	}
	if t.nameCol < 0 || t.nameCol >= len(cells) {
		return facts
	}
	all := settingSpans(cells[t.nameCol])
	getsDefault := settingSpans(stripParens(cells[t.nameCol]))
	values := splitValues(value, len(getsDefault))
	for _, name := range all {
		f := Fact{File: file, Line: n, Kind: Setting, Name: name, ConfigContext: true, Text: line}
		if i := slices.Index(getsDefault, name); i >= 0 && values != nil {
			v := firstValue(values[i])
			if Concrete(v) {
				f.Default, f.HasDefault = cleanValue(v), true
			}
		}
		facts = append(facts, f)
	}
	return facts
}

// settingSpans returns the setting-shaped code spans of a cell.
func settingSpans(cell string) []string {
	var names []string
	for _, m := range spanRE.FindAllStringSubmatch(cell, -1) {
		if dashNameRE.MatchString(m[1]) || (dotNameRE.MatchString(m[1]) && !isFileName(m[1])) {
			names = append(names, m[1])
		}
	}
	return names
}

// splitValues splits a Default cell into k values: the whole cell when k
// is 1 or the cell does not split into k parts on " / " or ", " (then
// every name gets the whole cell), nil when k is 0.
func splitValues(cell string, k int) []string {
	if k == 0 {
		return nil
	}
	if k > 1 {
		for _, sep := range []string{" / ", ", "} {
			if parts := strings.Split(cell, sep); len(parts) == k {
				return parts
			}
		}
	}
	out := make([]string, k)
	for i := range out {
		out[i] = cell
	}
	return out
}

// firstValue reduces a Default cell to its value: the first code span if
// there is one, else the text before any parenthesis.
func firstValue(cell string) string {
	if m := spanRE.FindStringSubmatch(cell); m != nil {
		return m[1]
	}
	return strings.TrimSpace(stripParens(cell))
}

var parenRE = regexp.MustCompile(`\([^()]*\)`)

func stripParens(s string) string { return parenRE.ReplaceAllString(s, "") }

func splitRow(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	// A pipe inside a code span does not split cells.
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(row); i++ {
		c := row[i]
		switch {
		case c == '`':
			inCode = !inCode
		case c == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
			continue
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func isSeparatorRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":- ") != "" {
			return false
		}
	}
	return true
}

// dedupe drops a fact identical to an earlier one (same line, kind, name
// and default), keeping order.
func dedupe(facts []Fact) []Fact {
	seen := map[string]bool{}
	var out []Fact
	for _, f := range facts {
		key := fmt.Sprintf("%d\x00%s\x00%s\x00%v\x00%s", f.Line, f.Kind, f.Name, f.HasDefault, f.Default)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	return out
}
