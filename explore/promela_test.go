package explore_test

import (
	"strings"
	"testing"

	"github.com/tetherflow/tether/explore"
)

// The model holds what guards and properties read, names what it cannot
// write, and claims each property; SPIN runs it in testscripts
// (TestSPINAgrees).
func TestPromela(t *testing.T) {
	src := mutate(t, consentFlow, "        - set: {name: result.name}\n          go: list\n",
		"        - if: now() > now()\n          go: list\n        - set: {name: result.name}\n          go: list\n")
	fl, _ := proveSrc(t, src, explore.ProveOptions{})
	m, err := explore.Promela(fl)
	if err != nil {
		t.Fatal(err)
	}
	text := string(m.Source)
	if got := strings.Join(m.Claims, " "); got != "consent lock" || m.Ends != "ends" {
		t.Errorf("Claims %q, Ends %q; want \"consent lock\", \"ends\"", got, m.Ends)
	}
	if len(m.Abstractions) != 1 || !strings.Contains(m.Abstractions[0].What, "now() > now()") || !strings.Contains(m.Abstractions[0].What, "it reads the clock") {
		t.Errorf("Abstractions = %+v, want the clock guard", m.Abstractions)
	}
	for _, want := range []string{
		"int v_tries = 0;",                   // a guard reads it
		"bool r_needs_consent = false;",      // a guard reads it: both values
		"ltl consent { [] !bad_consent }",    // an invariant
		"ltl ends { [] <> waiting }",         // every run comes back to a prompt
		"byte m_lock_0 = 0;",                 // times() is a monitor
		"(m_lock_0 < 4 -> m_lock_0 + 1 : 4)", // held at policy.lock + 1
		`printf("abstraction A1\n")`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the model has no %q", want)
		}
	}
	// name is shown only: the model does not hold it.
	if strings.Contains(text, "v_name") {
		t.Errorf("the model holds name, which nothing reads")
	}
}

// Text from the flow cannot end a comment of the model and write Promela.
func TestPromelaComments(t *testing.T) {
	src := mutate(t, consentFlow, "vars: {tries: 0, name: \"\"}", "vars: {tries: 0, name: \"\", mode: \"a\"}")
	src = mutate(t, src, "        - set: {tries: tries + 1}\n", "        - set: {tries: tries + 1, mode: '\"*/ bool evil; /*\"'}\n")
	src = mutate(t, src, "      ok:\n", "      ok:\n        - if: mode == \"b\"\n          go: locked\n")
	fl, _ := proveSrc(t, src, explore.ProveOptions{})
	m, err := explore.Promela(fl)
	if err != nil {
		t.Fatal(err)
	}
	text := string(m.Source)
	if !strings.Contains(text, "byte v_mode") {
		t.Fatalf("the model does not hold mode:\n%s", text)
	}
	if strings.Contains(text, "*/ bool evil") {
		t.Errorf("a string of the flow ended a comment:\n%s", text)
	}
}
