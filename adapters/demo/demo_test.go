package demo_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// TestConnectSurvivesRestore suspends a real connect session at the SMS
// code prompt, carries it over as JSON (as a server's session store would)
// and resumes it with a new Session value: the person enters the code and
// connects, and the snapshot held no password, no code, but the ticket the
// session needs.
func TestConnectSurvivesRestore(t *testing.T) {
	ctx := t.Context()
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return start }
	device := filepath.Join(t.TempDir(), "credentials.json")
	world, err := demo.New(fx, demo.Options{Now: now, Seed: 1, SMS: io.Discard, Store: func(d string) actions.CredentialStore { return credstore.New(d) }})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := world.Actions(ctx, device)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := engine.CompileFile("../../flows/connect.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	ports := engine.Ports{Actions: reg, Now: now}
	s, err := fl.Start(ctx, ports)
	if err != nil {
		t.Fatal(err)
	}
	const password = "Family-pass-2024"
	if err := s.Send(ctx, "continue", map[string]any{"email": "family@example.com", "password": password}); err != nil {
		t.Fatal(err)
	}
	if got := s.Current().State; got != "enter_code" {
		t.Fatalf("state after sign-in = %s, want enter_code", got)
	}
	data, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	code := world.LastCode()
	for _, secret := range []string{password, code} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the snapshot holds the secret %q: %s", secret, data)
		}
	}
	if !strings.Contains(string(data), `"ticket":"as-`) {
		t.Errorf("the snapshot lacks the sign-in session (auth_session) the session needs: %s", data)
	}

	var snap engine.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	r, err := fl.Restore(ctx, &snap, ports)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Current().Prompt.Title.Text; got != "Enter the code we sent to +49 *** *** 12 34" {
		t.Errorf("restored prompt = %q", got)
	}
	if err := r.Send(ctx, "continue", map[string]any{"code": code}); err != nil {
		t.Fatal(err)
	}
	// A German account: the portal asks for its regulation.
	if err := r.Send(ctx, "accept", nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, "select", map[string]any{"licence": "LIC-FAM-F"}); err != nil {
		t.Fatal(err)
	}
	out := r.Current().Outcome
	if out == nil || out.Name != "connected" || out.Output["plan"] != "Family" {
		t.Fatalf("outcome = %+v, want connected on the Family plan", out)
	}
	st, ok, err := credstore.New(device).Status(ctx, actions.DefaultApp)
	if err != nil || !ok || st.Licence != "LIC-FAM-F" {
		t.Errorf("credential store status = %+v, %v, %v; want the Family licence saved", st, ok, err)
	}
	if r.Seq() <= s.Seq() {
		t.Errorf("restored sequence %d does not continue after %d", r.Seq(), s.Seq())
	}
}

// The portal calls a host's step makes are committed with the step as its
// effects, each under its idempotency key.
func TestPortalCallsAreEffects(t *testing.T) {
	ctx := t.Context()
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	world, err := demo.New(fx, demo.Options{Seed: 1, Store: func(d string) actions.CredentialStore { return credstore.New(d) }})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := world.Actions(ctx, "")
	cat, err := catalog.Load("../../flows", catalog.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: world.Actions})
	if err != nil {
		t.Fatal(err)
	}
	device := filepath.Join(t.TempDir(), "credentials.json")
	v, err := h.Start(ctx, host.StartRequest{Flow: "connect", Device: device})
	if err != nil {
		t.Fatal(err)
	}
	v, err = h.Answer(ctx, v.ID, host.Answer{Version: v.Version, Choice: "continue",
		Input: map[string]any{"email": "family@example.com", "password": "Family-pass-2024"}})
	if err != nil || v.Step.State != "enter_code" {
		t.Fatalf("sign in: %+v, %v", v, err)
	}
	effects, err := store.Effects(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range effects {
		kinds = append(kinds, e.Kind)
		if !strings.HasPrefix(e.Key, callkey.Prefix(v.ID)) {
			t.Errorf("effect %s has key %q, not one of the session's", e.Kind, e.Key)
		}
	}
	if got, want := strings.Join(kinds, " "), "portal.signInPassword portal.sendCode"; got != want {
		t.Errorf("effects = %s, want %s", got, want)
	}
}

// A flows directory keeps its fixture in demo/portal.yaml; one that is
// not there is ErrNoFixture, named, and one with problems gives them all,
// positioned.
func TestLoadFixture(t *testing.T) {
	if got, want := demo.FixtureFile("flows"), filepath.Join("flows", "demo", "portal.yaml"); got != want {
		t.Errorf("FixtureFile(flows) = %s, want %s", got, want)
	}
	fx, err := demo.LoadFixture(demo.FixtureFile("../../flows"))
	if err != nil || len(fx.Accounts) == 0 {
		t.Fatalf("LoadFixture(shipped) = %d accounts, %v", len(fx.Accounts), err)
	}
	dir := t.TempDir()
	missing := demo.FixtureFile(dir)
	_, err = demo.LoadFixture(missing)
	if !errors.Is(err, demo.ErrNoFixture) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadFixture(missing) = %v, want ErrNoFixture naming %s", err, missing)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("portal:\n  code_ttl: soon\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = demo.LoadFixture(bad)
	var list yamlfile.ErrorList
	if !errors.As(err, &list) || errors.Is(err, demo.ErrNoFixture) || !strings.HasPrefix(err.Error(), bad+":2:13: ") {
		t.Errorf("LoadFixture(bad) = %v, want an ErrorList at %s:2:13", err, bad)
	}
}
