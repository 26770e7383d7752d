package kafkacli

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// A console entry may give kafka-console-producer the lines it reads from
// standard input in the three ways a shell user does:
//
//   - typed after the command: the entry's first line is the command and
//     every following line is one input line, up to a line holding only
//     "." (the card sends the lines a learner typed after the command this
//     way, ending them with "." on its own line or Ctrl-D);
//   - piped from echo or printf: `echo "a" | kafka-console-producer …`,
//     `printf 'a\nb\n' | kafka-console-producer …`;
//   - a here-document: `kafka-console-producer … <<EOF`, the lines, then
//     a line holding only EOF (<<'EOF', <<"EOF" and <<-EOF too).
//
// splitInput separates the command line from that input. No shell runs:
// echo and printf are read here, no variable or command is expanded, and
// a here-document whose delimiter is not quoted must not hold "$" or "`",
// which a shell would expand.

// stdin is the standard input of a console entry.
type stdin struct {
	given bool     // the entry gave input in one of the forms above
	lines []string // the input's lines, without line ends
}

// splitInput splits a console entry into its command line and its input.
func splitInput(text string) (string, stdin, error) {
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	first, rest, more := cutLogicalLine(text)
	ops, err := shellOperators(first)
	if err != nil {
		return "", stdin{}, err
	}
	for _, op := range ops {
		switch op.text {
		case "|":
			left, right := first[:op.at], first[op.at+1:]
			if !pipesInput(left) {
				// Before this console read pipes, "|" was a character
				// of a word (a topic regex such as a|b): it stays one
				// unless echo or printf stands before it.
				continue
			}
			if rops, _ := shellOperators(right); hasOp(rops, "<<") {
				return "", stdin{}, fmt.Errorf("give the input once: a pipe or a here-document, not both")
			}
			if more {
				return "", stdin{}, fmt.Errorf("a piped command takes no lines after it")
			}
			if strings.Contains(right, "|") {
				if rops, _ := shellOperators(right); hasOp(rops, "|") {
					return "", stdin{}, fmt.Errorf("this console runs one pipe at most: echo … | kafka-console-producer …")
				}
			}
			in, err := pipeSource(left)
			if err != nil {
				return "", stdin{}, err
			}
			return right, in, nil
		case "<<":
			return hereDocument(first, op.at, rest, more)
		case "<":
			return "", stdin{}, fmt.Errorf("this console has no files to redirect from: pipe the lines in (echo \"a\" | …), use a here-document (<<EOF) or type them after the command")
		}
	}
	if !more {
		return first, stdin{}, nil
	}
	in := stdin{given: true}
	lines := strings.Split(rest, "\n")
	for i, l := range lines {
		if l == "." {
			if tail := strings.TrimSpace(strings.Join(lines[i+1:], "\n")); tail != "" {
				return "", stdin{}, fmt.Errorf("the input ended with a line holding only \".\", and more lines follow it")
			}
			break
		}
		in.lines = append(in.lines, l)
	}
	return first, in, nil
}

// forUnquoted calls visit with the byte offset of each byte of text
// that stands outside single and double quotes and is not escaped by a
// backslash, as a shell reads the line. visit returns how many of the
// bytes after it it has taken (they are not visited) and whether to stop.
// Quotes and backslashes are ASCII, so scanning bytes never splits them
// from a multi-byte character.
func forUnquoted(text string, visit func(i int) (took int, stop bool)) {
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case quote == '"':
			if c == '\\' {
				i++
			} else if c == '"' {
				quote = 0
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		default:
			took, stop := visit(i)
			if stop {
				return
			}
			i += took
		}
	}
}

// cutLogicalLine cuts text at its first line end that is outside quotes
// and not escaped with a backslash: the command, as a shell reads it.
func cutLogicalLine(text string) (first, rest string, more bool) {
	end := -1
	forUnquoted(text, func(i int) (int, bool) {
		if text[i] == '\n' {
			end = i
			return 0, true
		}
		return 0, false
	})
	if end < 0 {
		return text, "", false
	}
	return text[:end], text[end+1:], true
}

// shellOp is a shell operator found outside quotes: "|", "<<" or "<",
// at byte offset at.
type shellOp struct {
	text string
	at   int
}

