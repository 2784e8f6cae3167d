package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// runAction runs the named action built from p.
func runAction(t *testing.T, p Ports, name string, args engine.Args) (engine.Result, error) {
	t.Helper()
	res, err := actionOf(t, p, name).Run(context.Background(), args)
	if err != nil {
		return res, err
	}
	// What the engine does with every result: hold it to the spec (as the
	// registry holds it) and fill in the outputs left out.
	reg, err := Registry(p)
	if err != nil {
		t.Fatalf("Registry() error = %v", err)
	}
	spec := specOf(t, reg, name)
	out, err := spec.CheckResult(res)
	if err != nil {
		t.Fatalf("%s broke its contract: %v", name, err)
	}
	return engine.Result{Outcome: res.Outcome, Outputs: out}, nil
}

// actionOf returns the action named name of New(p).
func actionOf(t *testing.T, p Ports, name string) engine.Action {
	t.Helper()
	for _, a := range New(p) {
		if a.Spec().Name == name {
			return a
		}
	}
	t.Fatalf("no action %s", name)
	return nil
}

// specOf returns the spec reg holds for the action named name.
func specOf(t *testing.T, reg *engine.Registry, name string) engine.Spec {
	t.Helper()
	for _, s := range reg.Specs() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no spec %s", name)
	return engine.Spec{}
}

func mustRun(t *testing.T, p Ports, name string, args engine.Args) engine.Result {
	t.Helper()
	res, err := runAction(t, p, name, args)
	if err != nil {
		t.Fatalf("%s: Run() error = %v", name, err)
	}
	return res
}

func TestSpecs(t *testing.T) {
	// Every action reaches the portal, so the registry adds unavailable.
	want := map[string][]string{
		"credentials.sign_in":   {"ok", "none", "rejected", "unavailable"},
		"portal.sign_in":        {"ok", "sms", "denied", "captcha", "unavailable"},
		"captcha.new":           {"ready", "unavailable"},
		"sms.send":              {"sent", "too_soon", "limit", "unavailable"},
		"sms.check":             {"ok", "wrong", "expired", "blocked", "unavailable"},
		"consent.record":        {"recorded", "refused", "unavailable"},
		"portal.connect":        {"connected", "failed", "unavailable"},
		"license.list":          {"none", "one", "several", "unavailable"},
		"license.activate":      {"activated", "inactive", "unavailable"},
		"license.activate_free": {"activated", "unavailable"},
		"account.create":        {"created", "exists", "invalid", "unavailable"},
	}
	reg, err := Registry(Ports{})
	if err != nil {
		t.Fatalf("Registry() error = %v", err)
	}
	specs := map[string]engine.Spec{}
	for _, s := range reg.Specs() {
		specs[s.Name] = s
	}
	if got := len(specs); got != len(want) {
		t.Errorf("len(Specs()) = %d, want %d", got, len(want))
	}
	for name, outcomes := range want {
		spec, ok := specs[name]
		if !ok {
			t.Errorf("Specs() has no %s", name)
			continue
		}
		if !slices.Equal(spec.Outcomes, outcomes) {
			t.Errorf("%s outcomes = %v, want %v", name, spec.Outcomes, outcomes)
		}
		if spec.Doc == "" {
			t.Errorf("%s has no Doc", name)
		}
	}
	secrets := []struct{ action, param string }{
		{"portal.sign_in", "password"},
		{"sms.check", "code"},
		{"account.create", "password"},
	}
	for _, s := range secrets {
		spec := specs[s.action]
		p, ok := spec.Param(s.param)
		if !ok || !p.Secret || !p.Required {
			t.Errorf("%s param %s = %+v, want a required secret", s.action, s.param, p)
		}
	}
	required := map[string][]string{
		"portal.sign_in":   {"email", "password"},
		"sms.send":         {"ticket"},
		"sms.check":        {"ticket", "code"},
		"consent.record":   {"ticket", "account", "document", "version", "region", "accepted_at"},
		"portal.connect":   {"ticket"},
		"license.list":     {"account"},
		"license.activate": {"account", "licence"},
		"account.create":   {"email", "password", "country"},
	}
	for name, params := range required {
		var got []string
		for _, p := range specs[name].Params {
			if p.Required {
				got = append(got, p.Name)
			}
		}
		if !slices.Equal(got, params) {
			t.Errorf("%s required params = %v, want %v", name, got, params)
		}
	}
}

