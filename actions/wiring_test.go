package actions_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/engine"
)

// TestWithDemoAdapters walks the SMS path of the connect procedure through
// the actions, on the shipped demo fixture and the real adapters.
func TestWithDemoAdapters(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fx, err := demoportal.LoadFixture("../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sms strings.Builder
	path := filepath.Join(t.TempDir(), "credentials.json")
	store := credstore.New(path)
	w, err := demo.New(fx, demo.Options{Now: clock, Seed: 1, SMS: &sms, Store: func(d string) actions.CredentialStore { return credstore.New(d) }})
	if err != nil {
		t.Fatal(err)
	}
	outbox := w
	d := w.Device(path)
	acts := map[string]engine.Action{}
	for _, a := range actions.New(actions.Ports{Portal: d, Licences: d, Accounts: d, Consent: d, Captcha: d, Credentials: store, Now: clock}) {
		acts[a.Spec().Name] = a
	}
	run := func(name string, args engine.Args, want string) map[string]any {
		t.Helper()
		a, ok := acts[name]
		if !ok {
			t.Fatalf("no action %s", name)
		}
		res, err := a.Run(ctx, args)
		if err != nil || res.Outcome != want {
			t.Fatalf("%s = %+v, %v, want %s", name, res, err, want)
		}
		return res.Outputs
	}
	run("credentials.sign_in", engine.Args{}, "none")
	out := run("portal.sign_in", engine.Args{"email": "family@example.com", "password": "Family-pass-2024"}, "sms")
	ticket := out["ticket"].(string)
	run("sms.send", engine.Args{"ticket": ticket}, "sent")
	if !strings.Contains(sms.String(), "demo SMS to +49 *** *** 12 34: Your account portal code is "+outbox.LastCode()) {
		t.Errorf("outbox printed %q", sms.String())
	}
	run("sms.check", engine.Args{"ticket": ticket, "code": outbox.LastCode()}, "ok")
	// A German account: the portal wants its regulation, and says which.
	if out["consent_required"] != true || out["consent_document"] != "gdpr-data-provisioning-de" || out["consent_version"] != "2025.1-de" || out["country"] != "DE" {
		t.Errorf("sign-in jurisdiction = %v, want DE with gdpr-data-provisioning-de 2025.1-de", out)
	}
	run("portal.connect", engine.Args{"ticket": ticket}, "failed") // not yet accepted: the ticket stays usable
	consent := engine.Args{"ticket": ticket, "account": "family@example.com", "document": "gdpr-data-provisioning-de", "version": "2025.1-de", "region": "eu-de", "accepted_at": now}
	run("consent.record", consent, "recorded")
	run("portal.connect", engine.Args{"ticket": ticket, "region": "default"}, "connected")
	out = run("license.list", engine.Args{"account": "family@example.com"}, "several")
	if out["count"] != 2 {
		t.Errorf("count = %v, want 2", out["count"])
	}
	run("license.activate", engine.Args{"account": "family@example.com", "licence": "LIC-FAM-F"}, "activated")
	st, ok, err := store.Status(ctx, "tether")
	if err != nil || !ok || st.Account != "family@example.com" || st.Plan != "Family" || st.Licence != "LIC-FAM-F" || st.Region != "default" || st.Country != "DE" {
		t.Errorf("Status(tether) = %+v, %v, %v, want family@example.com on Family LIC-FAM-F, region default, country DE", st, ok, err)
	}
	// The device is now connected: Tether's own Native SSO sign-in signs
	// in again.
	run("credentials.sign_in", engine.Args{"app": "tether"}, "ok")
}