func hasOp(ops []shellOp, text string) bool {
	for _, op := range ops {
		if op.text == text {
			return true
		}
	}
	return false
}

// shellOperators finds the pipes and input redirections of a command line
// that stand outside quotes and escapes. "||" is refused.
func shellOperators(line string) ([]shellOp, error) {
	var ops []shellOp
	var err error
	forUnquoted(line, func(i int) (int, bool) {
		next := func(k int) byte {
			if i+k < len(line) {
				return line[i+k]
			}
			return 0
		}
		switch {
		case line[i] == '|' && next(1) == '|':
			err = fmt.Errorf("this console runs one command: || is not supported")
			return 0, true
		case line[i] == '|':
			ops = append(ops, shellOp{"|", i})
		case line[i] == '<' && next(1) == '<' && next(2) == '<':
			err = fmt.Errorf("this console has no here-strings (<<<): use echo \"a\" | … or a here-document (<<EOF)")
			return 0, true
		case line[i] == '<' && next(1) == '<':
			ops = append(ops, shellOp{"<<", i})
			return 1, false
		case line[i] == '<':
			ops = append(ops, shellOp{"<", i})
		}
		return 0, false
	})
	if err != nil {
		return nil, err
	}
	return ops, nil
}

// hereDocument reads the here-document whose operator "<<" is at offset
// at of the command line first; rest holds the entry's lines after it.
func hereDocument(first string, at int, rest string, more bool) (string, stdin, error) {
	after := first[at+2:]
	stripTabs := strings.HasPrefix(after, "-")
	if stripTabs {
		after = after[1:]
	}
	trimmed := strings.TrimLeft(after, " \t")
	// The delimiter is the next word, as typed.
	end := 0
	var quote byte
	for ; end < len(trimmed); end++ {
		c := trimmed[end]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		if c == '\'' || c == '"' {
			quote = c
			continue
		}
		if c == ' ' || c == '\t' || c == '|' || c == '<' || c == '>' || c == ';' || c == '&' {
			break
		}
	}
	raw := trimmed[:end]
	words, err := Tokenize(raw)
	if err != nil || len(words) != 1 || words[0] == "" {
		return "", stdin{}, fmt.Errorf("a here-document needs a delimiter word: <<EOF")
	}
	delim := words[0]
	quoted := strings.ContainsAny(raw, `'"\`)
	cmdline := first[:at] + " " + trimmed[end:]
	if rops, _ := shellOperators(trimmed[end:]); len(rops) > 0 {
		return "", stdin{}, fmt.Errorf("give the input once: one here-document, no pipe or other redirection")
	}
	if !more {
		return "", stdin{}, fmt.Errorf("the here-document has no lines: put them on the lines after the command and end them with a line holding only %s", delim)
	}
	in := stdin{given: true}
	lines := strings.Split(rest, "\n")
	closed := false
	for i, l := range lines {
		if stripTabs {
			l = strings.TrimLeft(l, "\t")
		}
		if l == delim {
			if tail := strings.TrimSpace(strings.Join(lines[i+1:], "\n")); tail != "" {
				return "", stdin{}, fmt.Errorf("this console runs one command: nothing may follow the here-document's closing %s", delim)
			}
			closed = true
			break
		}
		if !quoted && strings.ContainsAny(l, "$`") {
			return "", stdin{}, fmt.Errorf("a shell would expand $ and ` in this here-document: quote its delimiter (<<'%s') to send the lines as typed", delim)
		}
		in.lines = append(in.lines, l)
	}
	if !closed {
		return "", stdin{}, fmt.Errorf("the here-document does not end: add a line holding only %s", delim)
	}
	return cmdline, in, nil
}

// pipesInput reports whether the left side of a pipe starts with echo
// or printf, the commands whose output this console pipes.
func pipesInput(left string) bool {
	words, err := Tokenize(left)
	if err != nil || len(words) == 0 {
		return false
	}
	name := path.Base(words[0])
	return name == "echo" || name == "printf"
}

