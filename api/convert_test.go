package api

import (
	"reflect"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
)

// Every answer a port gives survives the trip through its body: what the
// server sends is what the client's port returns.
func TestConversionsRoundTrip(t *testing.T) {
	j := actions.Jurisdiction{Country: "DE", Region: "eu-de", ConsentRequired: true, Document: "gdpr", Version: "1"}
	for _, s := range []actions.SignIn{
		{Status: actions.SignInOK, Account: "a@x", Ticket: "t", Jurisdiction: j},
		{Status: actions.SignInNeedsCode, Account: "a@x", Ticket: "t", PhoneMasked: "+49 ***", Jurisdiction: actions.Jurisdiction{Country: "US", Region: "default"}},
		{Status: actions.SignInDenied, CaptchaRequired: true},
		{Status: actions.SignInCaptcha, CaptchaWrong: true},
	} {
		if got, err := FromSignIn(s).Port(); err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("sign-in %+v came back as %+v, %v", s, got, err)
		}
	}
	for _, d := range []actions.CodeDelivery{
		{Status: actions.SendSent, PhoneMasked: "+49 ***", ExpiresIn: 5 * time.Minute},
		{Status: actions.SendTooSoon, Wait: 1500 * time.Millisecond},
		{Status: actions.SendLimit},
	} {
		if got, err := FromCodeDelivery(d).Port(); err != nil || got != d {
			t.Errorf("delivery %+v came back as %+v, %v", d, got, err)
		}
	}
	for _, c := range []actions.CodeCheck{{Status: actions.CheckOK}, {Status: actions.CheckWrong, AttemptsLeft: 2}, {Status: actions.CheckExpired}, {Status: actions.CheckBlocked}} {
		if got, err := FromCodeCheck(c).Port(); err != nil || got != c {
			t.Errorf("check %+v came back as %+v, %v", c, got, err)
		}
	}
	for _, a := range []actions.Activation{{Status: actions.ActivateActivated, Plan: "Free"}, {Status: actions.ActivateActivated, Plan: "Family", Licence: "L"}, {Status: actions.ActivateInactive}} {
		if got, err := FromActivation(a).Port(); err != nil || got != a {
			t.Errorf("activation %+v came back as %+v, %v", a, got, err)
		}
	}
	for _, a := range []actions.AccountCreation{{Status: actions.CreateOK, Account: "a@x"}, {Status: actions.CreateExists}, {Status: actions.CreateInvalid, Reason: "why"}} {
		if got, err := FromAccountCreation(a).Port(); err != nil || got != a {
			t.Errorf("creation %+v came back as %+v, %v", a, got, err)
		}
	}
	exp := time.Date(2026, 4, 5, 9, 0, 0, 0, time.UTC)
	for _, c := range []actions.TokenCheck{{Valid: true, Account: "a@x", Country: "DE", Plan: "Family", Licence: "L", Expires: exp}, {}} {
		if got := FromTokenCheck(c).Port(); got != c {
			t.Errorf("token check %+v came back as %+v", c, got)
		}
	}
	ls := []actions.Licence{{ID: "L", Plan: "Family", Name: "Family (5)", Expires: exp}}
	if got := FromLicences(ls).Port(); !reflect.DeepEqual(got, ls) {
		t.Errorf("licences came back as %+v", got)
	}
	c := actions.Consent{Account: "a@x", Document: "gdpr", Version: "1", Region: "eu", AcceptedAt: exp}
	if got := FromConsent("t", c).Port(); got != c {
		t.Errorf("consent came back as %+v", got)
	}
}

// A status the client does not know is an error, not a refusal.
func TestUnknownStatusIsAnError(t *testing.T) {
	if _, err := (SignIn{Status: "maybe"}).Port(); err == nil {
		t.Error("sign-in status maybe was accepted")
	}
	if _, err := (CodeDelivery{Status: ""}).Port(); err == nil {
		t.Error("empty delivery status was accepted")
	}
	if _, err := (CodeCheck{Status: "OK"}).Port(); err == nil {
		t.Error("check status OK (upper case) was accepted")
	}
	if _, err := (Activation{Status: "on"}).Port(); err == nil {
		t.Error("activation status on was accepted")
	}
	if _, err := (AccountCreation{Status: "done"}).Port(); err == nil {
		t.Error("creation status done was accepted")
	}
}

func TestProblemFor(t *testing.T) {
	for _, code := range Codes() {
		p := ProblemFor(code, "d")
		if p.Code != code || p.Status < 400 || p.Title == "" || p.Type != "urn:tether:portal:problem:"+code {
			t.Errorf("ProblemFor(%s) = %+v", code, p)
		}
	}
	if p := ProblemFor("no-such-code", ""); p.Code != CodeInternal || p.Status != 500 {
		t.Errorf("ProblemFor(unknown) = %+v, want internal", p)
	}
}