// TestFlowsHeldToSpecs: what a flow passes an action is checked by the
// engine's checker against the action's spec (the one place kinds are
// checked), before anything runs.
func TestFlowsHeldToSpecs(t *testing.T) {
	reg, err := Registry(Ports{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, action, with, want string }{
		{"missing", "portal.sign_in", `{email: '"a@b.cd"'}`, "action portal.sign_in needs parameter password"},
		{"wrong kind", "portal.sign_in", `{email: '"a@b.cd"', password: '12345678'}`,
			`parameter password: expression "12345678" is an int, want a string`},
		{"unknown", "sms.send", `{ticket: '"t"', phone: '"x"'}`, "phone"},
		{"time as string", "consent.record", `{ticket: '"t"', account: '"a"', document: '"d"', version: '"1"', region: '"eu-de"', accepted_at: '"2025-01-01"'}`,
			"parameter accepted_at: expression"},
	}
	for _, tt := range tests {
		on := strings.Join(specOf(t, reg, tt.action).Outcomes, ": done, ") + ": done"
		src := "flow: t\nstart: a\nstates:\n  a:\n    run: " + tt.action + "\n    with: " + tt.with + "\n    on: {" + on + "}\n  done: {final: done}\n"
		f, err := syntax.Load("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err = engine.Compile(f, reg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Compile error = %v, want one about %s", tt.name, err, tt.want)
		}
	}
}

func TestNilPorts(t *testing.T) {
	args := map[string]engine.Args{
		"credentials.sign_in":   {},
		"portal.sign_in":        {"email": "a@b.cd", "password": "pw"},
		"captcha.new":           {},
		"sms.send":              {"ticket": "t"},
		"sms.check":             {"ticket": "t", "code": "1"},
		"consent.record":        {"ticket": "t", "account": "a", "document": "d", "version": "1", "region": "eu-de", "accepted_at": now},
		"portal.connect":        {"ticket": "t"},
		"license.list":          {"account": "a"},
		"license.activate":      {"account": "a", "licence": "l"},
		"license.activate_free": {"account": "a"},
		"account.create":        {"email": "new@example.com", "password": "s3cret-pass-word", "country": "DE"},
	}
	for name, a := range args {
		t.Run(name, func(t *testing.T) {
			_, err := runAction(t, Ports{}, name, a)
			if !errors.Is(err, ErrNoPort) {
				t.Errorf("Run() error = %v, want ErrNoPort", err)
			}
		})
	}
}

func TestCredentialsSignIn(t *testing.T) {
	older := Credential{App: "vendor-mail", Account: "old@example.com", Tokens: tokens("tok-old"), SavedAt: now.Add(-48 * time.Hour)}
	newer := Credential{App: "vendor-photos", Account: "new@example.com", Tokens: tokens("tok-new"), SavedAt: now.Add(-time.Hour)}
	okOld := map[string]SignIn{"tok-old": {Status: SignInOK, Account: "old@example.com", Ticket: "t-old"}}
	okBoth := map[string]SignIn{
		"tok-old": {Status: SignInOK, Account: "old@example.com", Ticket: "t-old"},
		"tok-new": {Status: SignInOK, Account: "new@example.com", Ticket: "t-new"},
	}
	tests := []struct {
		name        string
		saved       []Credential
		tokens      map[string]SignIn
		args        engine.Args
		wantOutcome string
		wantAccount string
		wantTicket  string
		wantCalls   int
	}{
		{"empty store", nil, okBoth, engine.Args{}, "none", "", "", 0},
		{"most recent first", []Credential{older, newer}, okBoth, engine.Args{}, "ok", "new@example.com", "t-new", 1},
		{"falls back to an older valid token", []Credential{older, newer}, okOld, engine.Args{}, "ok", "old@example.com", "t-old", 2},
		{"all rejected", []Credential{older, newer}, nil, engine.Args{}, "rejected", "new@example.com", "", 2},
		{"app filter", []Credential{older, newer}, okBoth, engine.Args{"app": "vendor-mail"}, "ok", "old@example.com", "t-old", 1},
		{"app filter matches nothing", []Credential{older}, okBoth, engine.Args{"app": "tether"}, "none", "", "", 0},
		{"entry without token", []Credential{{App: "x", Account: "a"}}, okBoth, engine.Args{}, "none", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal := &fakePortal{tokens: tt.tokens}
			p := Ports{Portal: portal, Credentials: &fakeStore{entries: tt.saved}, Now: clock}
			res := mustRun(t, p, "credentials.sign_in", tt.args)
			if res.Outcome != tt.wantOutcome {
				t.Errorf("Outcome = %q, want %q", res.Outcome, tt.wantOutcome)
			}
			if got := res.Outputs["account"]; got != tt.wantAccount {
				t.Errorf("account = %q, want %q", got, tt.wantAccount)
			}
			if got := res.Outputs["ticket"]; got != tt.wantTicket {
				t.Errorf("ticket = %q, want %q", got, tt.wantTicket)
			}
			if got := len(portal.calls); got != tt.wantCalls {
				t.Errorf("portal calls = %v, want %d", portal.calls, tt.wantCalls)
			}
		})
	}
}

