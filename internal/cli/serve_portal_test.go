package cli

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/host"
)

// serve --portal URL binds every session's actions to the portal over
// HTTP: a session the server hosts signs in, connects and activates on the
// portal server, and its steps' effects are the portal calls it made,
// each with its idempotency key.
func TestServeActionsOverHTTP(t *testing.T) {
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := demoportal.New(fx, time.Now, rand.New(rand.NewPCG(1, 1)), discardTexts{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(portalserver.New(p, portalserver.Options{}))
	defer srv.Close()

	env := &Env{}
	o := &serveOptions{portal: srv.URL}
	data := t.TempDir()
	actionsFor, err := o.serveActions(env, t.TempDir(), data) // no fixture there: --portal needs none
	if err != nil {
		t.Fatal(err)
	}
	cat, err := serveCatalog(env, "../../flows", nil)
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: actionsFor})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := h.Start(ctx, host.StartRequest{Flow: "connect", Country: "US", Device: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	v, err = h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "continue",
		Input: map[string]any{"email": "free@example.com", "password": "Free-pass-2024"}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Done || v.Step.Outcome == nil || v.Step.Outcome.Message != "free@example.com, plan Free" {
		t.Fatalf("session = %+v, want connected on Free", v.Step)
	}
	// The device's saved connection is a token the portal server issued.
	saved, ok, err := deviceStores(filepath.Join(data, "devices"))("d1").Load(ctx, actions.DefaultApp)
	if err != nil || !ok {
		t.Fatalf("the device has no saved connection: %v", err)
	}
	if tc, err := p.CheckToken(ctx, saved.Token); err != nil || !tc.Valid || tc.Account != "free@example.com" {
		t.Errorf("the portal's check of the saved token = %+v, %v; want valid for free@example.com", tc, err)
	}
	effects, err := store.Effects(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range effects {
		if e.Key == "" {
			t.Errorf("effect %s has no idempotency key", e.Kind)
		}
		kinds[e.Kind] = true
	}
	for _, k := range []string{"portal.signInPassword", "portal.connect", "portal.activate"} {
		if !kinds[k] {
			t.Errorf("no %s effect recorded; effects: %v", k, kinds)
		}
	}
}

type discardTexts struct{}

func (discardTexts) Send(context.Context, string, string) error { return nil }
