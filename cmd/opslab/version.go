package main

import (
	"runtime"
	"runtime/debug"
)

// versionString is the version with the commit and Go version it was
// built from, when the build recorded them.
func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v + " " + runtime.Version()
}