func TestCredentialsSignInErrors(t *testing.T) {
	saved := []Credential{{App: "vendor-mail", Account: "a@example.com", Tokens: tokens("tok-1")}}
	storeErr := errors.New("disk on fire")
	_, err := runAction(t, Ports{Portal: &fakePortal{}, Credentials: &fakeStore{err: storeErr}}, "credentials.sign_in", engine.Args{})
	if !errors.Is(err, storeErr) {
		t.Errorf("store failure: error = %v, want it to wrap %v", err, storeErr)
	}
	portalErr := errors.New("portal unreachable")
	_, err = runAction(t, Ports{Portal: &fakePortal{err: portalErr}, Credentials: &fakeStore{entries: saved}}, "credentials.sign_in", engine.Args{})
	if !errors.Is(err, portalErr) || !strings.HasPrefix(err.Error(), "credentials.sign_in: ") {
		t.Errorf("portal failure: error = %v, want it to wrap %v with the action's name", err, portalErr)
	}
}

func TestPortalSignIn(t *testing.T) {
	tests := []struct {
		name    string
		answer  SignIn
		want    string
		outputs map[string]any
	}{
		{"ok", SignIn{Status: SignInOK, Account: "a@example.com", Ticket: "t1"}, "ok",
			map[string]any{"account": "a@example.com", "ticket": "t1", "phone_masked": ""}},
		{"sms", SignIn{Status: SignInNeedsCode, Account: "a@example.com", Ticket: "t2", PhoneMasked: "+49 *** *** 12 34"}, "sms",
			map[string]any{"account": "a@example.com", "ticket": "t2", "phone_masked": "+49 *** *** 12 34"}},
		{"denied gives nothing away", SignIn{Status: SignInDenied, Account: "a@example.com", Ticket: "t3"}, "denied",
			map[string]any{"account": "", "ticket": "", "phone_masked": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal := &fakePortal{signIn: tt.answer}
			res := mustRun(t, Ports{Portal: portal}, "portal.sign_in", engine.Args{"email": "a@example.com", "password": "pw-123"})
			if res.Outcome != tt.want {
				t.Errorf("Outcome = %q, want %q", res.Outcome, tt.want)
			}
			for k, v := range tt.outputs {
				if res.Outputs[k] != v {
					t.Errorf("output %s = %v, want %v", k, res.Outputs[k], v)
				}
			}
			if want := []string{"PasswordSignIn a@example.com pw-123"}; !slices.Equal(portal.calls, want) {
				t.Errorf("portal calls = %q, want %q", portal.calls, want)
			}
		})
	}
}

func TestCaptcha(t *testing.T) {
	p := Ports{Captcha: &fakeCaptcha{}}
	res := mustRun(t, p, "captcha.new", engine.Args{})
	if res.Outcome != "ready" || res.Outputs["captcha_id"] != "c1" || res.Outputs["challenge"] != "What is 7 plus 5?" {
		t.Errorf("captcha.new = %+v, want ready c1 with its challenge", res)
	}
}

