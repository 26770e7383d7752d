package rediscli

import "strings"

// writeQuoted writes s to b the way redis-cli shows a bulk string: inside
// double quotes, with printable ASCII (space to '~') as it is except for
// '"' and '\', which get a backslash, with \n \r \t \a \b for those control
// bytes, and every other byte (including all bytes of UTF-8 text outside
// ASCII) as \xHH in lower-case hex.
func writeQuoted(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= ' ' && c <= '~' {
				b.WriteByte(c)
			} else {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
		}
	}
	b.WriteByte('"')
}
