package course

import (
	"fmt"
	"regexp"
	"strings"
)

// SandboxPostgres is the kind whose probes are `postgres:` and whose setup
// and solution lines are SQL statements.
const SandboxPostgres = "postgres"

// The fields of a `postgres: describe table T` probe's value.
var describeTableFields = []string{"exists", "columns", "indexes", "index", "rows", "estimate"}

// describeRE matches a describe probe, any case: "describe table T".
var describeRE = regexp.MustCompile(`(?i)^describe(\s+table)?(\s+(.*))?$`)

// DescribeTable reports whether a postgres probe is "describe table T"
// (the words in any case) and returns T as written, "" when it names no
// table. A probe that does not start with the word "describe" is SQL.
func DescribeTable(probe string) (table string, ok bool) {
	f := strings.Fields(probe)
	if len(f) == 0 || !strings.EqualFold(f[0], "describe") {
		return "", false
	}
	m := describeRE.FindStringSubmatch(strings.TrimSpace(probe))
	if m == nil || m[1] == "" {
		return "", true
	}
	return strings.TrimSpace(m[3]), true
}

// checkPostgresProbe says what is wrong with the text of a postgres probe:
// "describe table T" with one name, or one SQL statement.
func checkPostgresProbe(probe string) error {
	if table, ok := DescribeTable(probe); ok {
		if table == "" || strings.ContainsAny(table, " \t;") && !strings.HasPrefix(table, `"`) {
			return fmt.Errorf("a describe probe is \"describe table NAME\", one table name (schema.table or \"Quoted\" allowed), not %q", probe)
		}
		return nil
	}
	return CheckSQL(probe)
}

// CheckSQL reports whether s is one SQL statement: not empty (comments and
// blanks aside), with no ';' before its end outside quotes, quoted names,
// dollar quoting and comments. A final ';' is allowed. It does not parse
// the SQL: the server says what else is wrong.
func CheckSQL(s string) error {
	rest, err := sqlStatementEnd(s)
	if err != nil {
		return err
	}
	if strings.TrimSpace(stripSQLComments(s[:len(s)-len(rest)])) == "" {
		return fmt.Errorf("an SQL line needs a statement, not only blanks and comments")
	}
	if strings.TrimSpace(stripSQLComments(strings.TrimPrefix(rest, ";"))) != "" {
		return fmt.Errorf("more than one SQL statement: a line or probe runs one (split it at the ';')")
	}
	return nil
}

// sqlStatementEnd scans s and returns what follows the first statement: ""
// or the text from its first top-level ';'. It errs on an unclosed quote
// or comment.
func sqlStatementEnd(s string) (string, error) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ';':
			return s[i:], nil
		case c == '\'' || c == '"':
			end := closingQuote(s, i)
			if end < 0 {
				return "", fmt.Errorf("unclosed %c quote", c)
			}
			i = end + 1
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return "", nil
			}
			i += nl + 1
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return "", fmt.Errorf("unclosed /* comment")
			}
			i += end + 4
		case c == '$':
			tag := dollarTagRE.FindString(s[i:])
			if tag == "" || (i > 0 && isIdentByte(s[i-1])) {
				i++ // a parameter such as $1, or part of a name
				continue
			}
			end := strings.Index(s[i+len(tag):], tag)
			if end < 0 {
				return "", fmt.Errorf("unclosed %s quote", tag)
			}
			i += len(tag) + end + len(tag)
		default:
			i++
		}
	}
	return "", nil
}

// closingQuote returns the index of the quote that closes the one at
// s[open], a doubled quote being part of the text; -1 if none does.
func closingQuote(s string, open int) int {
	q := s[open]
	for i := open + 1; i < len(s); i++ {
		if s[i] != q {
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			i++
			continue
		}
		return i
	}
	return -1
}

// dollarTagRE matches the opening of a dollar-quoted string: $$ or $tag$.
var dollarTagRE = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)

func isIdentByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// stripSQLComments removes -- and /* */ comments outside quotes, enough
// to tell an empty statement from one with words.
func stripSQLComments(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "--"):
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return b.String()
			}
			i += nl
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 4
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}