// TestSignInCaptcha: the answer goes to the portal with the password, and
// the portal's verdict is the outcome.
func TestSignInCaptcha(t *testing.T) {
	portal := &fakePortal{signIn: SignIn{Status: SignInCaptcha, CaptchaWrong: true}}
	res := mustRun(t, Ports{Portal: portal}, "portal.sign_in", engine.Args{"email": "a@b.cd", "password": "pw", "captcha_id": "c1", "captcha": "12"})
	if res.Outcome != "captcha" || res.Outputs["captcha_wrong"] != true {
		t.Errorf("portal.sign_in = %+v, want captcha with captcha_wrong", res)
	}
	if want := []string{"PasswordSignIn a@b.cd pw", "captcha c1 12"}; !slices.Equal(portal.calls, want) {
		t.Errorf("calls = %q, want %q", portal.calls, want)
	}
	// No answer: no CAPTCHA sent, even with a challenge id.
	portal = &fakePortal{signIn: SignIn{Status: SignInDenied, CaptchaRequired: true}}
	res = mustRun(t, Ports{Portal: portal}, "portal.sign_in", engine.Args{"email": "a@b.cd", "password": "pw", "captcha_id": "c1", "captcha": ""})
	if res.Outcome != "denied" || res.Outputs["captcha_required"] != true || len(portal.calls) != 1 {
		t.Errorf("portal.sign_in = %+v (calls %q), want denied with captcha_required and no answer sent", res, portal.calls)
	}
	// The account's jurisdiction comes out of a sign-in.
	portal = &fakePortal{signIn: SignIn{Status: SignInOK, Account: "a@b.cd", Ticket: "t", Jurisdiction: Jurisdiction{Country: "DE", Region: "eu-de", ConsentRequired: true, Document: "gdpr-de", Version: "2"}}}
	res = mustRun(t, Ports{Portal: portal}, "portal.sign_in", engine.Args{"email": "a@b.cd", "password": "pw"})
	if res.Outputs["country"] != "DE" || res.Outputs["consent_required"] != true || res.Outputs["consent_document"] != "gdpr-de" || res.Outputs["consent_version"] != "2" || res.Outputs["consent_region"] != "eu-de" {
		t.Errorf("portal.sign_in outputs = %v, want the account's jurisdiction", res.Outputs)
	}
}

func TestSMSSend(t *testing.T) {
	tests := []struct {
		answer  CodeDelivery
		want    string
		outputs map[string]any
	}{
		{CodeDelivery{Status: SendSent, PhoneMasked: "+49 *** *** 12 34", ExpiresIn: 5 * time.Minute}, "sent",
			map[string]any{"phone_masked": "+49 *** *** 12 34", "expires_in": 5 * time.Minute, "wait": time.Duration(0)}},
		{CodeDelivery{Status: SendTooSoon, Wait: 20 * time.Second}, "too_soon", map[string]any{"wait": 20 * time.Second}},
		{CodeDelivery{Status: SendLimit}, "limit", map[string]any{"wait": time.Duration(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			portal := &fakePortal{send: tt.answer}
			res := mustRun(t, Ports{Portal: portal}, "sms.send", engine.Args{"ticket": "t1"})
			if res.Outcome != tt.want {
				t.Errorf("Outcome = %q, want %q", res.Outcome, tt.want)
			}
			for k, v := range tt.outputs {
				if res.Outputs[k] != v {
					t.Errorf("output %s = %v, want %v", k, res.Outputs[k], v)
				}
			}
			if want := []string{"SendCode t1"}; !slices.Equal(portal.calls, want) {
				t.Errorf("portal calls = %q, want %q", portal.calls, want)
			}
		})
	}
}

func TestSMSCheck(t *testing.T) {
	tests := []struct {
		answer       CodeCheck
		want         string
		attemptsLeft int
	}{
		{CodeCheck{Status: CheckOK}, "ok", 0},
		{CodeCheck{Status: CheckWrong, AttemptsLeft: 2}, "wrong", 2},
		{CodeCheck{Status: CheckExpired}, "expired", 0},
		{CodeCheck{Status: CheckBlocked}, "blocked", 0},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			portal := &fakePortal{check: tt.answer}
			res := mustRun(t, Ports{Portal: portal}, "sms.check", engine.Args{"ticket": "t1", "code": "123456"})
			if res.Outcome != tt.want {
				t.Errorf("Outcome = %q, want %q", res.Outcome, tt.want)
			}
			if got := res.Outputs["attempts_left"]; got != tt.attemptsLeft {
				t.Errorf("attempts_left = %v, want %d", got, tt.attemptsLeft)
			}
			if want := []string{"CheckCode t1 123456"}; !slices.Equal(portal.calls, want) {
				t.Errorf("portal calls = %q, want %q", portal.calls, want)
			}
		})
	}
}

