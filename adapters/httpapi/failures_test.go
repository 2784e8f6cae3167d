package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// failFlow reaches, by the choice answered, every way a flow can fail at
// run time: an action's error, a panic in an action, an expression that
// fails (a remainder by zero, an index out of range, in a prompt's text
// too), run states that loop with no prompt, an action the session's
// device lacks, a subflow that fails, and a timer whose step fails.
const failFlow = `flow: fail
start: pick
vars: {zero: 0, items: [1], n: 0}
states:
  pick:
    ask:
      text: Pick a failure
      choices: [action_error, action_crash, remainder, index, render, loop, lacking, subflow, timer]
    on:
      action_error: act_error
      action_crash: act_crash
      remainder: {set: {n: "10 % zero"}, go: pick}
      index: {set: {n: "items[5]"}, go: pick}
      render: show
      loop: loop_a
      lacking: lacking
      subflow: sub
      timer: wait
  act_error:
    run: secret.vault_error
    on: {ok: done, stop: done}
  act_crash:
    run: secret.vault_crash
    on: {ok: done, stop: done}
  show:
    ask: {text: "Item {{ items[7] }}", choices: [back]}
    on: {back: pick}
  loop_a:
    run: secret.vault_ok
    on: {ok: loop_b, stop: done}
  loop_b:
    run: secret.vault_ok
    on: {ok: loop_a, stop: done}
  lacking:
    run: secret.vault_lacking
    on: {ok: done, stop: done}
  sub:
    run: flow:failsub
    on: {done: done}
  wait:
    ask: {text: Wait, choices: [back]}
    after: {1m: {set: {n: "10 % zero"}, go: pick}}
    on: {back: pick}
  done: {final: done, success: true}
`

const failSubFlow = `flow: failsub
start: act
states:
  act:
    run: secret.vault_error
    on: {ok: done, stop: done}
  done: {final: done}
`

// Every way a flow fails reaches the client as result.code session_failed
// and nothing more: no file, no path, no state's position, no action's
// name, none of what the action's error said. The server's log has it
// all, under the request's id.
func TestFailuresTellNoInternals(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"fail.yaml": failFlow, "failsub.yaml": failSubFlow} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	leak := "vault at /srv/tether/secret-store refused secret.vault_error"
	actionsFor := func(_ context.Context, device string) (*engine.Registry, error) {
		spec := func(name string) engine.Spec { return engine.Spec{Name: name, Outcomes: []string{"ok", "stop"}} }
		acts := []engine.Action{
			engine.Func(spec("secret.vault_error"), func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{}, errors.New(leak)
			}),
			engine.Func(spec("secret.vault_crash"), func(context.Context, engine.Args) (engine.Result, error) {
				panic(leak)
			}),
			engine.Func(spec("secret.vault_ok"), func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{Outcome: "ok"}, nil
			}),
		}
		if device != "lacking" {
			acts = append(acts, engine.Func(spec("secret.vault_lacking"), func(context.Context, engine.Args) (engine.Result, error) {
				return engine.Result{Outcome: "ok"}, nil
			}))
		}
		return engine.NewRegistry(acts...)
	}
	reg, err := actionsFor(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg})
	if err != nil || cat.Err() != nil {
		t.Fatal(err, cat.Err())
	}
	clock := &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	var log bytes.Buffer
	logger := httpapi.NewLogger(&log, slog.LevelInfo)
	h, err := host.New(host.Config{Catalog: cat, Store: memory.New(), Actions: actionsFor, Now: clock.Now, IdleTimeout: time.Hour,
		Secrets: true, Observe: httpapi.LogFailures(logger)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Host: h, Log: logger, CreateRate: rate.Inf, AnswerRate: rate.Inf})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	fx := &fixture{t: t, http: ts}

	// What no response may hold: the flows directory (absolute or not), a
	// flow file, a position, an action's name, the action's own words.
	forbidden := regexp.MustCompile(regexp.QuoteMeta(dir) + `|\.yaml|state \w+:|secret\.vault|/srv/tether|recovered`)
	var bodies []*response
	for _, choice := range []string{"action_error", "action_crash", "remainder", "index", "render", "loop", "lacking", "subflow", "timer"} {
		s, secret := fx.create("fail", "")
		if choice == "lacking" {
			r := fx.do("POST", "/v1/sessions", map[string]string{"flow": "fail", "device": "lacking"})
			s = r.session(t)
			secret = s.Secret
			bodies = append(bodies, r)
		}
		r := fx.answer(s, secret, choice, nil)
		bodies = append(bodies, r)
		ended := r.session(t)
		if choice == "render" || choice == "timer" {
			if choice == "render" {
				ended = fx.step(ended, secret, "back", nil) // leaves the prompt that failed to render
			} else {
				clock.add(2 * time.Minute)
				if n, err := h.FireDue(context.Background(), time.Minute, 10); n != 1 || err != nil {
					t.Fatalf("FireDue = %d, %v", n, err)
				}
				r = fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
				bodies = append(bodies, r)
				ended = r.session(t)
			}
		}
		if ended.Status != "ended" || ended.Result == nil || ended.Result.Code != "session_failed" || ended.Result.Error == "" {
			t.Errorf("%s: session %+v, result %+v; want it ended, code session_failed", choice, ended, ended.Result)
		}
		// Read again: the stored session tells no more than the step did.
		again := fx.do("GET", "/v1/sessions/"+s.ID, nil, "Authorization", "Bearer "+secret)
		bodies = append(bodies, again)
		// And an answer to it is refused by code.
		bodies = append(bodies, fx.answer(again.session(t), secret, "back", nil))
	}
	for _, r := range bodies {
		if m := forbidden.Find(r.body); m != nil {
			t.Errorf("a response (%d) holds %q: %s", r.status, m, r.body)
		}
	}
	// The log has the causes, each with the request that met it (the
	// timer's, fired in the background, without).
	logs := log.String()
	if n := strings.Count(logs, `"msg":"session failed"`); n != 9 {
		t.Errorf("%d failures logged, want 9:\n%s", n, logs)
	}
	if n := len(regexp.MustCompile(`"msg":"session failed","request_id":"[0-9a-f]+"`).FindAllString(logs, -1)); n != 8 {
		t.Errorf("%d failures logged with the request that met them, want 8", n)
	}
	for _, want := range []string{"division by zero", "index out of range", "more than", "not available", "a panic was recovered", `"op":"tick"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the server's log lacks %q", want)
		}
	}
	if !strings.Contains(logs, leak) || !strings.Contains(logs, dir) {
		t.Errorf("the server's log lacks the action's error or the flow's file")
	}
}
