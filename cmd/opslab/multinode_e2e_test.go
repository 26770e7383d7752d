package main

import (
	"net/http"
	"strings"
	"testing"
)

// The multi-node course under testdata: one exercise or more per
// multi-node sandbox kind.
const multinodeContent = "testdata/multinode"

func TestTestMultiNodeCourse(t *testing.T) {
	requireTool(t, "redis-server")
	out, _, st := runCLI(t, "test", "--content", multinodeContent, "--runs", "1")
	for _, ex := range []string{"replica-sync", "replica-promote", "sentinel-failover", "cluster-moved", "kafka-isr"} {
		if !strings.Contains(out, "✓ demo/replication/"+ex) {
			t.Errorf("exercise %s did not pass", ex)
		}
	}
	// The exercise that needs real brokers is skipped on kfake, with the
	// reason, and does not fail the run.
	if !strings.Contains(out, "- demo/replication/broker-restart: skipped: it needs real Apache Kafka, and the process driver runs kafka-cluster sandboxes on kfake") {
		t.Errorf("broker-restart not skipped with its reason")
	}
	if st != 0 || !strings.Contains(out, "5 exercises, 5 passed, 0 failed, 1 skipped") {
		t.Fatalf("status %d:\n%s", st, out)
	}
}

func TestLintMultiNodeProblems(t *testing.T) {
	out, _, st := runCLI(t, "lint", "--content", "testdata/multinode-broken")
	for _, want := range []string{
		`demo/01-nodes.md:11: setup: "@replica-9 REPLICAOF NO ONE": unknown node "replica-9" for a redis-replica sandbox: use one of primary, replica-1`,
		`demo/01-nodes.md:13: solution: "@replica-1 REPLICAOF {{sentinel-1}}": unknown node "sentinel-1" for a redis-replica sandbox`,
		`demo/01-nodes.md:16: unknown node "node-2" for a redis-replica sandbox`,
		`demo/01-nodes.md:23: unknown sandbox "redis-mesh"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if st != 1 {
		t.Fatalf("status %d:\n%s", st, out)
	}
	if out, _, st := runCLI(t, "lint", "--content", multinodeContent); st != 0 {
		t.Fatalf("lint of the good course: status %d:\n%s", st, out)
	}
}

// The Learning API's exec takes an optional node; without one it runs on
// the default node, as it always did.
func TestLabAPIExecNode(t *testing.T) {
	labRequireTool(t, "redis-server")
	srv := startLabServer(t, "--content", multinodeContent)
	c := newAPIClient(t, srv.URL())
	c.register("nodes.learner@example.com", "Nora Node", "nodes-password-1")
	ex := exercisePath("demo", "replication", "replica-sync")

	// The card lists the nodes for the console's node picker.
	st, page := c.do(http.MethodGet, lessonPath("demo", "replication"), nil)
	if st != http.StatusOK || !strings.Contains(string(page), `data-sandbox="redis-replica" data-nodes="primary replica-1"`) ||
		!strings.Contains(string(page), `data-nodes="node-1 node-2 node-3 node-4 node-5 node-6"`) {
		t.Fatalf("lesson page: status %d, no node lists", st)
	}

	var started struct {
		Status string `json:"status"`
		Kind   string `json:"sandbox"`
		Nodes  []struct {
			Name, Role, Address string
		} `json:"nodes"`
	}
	if st := c.postJSON(ex+"/start", nil, &started); st != http.StatusOK || started.Kind != "redis-replica" ||
		len(started.Nodes) != 2 || started.Nodes[0].Name != "primary" || started.Nodes[1].Role != "replica" {
		t.Fatalf("start: status %d, %+v", st, started)
	}
	exec := func(body map[string]string) (int, labExecuted) {
		var res labExecuted
		st := c.postJSON(ex+"/exec", body, &res)
		return st, res
	}
	if st, res := exec(map[string]string{"command": "SET greeting hello"}); st != http.StatusOK || *res.Output != "OK\n" {
		t.Fatalf("exec without node: %d %+v", st, res)
	}
	if st, res := exec(map[string]string{"command": "WAIT 1 2000", "node": "primary"}); st != http.StatusOK || *res.Output != "(integer) 1\n" {
		t.Fatalf("WAIT on primary: %d %+v", st, res)
	}
	st, res := exec(map[string]string{"command": "GET greeting", "node": "replica-1"})
	if st != http.StatusOK || *res.Output != "\"hello\"\n" || res.Checks == nil || !res.Checks.Passed {
		t.Fatalf("GET on replica-1: %d %+v", st, res)
	}
	if st, res := exec(map[string]string{"command": "REPLICAOF 203.0.113.7 6379", "node": "replica-1"}); st != http.StatusOK ||
		!strings.Contains(*res.Output, "may only name a node of this sandbox") {
		t.Fatalf("REPLICAOF outside: %d %+v", st, res)
	}
	if st, res := exec(map[string]string{"command": "PING", "node": "sentinel-1"}); st != http.StatusBadRequest || !strings.Contains(res.Error, "no node") {
		t.Fatalf("unknown node: %d %+v", st, res)
	}

	// An exercise that needs real brokers says so on its card, and a
	// server on kfake answers its start with 503 and the reason.
	if !strings.Contains(string(page), `data-exercise="broker-restart" data-sandbox="kafka-cluster" data-nodes="broker-0 broker-1 broker-2" data-requires="real-kafka"`) {
		t.Error("the broker-restart card does not say it needs real Kafka")
	}
	var refused struct {
		Error string `json:"error"`
	}
	if st := c.postJSON(exercisePath("demo", "replication", "broker-restart")+"/start", nil, &refused); st != http.StatusServiceUnavailable ||
		!strings.Contains(refused.Error, "needs real Apache Kafka brokers") {
		t.Fatalf("start of broker-restart on kfake: %d %+v", st, refused)
	}
}

// TestTestStackCourse: opslab test proves the stack drill under testdata
// on the process driver: the setup leaves it failing, the solution passes
// it, the counter-example is rejected.
func TestTestStackCourse(t *testing.T) {
	requireTool(t, "redis-server")
	requireTool(t, "psql")
	out, _, st := runCLI(t, "test", "--content", stackContent, "--runs", "1")
	if st != 0 || !strings.Contains(out, "✓ demo/stale-cache/stale-price") {
		t.Fatalf("status %d:\n%s", st, out)
	}
}