func TestConsentRecord(t *testing.T) {
	portal := &fakePortal{}
	args := engine.Args{"ticket": "t1", "account": "a@example.com", "document": "data-provisioning", "version": "2024-03", "region": "eu-de", "accepted_at": now}
	res := mustRun(t, Ports{Consent: portal}, "consent.record", args)
	if res.Outcome != "recorded" || res.Outputs["consent_id"] != "consent-1" {
		t.Errorf("consent.record = %+v, want recorded consent-1", res)
	}
	want := Consent{Account: "a@example.com", Document: "data-provisioning", Version: "2024-03", Region: "eu-de", AcceptedAt: now}
	if len(portal.got) != 1 || portal.got[0] != want {
		t.Errorf("recorded %v, want [%v]", portal.got, want)
	}
	if want := []string{"RecordConsent t1"}; !slices.Equal(portal.calls, want) {
		t.Errorf("calls = %q, want %q: the consent goes with its ticket", portal.calls, want)
	}
	args["ticket"] = ""
	res = mustRun(t, Ports{Consent: &fakePortal{}}, "consent.record", args)
	if res.Outcome != "refused" || res.Outputs["reason"] != "the sign-in is unknown" {
		t.Errorf("consent.record without a live ticket = %+v, want refused with the portal's reason", res)
	}
	args["version"] = ""
	if _, err := runAction(t, Ports{Consent: &fakePortal{}}, "consent.record", args); !errors.Is(err, ErrArgs) {
		t.Errorf("empty version: error = %v, want ErrArgs", err)
	}
}

func TestPortalConnect(t *testing.T) {
	conn := Connection{Connected: true, Account: "a@example.com", Country: "DE", Tokens: tokens("tok-secret")}
	tests := []struct {
		name    string
		args    engine.Args
		conn    Connection
		want    string
		reason  string
		saveApp string
	}{
		{"default app", engine.Args{"ticket": "t1", "region": "eu-de"}, conn, "connected", "", "tether"},
		{"other app", engine.Args{"ticket": "t1", "app": "tether-beta", "region": ""}, conn, "connected", "", "tether-beta"},
		// An optional parameter passed empty is not passed.
		{"empty app", engine.Args{"ticket": "t1", "app": "", "region": "eu"}, conn, "connected", "", "tether"},
		{"failed", engine.Args{"ticket": "t1"}, Connection{Reason: "the ticket is not authorised"}, "failed", "the ticket is not authorised", ""},
		{"failed without reason", engine.Args{"ticket": "t1"}, Connection{}, "failed", "the portal refused the connection", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			res := mustRun(t, Ports{Portal: &fakePortal{conn: tt.conn}, Credentials: store, Now: clock}, "portal.connect", tt.args)
			if res.Outcome != tt.want || res.Outputs["reason"] != tt.reason {
				t.Errorf("Result = %+v, want %s with reason %q", res, tt.want, tt.reason)
			}
			if tt.saveApp == "" {
				if len(store.entries) != 0 {
					t.Errorf("saved %v, want nothing", store.entries)
				}
				return
			}
			if res.Outputs["account"] != "a@example.com" {
				t.Errorf("account = %v, want a@example.com", res.Outputs["account"])
			}
			want := Credential{App: tt.saveApp, Account: "a@example.com", Tokens: tokens("tok-secret"), Region: tt.args["region"].(string), Country: "DE", SavedAt: now}
			if got, _ := store.entry(tt.saveApp); got != want {
				t.Errorf("saved %+v, want %+v", got, want)
			}
		})
	}
	saveErr := errors.New("read-only file system")
	_, err := runAction(t, Ports{Portal: &fakePortal{conn: conn}, Credentials: &fakeStore{saveErr: saveErr}}, "portal.connect", engine.Args{"ticket": "t1"})
	if !errors.Is(err, saveErr) {
		t.Errorf("save failure: error = %v, want it to wrap %v", err, saveErr)
	}
}

