// Command opslab-workstation is the init of a learner's workstation: the
// process driver starts it as root, as process 1 of fresh mount, process,
// UTS and IPC namespaces inside a sandbox's fence, with the plan in
// $OPSLAB_WORKSTATION_PLAN (see package workstation). It builds the
// workstation, runs the shell as the learner's user on the terminal it was
// given, and exits with the shell's status. Built static (CGO_ENABLED=0),
// so that it starts in a few milliseconds.
package main

import (
	"fmt"
	"os"

	"github.com/opslab/opslab/internal/sandbox/workstation"
)

func main() {
	plan, err := workstation.Decode(os.Getenv(workstation.PlanEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "opslab-workstation:", err)
		os.Exit(125)
	}
	code, err := workstation.Run(plan)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opslab-workstation:", err)
		os.Exit(125)
	}
	os.Exit(code)
}
