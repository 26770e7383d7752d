package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The console of a multi-node sandbox has a node picker: a command runs on
// the picked node, and the echo names it.
func TestBrowserNodePicker(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")
	srv := startLabServer(t, "--content", multinodeContent)
	base := srv.URL()
	b := newBrowser(t, execPath, "node picker browser")
	b.signUp(base, "node.learner@example.com", "node-learner-password")
	if st := b.navigate(base + lessonPath("demo", "replication")); st != 200 {
		b.fatalf("lesson answered %d", st)
	}
	card := `section.exercise[data-exercise="replica-promote"]`
	picker := card + " select[data-role=node]"
	b.waitFor("the node picker", fmt.Sprintf(`!!document.querySelector(%q)`, picker))
	if got := evalIn[string](b, "read the options", fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(o => o.value).join(" ")`, picker+" option")); got != "primary replica-1" {
		b.fatalf("picker options %q", got)
	}
	b.do("start the sandbox", chromedp.ScrollIntoView(chromedp.CSS(card)), chromedp.Click(chromedp.CSS(card+" [data-role=start]")))
	b.waitFor("the sandbox", fmt.Sprintf(`document.querySelector(%q).textContent.indexOf("Sandbox ready") === 0`, card+" [data-role=lab-state]"))
	// Started labels each node with its role and address.
	label := evalIn[string](b, "read the replica's label", fmt.Sprintf(`document.querySelector(%q).textContent`, picker+" option[value=replica-1]"))
	if !strings.HasPrefix(label, "replica-1 (replica, 127.0.0.1:") {
		t.Errorf("replica option label %q", label)
	}
	b.do("pick replica-1", chromedp.SetValue(chromedp.CSS(picker), "replica-1"))
	evalIn[bool](b, "fire change", fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change"))`, picker))
	replies := func() int {
		return evalIn[int](b, "count replies", fmt.Sprintf(`document.querySelectorAll(%q).length`, card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error"))
	}
	n := replies()
	b.do("type ROLE", chromedp.SendKeys(chromedp.CSS(card+" [data-role=console-input]"), "ROLE"+kb.Enter))
	b.waitFor("the reply", fmt.Sprintf(`document.querySelectorAll(%q).length > %d`, card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error", n))
	s := b.card(card)
	if got := s.Replies[len(s.Replies)-1]; !strings.HasPrefix(got, "1) \"slave\"") {
		t.Errorf("ROLE on replica-1 printed %q", got)
	}
	if got := s.Echoes[len(s.Echoes)-1]; got != "replica-1> ROLE\n" {
		t.Errorf("echo %q", got)
	}

	// The prompt drawn before the input follows each node's own
	// redis-cli session: the database after SELECT, (TX) inside MULTI.
	promptSel := card + " .console-prompt"
	promptIs := func(what, want string) {
		t.Helper()
		b.waitFor(what, fmt.Sprintf(`document.querySelector(%q).textContent === %q`, promptSel, want))
	}
	typeLine := func(line string) {
		t.Helper()
		n := replies()
		b.do("type "+line, chromedp.SendKeys(chromedp.CSS(card+" [data-role=console-input]"), line+kb.Enter))
		b.waitFor("the reply to "+line, fmt.Sprintf(`document.querySelectorAll(%q).length > %d`, card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error", n))
	}
	typeLine("SELECT 2")
	promptIs("replica-1's prompt after SELECT 2", "replica-1[2]> ")
	typeLine("MULTI")
	promptIs("replica-1's prompt inside MULTI", "replica-1[2](TX)> ")
	if got := b.card(card).Echoes; got[len(got)-1] != "replica-1[2]> MULTI\n" {
		t.Errorf("echo of MULTI %q", got[len(got)-1])
	}
	pick := func(node string) {
		t.Helper()
		b.do("pick "+node, chromedp.SetValue(chromedp.CSS(picker), node))
		evalIn[bool](b, "fire change", fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change"))`, picker))
	}
	pick("primary")
	promptIs("the primary's own prompt", "primary> ")
	pick("replica-1")
	promptIs("replica-1's prompt kept", "replica-1[2](TX)> ")
	typeLine("DISCARD")
	promptIs("replica-1's prompt after DISCARD", "replica-1[2]> ")

	// A card that needs real brokers wears a badge, and on this kfake
	// server its Start button answers with the reason, in the card.
	drill := `section.exercise[data-exercise="broker-restart"]`
	if got := evalIn[string](b, "read the badge", fmt.Sprintf(`document.querySelector(%q).textContent`, drill+" [data-role=requires]")); got != "real Kafka brokers" {
		t.Errorf("requires badge %q", got)
	}
	b.do("start the real-Kafka drill", chromedp.ScrollIntoView(chromedp.CSS(drill)), chromedp.Click(chromedp.CSS(drill+" [data-role=start]")))
	b.waitFor("the refusal", fmt.Sprintf(`document.querySelector(%q).classList.contains("error")`, drill+" [data-role=lab-state]"))
	if got := evalIn[string](b, "read the refusal", fmt.Sprintf(`document.querySelector(%q).textContent`, drill+" [data-role=lab-state]")); !strings.Contains(got, "needs real Apache Kafka brokers") {
		t.Errorf("start of the drill on kfake says %q", got)
	}
	b.assertCleanExcept("503 (Service Unavailable) " + base + "/api/courses/demo/lessons/replication/exercises/broker-restart/start")
}