func TestLicenseList(t *testing.T) {
	personal := Licence{ID: "L-1", Plan: "Personal", Name: "Personal", Expires: now.Add(24 * time.Hour)}
	family := Licence{ID: "L-2", Plan: "Family", Name: "Family of 5", Expires: now.Add(365 * 24 * time.Hour)}
	expired := Licence{ID: "L-0", Plan: "Personal", Name: "Old", Expires: now.Add(-time.Second)}
	endsNow := Licence{ID: "L-9", Plan: "Personal", Name: "Ends now", Expires: now}
	tests := []struct {
		name     string
		licences []Licence
		want     string
		wantIDs  []string
		licence  string
		plan     string
	}{
		{"no licences", nil, "none", nil, "", ""},
		{"only expired", []Licence{expired, endsNow}, "none", nil, "", ""},
		{"one active among expired", []Licence{expired, family}, "one", []string{"L-2"}, "L-2", "Family"},
		{"several", []Licence{personal, expired, family}, "several", []string{"L-1", "L-2"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal := &fakePortal{licence: tt.licences}
			store := &fakeStore{entries: []Credential{{App: "tether", Account: "a@example.com", Tokens: tokens("tok-1")}}}
			res := mustRun(t, Ports{Licences: portal, Credentials: store, Now: clock}, "license.list", engine.Args{"account": "a@example.com"})
			if res.Outcome != tt.want {
				t.Errorf("Outcome = %q, want %q", res.Outcome, tt.want)
			}
			list, _ := res.Outputs["licences"].([]any)
			var ids []string
			for _, l := range list {
				m := l.(map[string]any)
				ids = append(ids, m["id"].(string))
				if _, ok := m["expires"].(time.Time); !ok {
					t.Errorf("licence %v: expires = %T, want time.Time", m["id"], m["expires"])
				}
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("licences = %v, want %v", ids, tt.wantIDs)
			}
			if got := res.Outputs["count"]; got != len(tt.wantIDs) {
				t.Errorf("count = %v, want %d", got, len(tt.wantIDs))
			}
			if res.Outputs["licence"] != tt.licence || res.Outputs["plan"] != tt.plan {
				t.Errorf("licence, plan = %v, %v, want %q, %q", res.Outputs["licence"], res.Outputs["plan"], tt.licence, tt.plan)
			}
			// The device's token, not the account's name, asks the portal.
			if want := []string{"Licences tok-1"}; !slices.Equal(portal.calls, want) {
				t.Errorf("portal calls = %q, want %q", portal.calls, want)
			}
		})
	}
}

func TestLicenseActivate(t *testing.T) {
	licences := []Licence{
		{ID: "L-1", Plan: "Personal", Expires: now.Add(24 * time.Hour)},
		{ID: "L-0", Plan: "Family", Expires: now.Add(-24 * time.Hour)},
	}
	tests := []struct {
		name        string
		licence     string
		want        string
		wantPlan    string
		wantLicence string
	}{
		{"active", "L-1", "activated", "Personal", "L-1"},
		{"expired", "L-0", "inactive", "", ""},
		{"not the account's", "L-7", "inactive", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{entries: []Credential{
				{App: "tether", Account: "a@example.com", Tokens: tokens("tok")},
				{App: "vendor-mail", Account: "a@example.com", Tokens: tokens("tok2")},
			}}
			p := Ports{Licences: &fakePortal{licence: licences}, Credentials: store, Now: clock}
			res := mustRun(t, p, "license.activate", engine.Args{"account": "a@example.com", "licence": tt.licence})
			if res.Outcome != tt.want || res.Outputs["plan"] != tt.wantPlan || res.Outputs["licence"] != tt.wantLicence {
				t.Errorf("Result = %+v, want %s %q %q", res, tt.want, tt.wantPlan, tt.wantLicence)
			}
			got, _ := store.entry("tether")
			if got.Plan != tt.wantPlan || got.Licence != tt.wantLicence || got.AccessToken != "tok" {
				t.Errorf("saved %+v, want plan %q licence %q and the token kept", got, tt.wantPlan, tt.wantLicence)
			}
			if other, _ := store.entry("vendor-mail"); other.Plan != "" {
				t.Errorf("vendor-mail entry changed: %+v", other)
			}
		})
	}
}

