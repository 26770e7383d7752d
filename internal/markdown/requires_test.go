package markdown_test

import (
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/markdown"
)

// TestRealKafkaCardSaysSo: the card of an exercise that requires real
// Kafka carries the requirement and a badge; a plain card has neither.
func TestRealKafkaCardSaysSo(t *testing.T) {
	body := "Intro.\n\n```exercise\nid: broker-down\ntitle: A broker is down\nsandbox: kafka-cluster\nrequires: [real-kafka]\ntask: Start it.\nchecks:\n  - kafka: list topics\n    contains: payments\n```\n\n" +
		"```exercise\nid: plain\ntitle: Plain\nsandbox: kafka-cluster\ntask: Create it.\nchecks:\n  - kafka: list topics\n    contains: payments\n```\n"
	r, ps := markdown.New().ParseLesson("l.md", []byte(body), 1, nil)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	html := string(r.HTML)
	drill, plain, ok := strings.Cut(html, `id="exercise-plain"`)
	if !ok {
		t.Fatalf("no plain card:\n%s", html)
	}
	for _, want := range []string{`data-requires="real-kafka"`, `data-role="requires"`, `real Kafka brokers</span>`} {
		if !strings.Contains(drill, want) {
			t.Errorf("the real-Kafka card lacks %q", want)
		}
	}
	if strings.Contains(plain, "data-requires") || strings.Contains(plain, `data-role="requires"`) {
		t.Error("a plain card claims a requirement")
	}
}
