package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// stackContent is a course with one stack drill: a database, a cache and
// a broker that must agree.
const stackContent = "testdata/stack"

// TestBrowserStackDrill: a stack drill's card offers its three nodes, each
// labelled with the name and port the workstation reaches it at; the
// console speaks the picked node's language (SQL on db through psql, Redis
// on redis, Kafka's tools on broker), with each one's prompt and help;
// fixing the cache and telling the broker passes every check live.
func TestBrowserStackDrill(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")
	labRequireTool(t, "psql")
	srv := startLabServer(t, "--content", stackContent)
	base := srv.URL()
	b := newBrowser(t, execPath, "stack drill browser")
	b.signUp(base, "stack.learner@example.com", "stack-learner-password")
	if st := b.navigate(base + lessonPath("demo", "stale-cache")); st != 200 {
		b.fatalf("lesson answered %d", st)
	}
	card := `section.exercise[data-exercise="stale-price"]`
	picker := card + " select[data-role=node]"
	promptSel := card + " .console-prompt"
	b.waitFor("the node picker", fmt.Sprintf(`!!document.querySelector(%q)`, picker))
	if got := evalIn[string](b, "read the options", fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(o => o.value).join(" ")`, picker+" option")); got != "db redis broker" {
		b.fatalf("picker options %q", got)
	}
	if got := evalIn[string](b, "read the badge", fmt.Sprintf(`document.querySelector(%q).textContent`, card+" .sandbox-badge")); got != "Postgres, Redis and Kafka sandbox" {
		t.Errorf("badge %q", got)
	}
	b.do("start the sandbox", chromedp.ScrollIntoView(chromedp.CSS(card)), chromedp.Click(chromedp.CSS(card+" [data-role=start]")))
	b.waitFor("the sandbox", fmt.Sprintf(`document.querySelector(%q).textContent.indexOf("Sandbox ready") === 0`, card+" [data-role=lab-state]"))
	for node, want := range map[string]string{"db": "db (primary, db:5432)", "redis": "redis (primary, redis:6379)", "broker": "broker (broker, broker:9092)"} {
		if got := evalIn[string](b, "read a node's label", fmt.Sprintf(`document.querySelector(%q).textContent`, picker+" option[value="+node+"]")); got != want {
			t.Errorf("option %s: label %q, want %q", node, got, want)
		}
	}

	replies := func() int { return len(b.card(card).Replies) }
	typeLine := func(line string) (echo, reply string) {
		t.Helper()
		n := replies()
		b.do("type "+line, chromedp.SendKeys(chromedp.CSS(card+" [data-role=console-input]"), line+kb.Enter))
		b.waitFor("the reply to "+line, fmt.Sprintf(`document.querySelectorAll(%q).length > %d`,
			card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error", n))
		s := b.card(card)
		return s.Echoes[len(s.Echoes)-1], s.Replies[len(s.Replies)-1]
	}
	pick := func(node string) {
		t.Helper()
		b.do("pick "+node, chromedp.SetValue(chromedp.CSS(picker), node))
		evalIn[bool](b, "fire change", fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change"))`, picker))
	}
	help := func() string {
		return evalIn[string](b, "read the help", fmt.Sprintf(`document.querySelector(%q).textContent`, card+" [data-role=console-help]"))
	}

	// db, the default node: SQL through psql.
	b.waitFor("psql's prompt", fmt.Sprintf(`document.querySelector(%q).textContent === "appdb=> "`, promptSel))
	if !strings.HasPrefix(help(), "Type SQL") {
		t.Errorf("db's help %q", help())
	}
	echo, reply := typeLine("SELECT price FROM products WHERE id = 7;")
	if echo != "appdb=> SELECT price FROM products WHERE id = 7;\n" || !strings.Contains(reply, " 19.99\n(1 row)") {
		t.Errorf("SQL on db: echo %q, reply %q", echo, reply)
	}

	// redis: redis-cli's language and prompt.
	pick("redis")
	b.waitFor("redis's prompt", fmt.Sprintf(`document.querySelector(%q).textContent === "redis> "`, promptSel))
	if !strings.HasPrefix(help(), "Type Redis commands") {
		t.Errorf("redis's help %q", help())
	}
	if _, reply := typeLine("GET product:7:price"); reply != "\"24.99\"\n" {
		t.Errorf("GET on redis: %q", reply)
	}
	if _, reply := typeLine("SET product:7:price 19.99"); reply != "OK\n" {
		t.Errorf("SET on redis: %q", reply)
	}

	// broker: Kafka's tools; a line may still name another node.
	pick("broker")
	b.waitFor("the broker's prompt", fmt.Sprintf(`document.querySelector(%q).textContent === "broker$ "`, promptSel))
	if !strings.HasPrefix(help(), "Type Kafka tool commands") {
		t.Errorf("broker's help %q", help())
	}
	if _, reply := typeLine("kafka-topics --list"); reply != "cache-events\n" {
		t.Errorf("kafka-topics on broker: %q", reply)
	}
	if _, reply := typeLine("@redis GET product:7:price"); reply != "\"19.99\"\n" {
		t.Errorf("@redis from the broker's tab: %q", reply)
	}
	typeLine("kafka-console-producer --topic cache-events --message product:7")
	b.waitFor("every check to pass", fmt.Sprintf(`document.querySelector(%q).classList.contains("passed") || Array.from(document.querySelectorAll(%q)).every(li => li.classList.contains("ok"))`,
		card, card+" [data-role=checks] li.check"))
}
