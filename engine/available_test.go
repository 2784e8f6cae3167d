package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
)

const availableFlow = `flow: t
start: wait
vars: {sent_at: 0001-01-01T00:00:00Z, notice: ""}
policy: {cooldown: 30s}
states:
  wait:
    ask:
      text: "Code{{ notice }}"
      fields: {code: {type: code}}
      choices:
        - continue: {label: Confirm, fields: [code]}
        - again: {label: Get a new code, fields: [], available_at: sent_at + policy.cooldown}
        - stop: Stop
    on:
      continue: done
      again:
        - if: now() - sent_at < policy.cooldown
          set: {notice: '" (too soon)"'}
        - set: {sent_at: now(), notice: '""'}
      stop: done
  done: {final: done}
`

// availableAt returns the AvailableAt of the current prompt's choice.
func availableAt(t *testing.T, s *engine.Session, choice string) time.Time {
	t.Helper()
	p := s.Current().Prompt
	if p == nil {
		t.Fatalf("no prompt: %+v", s.Current())
	}
	c, ok := p.Choice(choice)
	if !ok {
		t.Fatalf("no choice %s in %+v", choice, p.Choices)
	}
	return c.AvailableAt
}

// A choice's available_at is on the prompt while it is later than the
// session clock, computed again when the prompt is shown (after a restore
// too); it refuses nothing.
func TestChoiceAvailableAt(t *testing.T) {
	fl := mustCompile(t, availableFlow, nil, nil)
	c := newClock()
	s := start(t, fl, c.ports(nil))
	if at := availableAt(t, s, "again"); !at.IsZero() {
		t.Fatalf("at the start, again available at %v, want now (zero)", at)
	}
	if at := availableAt(t, s, "continue"); !at.IsZero() {
		t.Errorf("continue (no available_at) available at %v", at)
	}
	sent := c.Now()
	if err := s.Send(context.Background(), "again", nil); err != nil {
		t.Fatal(err)
	}
	want := sent.Add(30 * time.Second)
	if at := availableAt(t, s, "again"); !at.Equal(want) {
		t.Fatalf("after a new code, again available at %v, want %v", at, want)
	}
	// The prompt's JSON (the log's, the API's) says when.
	b, err := json.Marshal(s.Current().Prompt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"name":"again","label":{"id":"t.wait.choice.again","text":"Get a new code"},"role":"secondary","available_at":"`+want.Format(time.RFC3339)+`"`) {
		t.Errorf("prompt JSON = %s", b)
	}
	if strings.Count(string(b), "available_at") != 1 {
		t.Errorf("prompt JSON has available_at on a choice available now: %s", b)
	}

	// Ten seconds on, restored elsewhere: the same time.
	c.add(10 * time.Second)
	r, err := fl.Restore(context.Background(), roundTrip(t, s.Snapshot()), c.ports(nil))
	if err != nil {
		t.Fatal(err)
	}
	if at := availableAt(t, r, "again"); !at.Equal(want) {
		t.Errorf("restored 10s later: available at %v, want %v", at, want)
	}
	// Too soon is the flow's to answer: the choice is taken.
	if err := r.Send(context.Background(), "again", nil); err != nil {
		t.Fatalf("an early answer was refused: %v", err)
	}
	if got := r.Current().Prompt.Title.Text; got != "Code (too soon)" {
		t.Errorf("after an early answer, text %q", got)
	}
	// Once the cooldown is over the choice is available now.
	c.add(20 * time.Second)
	r, err = fl.Restore(context.Background(), roundTrip(t, r.Snapshot()), c.ports(nil))
	if err != nil {
		t.Fatal(err)
	}
	if at := availableAt(t, r, "again"); !at.IsZero() {
		t.Errorf("after the cooldown: available at %v, want now (zero)", at)
	}
}

// available_at is checked when the flow is compiled: a time, over
// variables and policy only.
func TestChoiceAvailableAtErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"policy.cooldown", `available_at of choice again: expression "policy.cooldown" is a duration, want a time`},
		{"notice", `available_at of choice again: expression "notice" is a string, want a time`},
		{"sent_at + cooldwn", "unknown name cooldwn"},
		{"input.code", "unknown field code"},
	}
	for _, c := range cases {
		src := strings.Replace(availableFlow, "sent_at + policy.cooldown", c.expr, 1)
		_, err := compile(t, src, nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("available_at: %s: error %v, want one with %q", c.expr, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "t.yaml:12:") {
			t.Errorf("available_at: %s: error %v not at the expression's line", c.expr, err)
		}
	}
	_, err := compile(t, strings.Replace(availableFlow, "available_at:", "available_after:", 1), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "available_after") {
		t.Errorf("a misspelt key: error %v", err)
	}
}

// An available_at that is not a time at run time ends the session with an
// error that says where.
func TestChoiceAvailableAtRunError(t *testing.T) {
	src := strings.Replace(availableFlow, "notice: \"\"}", "notice: \"\", stamps: [soon]}", 1)
	src = strings.Replace(src, "sent_at + policy.cooldown", "'stamps[0]'", 1)
	fl := mustCompile(t, src, nil, nil)
	s, _ := fl.Start(context.Background(), newClock().ports(nil))
	if s == nil || s.Err() == nil || !strings.Contains(s.Err().Error(), "available_at of choice again: expression \"stamps[0]\" failed: it gave a string, not a time") {
		t.Fatalf("session error = %v", s.Err())
	}
}
