// Command opslab-workstation is the init of a learner's workstation (see
// package workstation). Built static (CGO_ENABLED=0), so that it starts in
// a few milliseconds.
//
//	opslab-workstation              the process driver's init: started as
//	                                root, as process 1 of fresh namespaces
//	                                inside a sandbox's fence, with the plan
//	                                in $OPSLAB_WORKSTATION_PLAN; builds the
//	                                workstation, runs the shell as the
//	                                learner's user on the terminal it was
//	                                given, and exits with its status.
//	opslab-workstation gate FILE    the container driver's process 1: reads
//	                                the gate (JSON) from FILE and forwards
//	                                the nodes' names for the container's life.
//	opslab-workstation end TOKEN    ends one shell of a container
//	                                workstation: kills every process marked
//	                                with TOKEN and their sessions.
package main

import (
	"fmt"
	"os"

	"github.com/opslab/opslab/internal/sandbox/workstation"
)

func main() {
	if len(os.Args) == 3 {
		switch os.Args[1] {
		case "gate":
			gate, err := workstation.ReadGate(os.Args[2])
			if err == nil {
				err = workstation.ServeGate(gate)
			}
			fail(err)
		case "end":
			_, err := workstation.EndShell(os.Args[2])
			if err != nil {
				fail(err)
			}
			os.Exit(0)
		}
	}
	if len(os.Args) != 1 {
		fail(fmt.Errorf("usage: opslab-workstation [gate FILE | end TOKEN]"))
	}
	plan, err := workstation.Decode(os.Getenv(workstation.PlanEnv))
	if err != nil {
		fail(err)
	}
	code, err := workstation.Run(plan)
	if err != nil {
		fail(err)
	}
	os.Exit(code)
}

// fail prints err and exits with 125, the status that tells a driver the
// workstation itself failed (not the learner's command).
func fail(err error) {
	fmt.Fprintln(os.Stderr, "opslab-workstation:", err)
	os.Exit(125)
}
