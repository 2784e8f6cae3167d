package testscripts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/eventlog"
)

// noSavedCredentials is a device credential store that holds nothing.
type noSavedCredentials struct{}

func (noSavedCredentials) Credentials(context.Context) ([]actions.Credential, error) {
	return nil, nil
}

func (noSavedCredentials) Save(context.Context, actions.Credential) error { return nil }

func (noSavedCredentials) DeviceKey(_ context.Context, create func() (string, error)) (string, error) {
	return create()
}

// TestTryAgainNeedsAKnownStep checks that the unreachable prompt's Try
// again goes nowhere it was not sent from: a retry_at naming no step (a
// snapshot edited, a flow changed carelessly) takes no branch — the answer
// is refused and Cancel still ends the session — instead of falling
// through to whatever the last branch does.
func TestTryAgainNeedsAKnownStep(t *testing.T) {
	ctx := context.Background()
	reg, err := actions.Registry(actions.Ports{Credentials: noSavedCredentials{}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(flowsDir, catalog.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cat.Compiled("connect", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		retryAt string
		want    string // the state Try again goes to; "" when refused
	}{
		{"activate_free", "activate_free"},
		{"sign_in", "sign_in"},
		{"bogus", ""},
		{"", ""},
	} {
		snap := &engine.Snapshot{ID: "s1", Flow: "connect", Hash: c.Flow.Hash(), Seq: 1, Frames: []engine.FrameSnapshot{{
			Flow: "connect", Hash: c.Flow.Hash(), State: "unreachable", Vars: varsOf(c.Flow, map[string]any{"retry_at": tt.retryAt}),
		}}}
		s, err := c.Flow.Restore(ctx, snap, engine.Ports{Actions: reg})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(ctx, "try_again", nil)
		if tt.want == "" {
			var ie *engine.InputError
			if !errors.As(err, &ie) {
				t.Errorf("retry_at %q: try_again = %v, want an InputError", tt.retryAt, err)
			}
			if st := s.Current().State; st != "unreachable" {
				t.Errorf("retry_at %q: after a refused try_again the session is at %s, want unreachable", tt.retryAt, st)
			}
			if err := s.Send(ctx, "cancel", nil); err != nil || s.Current().Outcome == nil || s.Current().Outcome.Name != "cancelled" {
				t.Errorf("retry_at %q: cancel = %v, outcome %+v, want cancelled", tt.retryAt, err, s.Current().Outcome)
			}
			continue
		}
		// The step Try again goes to runs at once; the log says where the
		// branch went.
		if got := wentTo(s.Log(), "try_again"); got != tt.want {
			t.Errorf("retry_at %q: try_again went to %q (err %v), want %s", tt.retryAt, got, err, tt.want)
		}
	}
}

// varsOf returns the initial values of fl's variables, with set applied.
func varsOf(fl *engine.Flow, set map[string]any) map[string]any {
	out := map[string]any{}
	for _, v := range fl.Info().File.Vars {
		out[v.Name] = v.Value
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// wentTo returns the state the answer with this choice went to.
func wentTo(log []eventlog.Entry, choice string) string {
	for _, e := range log {
		if e.Kind == eventlog.EntryAnswer && e.Event == choice {
			return e.To
		}
	}
	return ""
}
