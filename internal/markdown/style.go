package markdown

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// writeStyleCSS writes chroma's CSS for a style; with scope set, every rule
// is prefixed by it (for a dark theme under a selector).
func writeStyleCSS(w io.Writer, name, scope string) error {
	st := styles.Get(name)
	if st == nil {
		return fmt.Errorf("highlight style %q: unknown", name)
	}
	var b bytes.Buffer
	if err := chromahtml.New(chromahtml.WithClasses(true)).WriteCSS(&b, st); err != nil {
		return fmt.Errorf("highlight style %q: %w", name, err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if line == "" {
			continue
		}
		if scope != "" {
			// Lines look like "/* Name */ .chroma .k { ... }".
			if i := strings.Index(line, "*/ "); i >= 0 {
				line = line[:i+3] + scope + " " + line[i+3:]
			}
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}
