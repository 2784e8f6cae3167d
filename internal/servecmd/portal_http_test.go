package servecmd

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
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
	var handler atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.Load().(http.Handler).ServeHTTP(w, r) }))
	defer srv.Close()
	p, err := demoportal.New(fx, time.Now, rand.New(rand.NewPCG(1, 1)), discardTexts{}, demoportal.WithIssuer(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(http.Handler(portalserver.New(p, portalserver.Options{})))

	env := &cli.Env{}
	o := &serveOptions{Portal: srv.URL}
	store := memory.New()
	keys, err := seal.New("k1", make([]byte, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	actionsFor, err := o.serveActions(env, t.TempDir(), t.TempDir(), store, keys) // no fixture there: --portal needs none
	if err != nil {
		t.Fatal(err)
	}
	cat, err := cli.LoadFlows(env, "../../flows", nil)
	if err != nil {
		t.Fatal(err)
	}
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
	// The device's saved connection, kept sealed in the session store, is
	// tokens the portal server issued, bound to the device's key: the
	// portal takes them from the device.
	dev := devices.Stores(store, keys)("d1")
	all, err := dev.Credentials(ctx)
	if err != nil || len(all) != 1 || all[0].App != actions.DefaultApp || all[0].Issuer != srv.URL {
		t.Fatalf("the device's saved connections = %+v, %v; want one the portal at %s issued", all, err, srv.URL)
	}
	saved := all[0]
	c, err := portalhttp.New(srv.URL, portalhttp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in, err := c.ForDevice(dev).Introspect(ctx, saved.AccessToken, saved.AccessToken); err != nil || !in.Active || in.Sub != "free@example.com" || in.Plan != "Free" {
		t.Errorf("the portal's introspection of the saved token = %+v, %v; want active for free@example.com on Free", in, err)
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
	for _, k := range []string{"portal.signInPassword", "portal.authorize", "portal.tokenCode", "portal.activate"} {
		if !kinds[k] {
			t.Errorf("no %s effect recorded; effects: %v", k, kinds)
		}
	}
}

type discardTexts struct{}

func (discardTexts) Send(context.Context, string, string) error { return nil }