func TestLicenseActivateNeedsConnection(t *testing.T) {
	licences := []Licence{{ID: "L-1", Plan: "Personal", Expires: now.Add(time.Hour)}}
	tests := []struct {
		name  string
		saved []Credential
		want  string
	}{
		{"not connected", []Credential{{App: "vendor-mail", Account: "a@example.com", Tokens: tokens("tok")}}, "tether has no saved connection"},
		{"other account", []Credential{{App: "tether", Account: "b@example.com", Tokens: tokens("tok")}}, "tether is connected to b@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Ports{Licences: &fakePortal{licence: licences}, Credentials: &fakeStore{entries: tt.saved}, Now: clock}
			_, err := runAction(t, p, "license.activate", engine.Args{"account": "a@example.com", "licence": "L-1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLicenseActivateFree(t *testing.T) {
	store := &fakeStore{entries: []Credential{{App: "tether", Account: "a@example.com", Tokens: tokens("tok"), Plan: "Personal", Licence: "L-1"}}}
	portal := &fakePortal{}
	res := mustRun(t, Ports{Licences: portal, Credentials: store, Now: clock}, "license.activate_free", engine.Args{"account": "a@example.com"})
	if want := []string{"Activate tok "}; !slices.Equal(portal.calls, want) {
		t.Errorf("calls = %q, want %q: the portal activates Free on the device token", portal.calls, want)
	}
	if res.Outcome != "activated" || res.Outputs["plan"] != "Free" || res.Outputs["licence"] != "" {
		t.Errorf("Result = %+v, want activated Free", res)
	}
	if got, _ := store.entry("tether"); got.Plan != "Free" || got.Licence != "" {
		t.Errorf("saved %+v, want plan Free and no licence", got)
	}
}

func TestAccountCreate(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
		country  string
		portal   AccountCreation
		want     string
		reason   string
	}{
		{"created", "new@example.com", "tr0ubadour-horse", "de", AccountCreation{Status: CreateOK, Account: "new@example.com"}, "created", ""},
		{"exists", "anna@example.com", "tr0ubadour-horse", "DE", AccountCreation{Status: CreateExists}, "exists", ""},
		{"portal refuses", "new@example.com", "tr0ubadour-horse", "DE", AccountCreation{Reason: "email domain not allowed"}, "invalid", "email domain not allowed"},
		{"malformed email", "new.example.com", "tr0ubadour-horse", "DE", AccountCreation{Status: CreateOK}, "invalid", "the email address is malformed"},
		{"display name", "New <new@example.com>", "tr0ubadour-horse", "DE", AccountCreation{Status: CreateOK}, "invalid", "the email address is malformed"},
		{"no dotted domain", "new@localhost", "tr0ubadour-horse", "DE", AccountCreation{Status: CreateOK}, "invalid", "the email address is malformed"},
		{"short password", "new@example.com", "sh0rt-pw", "DE", AccountCreation{Status: CreateOK}, "invalid", "the password must be at least 10 characters long"},
		{"no digit", "new@example.com", "only-letters-here", "DE", AccountCreation{Status: CreateOK}, "invalid", "the password must contain at least a letter and a digit"},
		{"no letter", "new@example.com", "1234567890-", "DE", AccountCreation{Status: CreateOK}, "invalid", "the password must contain at least a letter and a digit"},
		{"contains local part", "jonathan@example.com", "JONATHAN-2025", "DE", AccountCreation{Status: CreateOK}, "invalid", "the password must not contain the email address's name"},
		{"unknown country", "new@example.com", "tr0ubadour-horse", "XX", AccountCreation{Status: CreateOK}, "invalid", "the country is not an ISO 3166-1 alpha-2 code"},
		{"country name", "new@example.com", "tr0ubadour-horse", "Germany", AccountCreation{Status: CreateOK}, "invalid", "the country is not an ISO 3166-1 alpha-2 code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portal := &fakePortal{created: tt.portal}
			res := mustRun(t, Ports{Accounts: portal}, "account.create", engine.Args{"email": tt.email, "password": tt.password, "country": tt.country})
			if res.Outcome != tt.want || res.Outputs["reason"] != tt.reason {
				t.Errorf("Result = %+v, want %s with reason %q", res, tt.want, tt.reason)
			}
			if tt.want == "created" && res.Outputs["account"] != "new@example.com" {
				t.Errorf("account = %v, want new@example.com", res.Outputs["account"])
			}
			if tt.want == "invalid" && tt.portal.Status == CreateOK && len(portal.got) != 0 {
				t.Errorf("the portal was asked to create %v, want the action to refuse first", portal.got)
			}
			if tt.name == "created" {
				want := NewAccount{Email: "new@example.com", Password: "tr0ubadour-horse", Country: "DE"}
				if len(portal.got) != 1 || portal.got[0] != want {
					t.Errorf("portal got %v, want [%v]", portal.got, want)
				}
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ phone, want string }{
		{"+49 151 2345 1234", "+49 *** *** 12 34"},
		{"+55 11 98765 4321", "+55 *** *** 43 21"},
		{"+1 (415) 555-0199", "+1 *** *** 01 99"},
		{"0151 23451234", "*** *** 12 34"},
		{"+4915123451234", "*** *** 12 34"},
		{"123", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.phone); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.phone, got, tt.want)
		}
	}
}
