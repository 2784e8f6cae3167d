package engine

import (
	"context"
	"testing"
)

func TestSmokeMachine(t *testing.T) {
	fl, err := CompileFile("testdata/machine.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := fl.Start(context.Background(), Ports{})
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		c  string
		in map[string]any
	}
	evs := []ev{{"no_saved", nil}, {"submit", nil}, {"bad", nil}, {"submit", nil}, {"bad", nil}, {"submit", nil}, {"bad", nil}, {"solved", nil}, {"submit", nil}, {"ok", nil},
		{"sms_on", map[string]any{"now": 1000}}, {"code_bad", nil}, {"resend", map[string]any{"now": 1045}}, {"help", nil}, {"back", nil}, {"code_ok", nil},
		{"needs_consent", nil}, {"accept", nil}, {"licenses", map[string]any{"count": 2}}, {"select", nil}, {"done", nil}}
	for _, e := range evs {
		if err := s.Send(context.Background(), e.c, e.in); err != nil {
			t.Fatalf("%s: %v", e.c, err)
		}
	}
	t.Logf("%+v", s.Current().Outcome)
	for _, e := range s.Log() {
		t.Logf("%+v", e)
	}
	snap := s.Snapshot()
	t.Logf("%+v", snap)
}
