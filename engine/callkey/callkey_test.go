package callkey_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/callkey"
)

func TestKeys(t *testing.T) {
	ctx := context.Background()
	if k, ok := callkey.Next(ctx); ok || k != "" {
		t.Errorf("Next outside a step = %q, %v, want no key", k, ok)
	}
	const id = "5f3c0e7d2b9a4c61"
	keys := func(event string, input map[string]any) []string {
		ctx := callkey.With(ctx, id, 7, event, input)
		var out []string
		for range 2 {
			k, ok := callkey.Next(ctx)
			if !ok {
				t.Fatal("Next in a step gave no key")
			}
			out = append(out, k)
		}
		return out
	}
	start := keys("", nil)
	prefix := callkey.Prefix(id)
	if start[0] != prefix+"7.1" || start[1] != prefix+"7.2" {
		t.Errorf("start's keys = %q, want %s7.1 and %s7.2", start, prefix, prefix)
	}
	if strings.Contains(prefix, id) {
		t.Errorf("Prefix(%q) = %q shows the session id", id, prefix)
	}
	answer := map[string]any{"email": "a@example.com", "password": "Secret-pw-1"}
	a, again := keys("continue", answer), keys("continue", map[string]any{"password": "Secret-pw-1", "email": "a@example.com"})
	if a[0] != again[0] || a[1] != again[1] {
		t.Errorf("the same answer again got keys %q, then %q", a, again)
	}
	other := keys("continue", map[string]any{"email": "a@example.com", "password": "Secret-pw-2"})
	timer := keys("after 5m", nil)
	for _, k := range [][]string{other, timer, start} {
		if k[0] == a[0] {
			t.Errorf("another trigger got the answer's key %s", k[0])
		}
	}
	for _, k := range append(a, other...) {
		if !strings.HasPrefix(k, prefix+"7.") || strings.Contains(k, "Secret") || strings.Contains(k, "a@example.com") {
			t.Errorf("key %q: want %s7.<digest>.<n>, showing nothing of the answer", k, prefix)
		}
	}
}
