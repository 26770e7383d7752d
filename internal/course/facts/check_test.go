package facts

import "testing"

func TestListenerConfig(t *testing.T) {
	config := map[string][]KafkaDef{"ssl.client.auth": {{Scope: "broker", Default: "none"}}, "sasl.jaas.config": {{Scope: "broker"}}}
	for name, want := range map[string]bool{
		"listener.name.clients.ssl.client.auth":                 true,
		"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": true,
		"listener.name.clients.ssl.client.authx":                false,
		"ssl.client.auth.x":                                     false,
	} {
		if _, got := listenerConfig(config, name); got != want {
			t.Errorf("listenerConfig(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestSentenceOf(t *testing.T) {
	line := "Set `a.b` first. Kafka 4.0 removed `c.d`. Keep `e.f`. | `g.h` (default 1); it was removed |"
	for name, want := range map[string]bool{"a.b": false, "c.d": true, "e.f": false, "g.h": true} {
		if got := removedRE.MatchString(sentenceOf(line, name)); got != want {
			t.Errorf("removed marker for %s = %v, want %v (sentence %q)", name, got, want, sentenceOf(line, name))
		}
	}
}

func TestOneEdit(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"maxmemory-policy", "maxmemory-polcy", true},
		{"maxmemory-policy", "maxmemory-policyy", true},
		{"maxmemory-policy", "maxmemory-pilicy", true},
		{"maxmemory-policy", "maxmemory-policy", false},
		{"maxmemory-policy", "maxmemory-pol", false},
		{"hz", "hx", true},
	} {
		if got := oneEdit(c.a, c.b); got != c.want {
			t.Errorf("oneEdit(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
