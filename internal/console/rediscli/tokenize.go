package rediscli

import "errors"

// ErrInvalidArgs is returned by Tokenize for a line redis-cli refuses to
// split, such as one with an unbalanced quote. Its message is exactly the
// line redis-cli prints in that case (without the newline), so a console
// can print err.Error() as it is.
var ErrInvalidArgs = errors.New("Invalid argument(s)")

// Tokenize splits line into arguments the way redis-cli's prompt does:
//
//   - Arguments are separated by runs of whitespace. Space, tab, newline
//     and carriage return end an argument; vertical tab and form feed are
//     skipped between arguments but kept inside one (a redis-cli quirk).
//   - A double quote starts a quoted part, even in the middle of an
//     argument (a"b c" is the single argument ab c). Inside it \n \r \t \b
//     \a stand for control characters, \xHH (two hex digits, either case)
//     for the byte HH, and a backslash before any other character for that
//     character, so \" is a quote and \\ a backslash.
//   - A single quote starts a quoted part in which only \' is an escape;
//     every other backslash is literal.
//   - A closing quote must be followed by whitespace or the end of the
//     line, and every quote must be closed; otherwise Tokenize returns
//     nil and ErrInvalidArgs itself (not wrapped).
//   - A NUL byte ends the line, as it does for redis-cli's C strings.
//
// A blank line gives no arguments and no error. Quoted arguments may be
// empty ("" is one empty argument) and may hold any bytes.
func Tokenize(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i == len(line) || line[i] == 0 {
			return args, nil
		}
		arg, next, err := readArg(line, i)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		i = next
	}
}

// readArg reads the argument that starts at line[i] and returns it with the
// index just past it. A closing quote always ends the argument.
func readArg(line string, i int) (string, int, error) {
	var arg []byte
	for i < len(line) {
		c := line[i]
		switch {
		case c == 0 || isSeparator(c):
			return string(arg), i, nil
		case c == '"':
			return finishQuoted(readDoubleQuoted(line, i+1, arg))
		case c == '\'':
			return finishQuoted(readSingleQuoted(line, i+1, arg))
		default:
			arg = append(arg, c)
			i++
		}
	}
	return string(arg), i, nil
}

// finishQuoted converts the result of reading a quoted part into the
// result of readArg.
func finishQuoted(arg []byte, i int, err error) (string, int, error) {
	if err != nil {
		return "", 0, err
	}
	return string(arg), i, nil
}

// readDoubleQuoted appends the double-quoted part whose text starts at
// line[i] to arg and returns the index just past the closing quote.
func readDoubleQuoted(line string, i int, arg []byte) ([]byte, int, error) {
	for i < len(line) && line[i] != 0 {
		c := line[i]
		switch {
		case c == '"':
			return closeQuote(line, i+1, arg)
		case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
			arg = append(arg, hexValue(line[i+2])<<4|hexValue(line[i+3]))
			i += 4
		case c == '\\' && i+1 < len(line) && line[i+1] != 0:
			arg = append(arg, unescape(line[i+1]))
			i += 2
		default:
			arg = append(arg, c)
			i++
		}
	}
	return nil, 0, ErrInvalidArgs
}

// readSingleQuoted appends the single-quoted part whose text starts at
// line[i] to arg and returns the index just past the closing quote.
func readSingleQuoted(line string, i int, arg []byte) ([]byte, int, error) {
	for i < len(line) && line[i] != 0 {
		c := line[i]
		switch {
		case c == '\'':
			return closeQuote(line, i+1, arg)
		case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
			arg = append(arg, '\'')
			i += 2
		default:
			arg = append(arg, c)
			i++
		}
	}
	return nil, 0, ErrInvalidArgs
}

// closeQuote checks that a closing quote, whose next byte is line[i], ends
// the argument, and returns arg and i unchanged when it does.
func closeQuote(line string, i int, arg []byte) ([]byte, int, error) {
	if i < len(line) && line[i] != 0 && !isBlank(line[i]) {
		return nil, 0, ErrInvalidArgs
	}
	return arg, i, nil
}

// unescape returns the byte that a backslash followed by c stands for
// inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isBlank reports whether c is C's isspace: the whitespace skipped between
// arguments and accepted after a closing quote.
func isBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// isSeparator reports whether c ends an unquoted argument. Unlike isBlank
// it leaves out vertical tab and form feed, as redis-cli does.
func isSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hexValue returns the value of the hexadecimal digit c.
func hexValue(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
