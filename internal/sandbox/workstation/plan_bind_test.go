package workstation

import (
	"strings"
	"testing"
)

// bindPlan is a valid plan with binds.
func bindPlan(binds ...Bind) Plan {
	return Plan{
		Stage: "/srv/sandbox/workstation-1", UID: 2000, GID: 2000,
		Home: "/srv/sandbox/home", TmpBytes: 1 << 20, Dir: "/home/learner",
		Shell:    []string{"/bin/bash"},
		ReadOnly: []string{"/usr", "/etc", "/opt/kafka"},
		Files:    []File{{Path: "/opt/opslab/bin/kafka-topics", Content: "#!/bin/sh\n"}},
		Binds:    binds,
	}
}

// TestPlanBinds: a broker's log directory at /var/lib/kafka/data is a
// valid bind, survives Encode and Decode, and a plan without binds is
// valid as before.
func TestPlanBinds(t *testing.T) {
	for _, p := range []Plan{bindPlan(), bindPlan(Bind{Source: "/srv/sandbox/data", Target: "/var/lib/kafka/data"})} {
		enc, err := p.Encode()
		if err != nil {
			t.Fatalf("Encode of %+v: %v", p.Binds, err)
		}
		got, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if len(got.Binds) != len(p.Binds) || (len(p.Binds) > 0 && got.Binds[0] != p.Binds[0]) {
			t.Fatalf("binds after Encode and Decode: %+v, want %+v", got.Binds, p.Binds)
		}
	}
	if enc, _ := bindPlan().Encode(); strings.Contains(enc, "binds") {
		t.Fatalf("a plan without binds encodes them: %s", enc)
	}
}

// TestPlanBindsRefused: every bind the init could not make, or that would
// hide or be hidden by what the workstation already shows, is refused
// with an error naming it.
func TestPlanBindsRefused(t *testing.T) {
	data := "/srv/sandbox/data"
	for _, c := range []struct {
		bind Bind
		want string
	}{
		{Bind{Source: "", Target: "/var/lib/kafka/data"}, `bind source "" is not a clean absolute path`},
		{Bind{Source: "data", Target: "/var/lib/kafka/data"}, `bind source "data" is not a clean absolute path`},
		{Bind{Source: "/srv/sandbox/../data", Target: "/var/lib/kafka/data"}, `bind source "/srv/sandbox/../data"`},
		{Bind{Source: "/", Target: "/var/lib/kafka/data"}, `bind source "/" is not`},
		{Bind{Source: data, Target: ""}, `bind target "" is not a clean absolute path`},
		{Bind{Source: data, Target: "var/lib/kafka"}, `bind target "var/lib/kafka" is not`},
		{Bind{Source: data, Target: "/var/lib/kafka/"}, `bind target "/var/lib/kafka/" is not`},
		{Bind{Source: data, Target: "/"}, `bind target "/" is not`},
		{Bind{Source: data, Target: "/usr"}, "bind target /usr overlaps /usr"},
		{Bind{Source: data, Target: "/usr/local/data"}, "bind target /usr/local/data overlaps /usr"},
		{Bind{Source: data, Target: "/opt"}, "bind target /opt overlaps /opt/kafka"},
		{Bind{Source: data, Target: "/opt/opslab/bin"}, "overlaps /opt/opslab/bin/kafka-topics"},
		{Bind{Source: data, Target: "/home/learner/data"}, "overlaps /home/learner"},
		{Bind{Source: data, Target: "/home"}, "overlaps /home/learner"},
		{Bind{Source: data, Target: "/tmp/data"}, "overlaps /tmp"},
		{Bind{Source: data, Target: "/dev/kafka"}, "overlaps /dev"},
		{Bind{Source: data, Target: "/proc"}, "overlaps /proc"},
		{Bind{Source: data, Target: "/run"}, "overlaps /run/opslab"},
		{Bind{Source: data, Target: "/.files/0"}, "overlaps /.files"},
		{Bind{Source: data, Target: "/.old"}, "overlaps /.old"},
	} {
		err := bindPlan(c.bind).Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bind %+v: error %v, want one containing %q", c.bind, err, c.want)
		}
		if _, err := bindPlan(c.bind).Encode(); err == nil {
			t.Errorf("bind %+v: Encode accepted it", c.bind)
		}
	}
	// Two binds at the same place, or one inside the other.
	for _, second := range []string{"/var/lib/kafka/data", "/var/lib/kafka/data/x", "/var/lib"} {
		p := bindPlan(Bind{Source: data, Target: "/var/lib/kafka/data"}, Bind{Source: "/srv/other", Target: second})
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "overlaps /var/lib/kafka/data") {
			t.Errorf("a second bind at %s: error %v, want it to overlap the first", second, err)
		}
	}
	// Neighbours are fine.
	p := bindPlan(Bind{Source: data, Target: "/var/lib/kafka/broker-1"}, Bind{Source: "/srv/other", Target: "/var/lib/kafka/broker-10"})
	if err := p.Validate(); err != nil {
		t.Errorf("binds side by side: %v", err)
	}
}
