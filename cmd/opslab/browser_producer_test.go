package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserKafkaProducerInput types kafka-console-producer's real forms
// into a Kafka card, as a learner of lesson 1 does: the records on the
// lines after the command behind the tool's ">" prompt, ended with
// Ctrl+D; a here-document; Ctrl+C dropping the lines; then reads the
// records back.
func TestBrowserKafkaProducerInput(t *testing.T) {
	execPath := chromiumPath(t)
	const lesson, exercise = "caching-and-messaging-in-production-systems", "order-placed-stream"
	srv := startLabServer(t)
	base := srv.URL()
	b := newBrowser(t, execPath, "producer browser")
	if st := b.navigate(base + "/register"); st != 200 {
		b.fatalf("GET /register answered %d", st)
	}
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "producer.learner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "producer-learner-password"),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if st := b.navigate(base + lessonPath(e2eCourse, lesson)); st != 200 {
		b.fatalf("GET the lesson answered %d", st)
	}
	card := fmt.Sprintf("section.exercise[data-exercise=%q]", exercise)
	b.waitFor("the lab controls", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=start]"))
	b.do("scroll the card into view", chromedp.ScrollIntoView(chromedp.CSS(card)))
	b.do("click Start", chromedp.Click(chromedp.CSS(card+" [data-role=start]"), chromedp.NodeVisible))
	b.waitFor("the sandbox to be ready", fmt.Sprintf(`(el => el && el.classList.contains("ready"))(document.querySelector(%q))`,
		card+" [data-role=lab-state]"))

	in := chromedp.CSS(card + " [data-role=console-input]")
	prompt := func() string {
		return evalIn[string](b, "read the prompt", fmt.Sprintf(`document.querySelector(%q).textContent`, card+" .console-prompt"))
	}
	replies := func() int { return len(b.card(card).Replies) }
	waitReply := func(what string, n int) string {
		b.waitFor(what, fmt.Sprintf(`document.querySelectorAll(%q).length > %d`,
			card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error", n))
		r := b.card(card).Replies
		return r[len(r)-1]
	}
	ctrl := func(key string) {
		b.do("press Ctrl+"+key, chromedp.Focus(in), chromedp.KeyEvent(key, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	}

	n := replies()
	b.do("create the topic", chromedp.SendKeys(in, "kafka-topics --create --topic order-placed --partitions 6 --config retention.ms=259200000 --config cleanup.policy=delete"+kb.Enter))
	if got := waitReply("the topic's creation", n); got != "Created topic order-placed.\n" {
		t.Fatalf("create: %q", got)
	}

	// Lines typed after the command, ended with Ctrl+D: nothing is sent
	// before the end, each line shows after ">".
	const producer = "kafka-console-producer --topic order-placed --property parse.key=true --property key.separator=:"
	n = replies()
	b.do("type the producer", chromedp.SendKeys(in, producer+kb.Enter))
	if p := prompt(); p != ">" {
		t.Errorf("prompt after the producer command = %q, want >", p)
	}
	b.do("type a record", chromedp.SendKeys(in, "cust-7:order-5001"+kb.Enter))
	if replies() != n {
		t.Errorf("the card sent the producer before its input ended")
	}
	ctrl("d")
	if got := waitReply("the producer's answer", n); got != "" {
		t.Errorf("the producer printed %q", got)
	}
	if p := prompt(); p != "$ " {
		t.Errorf("prompt after Ctrl+D = %q, want $", p)
	}
	echoes := b.card(card).Echoes
	if !slices.Contains(echoes, ">cust-7:order-5001\n") || echoes[len(echoes)-1] != ">\n" {
		t.Errorf("echoes %q, want the record after > and a last > for Ctrl+D", echoes)
	}
	b.waitFor("every check to tick live", fmt.Sprintf(`(cs => cs.length > 0 && cs.every(li => li.classList.contains("ok")))(Array.from(document.querySelectorAll(%q)))`,
		card+" [data-role=checks] li.check"))

	// A here-document, typed line by line behind the shell's "> ".
	n = replies()
	b.do("type a here-document", chromedp.SendKeys(in, producer+" <<EOF"+kb.Enter))
	if p := prompt(); p != "> " {
		t.Errorf("prompt inside a here-document = %q, want \"> \"", p)
	}
	b.do("type its lines", chromedp.SendKeys(in, "cust-8:order-5002"+kb.Enter+"EOF"+kb.Enter))
	if got := waitReply("the here-document's answer", n); got != "" {
		t.Errorf("the here-document printed %q", got)
	}

	// Ctrl+C drops the lines: nothing is sent.
	n = replies()
	b.do("type a producer to cancel", chromedp.SendKeys(in, producer+kb.Enter+"cust-9:dropped"))
	ctrl("c")
	if p := prompt(); p != "$ " || replies() != n {
		t.Errorf("after Ctrl+C: prompt %q, %d replies (want $ and %d)", p, replies(), n)
	}

	n = replies()
	b.do("read the records back", chromedp.SendKeys(in, "kafka-console-consumer --topic order-placed --from-beginning --timeout-ms 2000 --property print.key=true"+kb.Enter))
	got := waitReply("the consumer's answer", n)
	if !strings.Contains(got, "cust-7\torder-5001\n") || !strings.Contains(got, "cust-8\torder-5002\n") ||
		strings.Contains(got, "dropped") || !strings.Contains(got, "Processed a total of 2 messages") {
		t.Errorf("consumer printed %q", got)
	}
}