// pipeSource runs the left side of a pipe, which must be echo or printf,
// and returns what it writes as input lines.
func pipeSource(left string) (stdin, error) {
	words, err := Tokenize(left)
	if err != nil {
		return stdin{}, err
	}
	if len(words) == 0 {
		return stdin{}, fmt.Errorf("nothing before the pipe: echo \"a\" | kafka-console-producer …")
	}
	var out string
	switch path.Base(words[0]) {
	case "echo":
		out = echo(words[1:])
	case "printf":
		if len(words) < 2 {
			return stdin{}, fmt.Errorf("printf: usage: printf FORMAT [ARGUMENT]...")
		}
		out, err = printf(words[1], words[2:])
		if err != nil {
			return stdin{}, err
		}
	default:
		return stdin{}, fmt.Errorf("%s: this console pipes only echo and printf into a Kafka tool", words[0])
	}
	return stdin{given: true, lines: inputLines(out)}, nil
}

// inputLines splits text into lines as Java's BufferedReader.readLine
// reads them: a last line without a line end still counts, an empty text
// has none.
func inputLines(text string) []string {
	if text == "" {
		return []string{}
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// echo is bash's builtin echo: -n drops the line end, -e reads backslash
// escapes, -E (the default) does not.
func echo(args []string) string {
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		s = backslashEscapes(s)
	}
	if newline {
		s += "\n"
	}
	return s
}

// printf is bash's builtin printf with the directives %s, %b, %d, %i and
// %%: the format is used again while arguments remain.
func printf(format string, args []string) (string, error) {
	var b strings.Builder
	f := []rune(format)
	for {
		used := 0
		for i := 0; i < len(f); i++ {
			switch {
			case f[i] == '\\':
				text, next := oneEscape(f, i)
				b.WriteString(text)
				i = next - 1
				continue
			case f[i] != '%':
				b.WriteRune(f[i])
				continue
			case i+1 >= len(f):
				return "", fmt.Errorf("printf: `%%': missing format character")
			}
			i++
			arg := ""
			if f[i] != '%' {
				if used < len(args) {
					arg = args[used]
				}
				used++
			}
			switch f[i] {
			case '%':
				b.WriteByte('%')
			case 's':
				b.WriteString(arg)
			case 'b':
				b.WriteString(backslashEscapes(arg))
			case 'd', 'i':
				if arg == "" {
					arg = "0"
				}
				n, err := strconv.ParseInt(arg, 10, 64)
				if err != nil {
					return "", fmt.Errorf("printf: %s: invalid number", arg)
				}
				b.WriteString(strconv.FormatInt(n, 10))
			default:
				return "", fmt.Errorf("printf: %%%c: this console's printf knows %%s, %%b, %%d and %%%%", f[i])
			}
		}
		if used == 0 || used >= len(args) {
			break
		}
		args = args[used:]
	}
	return b.String(), nil
}

// backslashEscapes reads the backslash escapes of echo -e and printf's %b.
func backslashEscapes(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		if r[i] != '\\' {
			b.WriteRune(r[i])
			continue
		}
		text, next := oneEscape(r, i)
		b.WriteString(text)
		i = next - 1
	}
	return b.String()
}

// oneEscape decodes the backslash escape at r[i] (\n \t \r \\ \a \b \f \v
// \e \" \' \0NNN) and returns its text and the index after it; an unknown
// escape stays as typed.
func oneEscape(r []rune, i int) (string, int) {
	if i+1 >= len(r) {
		return "\\", i + 1
	}
	c := r[i+1]
	switch c {
	case 'n':
		return "\n", i + 2
	case 't':
		return "\t", i + 2
	case 'r':
		return "\r", i + 2
	case '\\':
		return "\\", i + 2
	case 'a':
		return "\a", i + 2
	case 'b':
		return "\b", i + 2
	case 'f':
		return "\f", i + 2
	case 'v':
		return "\v", i + 2
	case 'e':
		return "\x1b", i + 2
	case '"', '\'':
		return string(c), i + 2
	case '0':
		n, j := 0, i+2
		for ; j < len(r) && j < i+5 && r[j] >= '0' && r[j] <= '7'; j++ {
			n = n*8 + int(r[j]-'0')
		}
		return string([]byte{byte(n)}), j
	}
	return "\\" + string(c), i + 2
}
