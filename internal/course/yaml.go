package course

import (
	"regexp"
	"strconv"
	"strings"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlErrorLine returns the 1-based line a yaml.v3 error names, or 1.
func yamlErrorLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

// yamlErrorText returns a yaml.v3 error without its "yaml: line N:" prefix.
func yamlErrorText(err error) string {
	s := yamlLineRE.ReplaceAllString(err.Error(), "")
	return strings.TrimPrefix(s, "yaml: ")
}
