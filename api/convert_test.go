package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
)

// trip sends a through JSON, as it goes over the wire.
func trip(t *testing.T, a Answer) Answer {
	t.Helper()
	data, err := json.Marshal(a.Body)
	if err != nil {
		t.Fatal(err)
	}
	var b ChallengeResponse
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	return Answer{Status: a.Status, Body: b}
}

// Every answer a port gives survives the trip through its challenge
// answer: what the server sends is what the client's port returns.
func TestConversionsRoundTrip(t *testing.T) {
	j := actions.Jurisdiction{Country: "DE", Region: "eu-de", ConsentRequired: true, Document: "gdpr", Version: "1"}
	for _, tt := range []struct {
		s    actions.SignIn
		code string
	}{
		{actions.SignIn{Status: actions.SignInOK, Account: "a@x", Ticket: "t", Jurisdiction: actions.Jurisdiction{Country: "US", Region: "default"}}, "code"},
		{actions.SignIn{Status: actions.SignInOK, Account: "a@x", Ticket: "t", Jurisdiction: j}, ""},
		{actions.SignIn{Status: actions.SignInNeedsCode, Account: "a@x", Ticket: "t", PhoneMasked: "+49 ***", Jurisdiction: j}, ""},
		{actions.SignIn{Status: actions.SignInDenied, CaptchaRequired: true}, ""},
		{actions.SignIn{Status: actions.SignInCaptcha, CaptchaWrong: true}, ""},
	} {
		if got, err := trip(t, FromSignIn(tt.s, tt.code)).SignIn(); err != nil || !reflect.DeepEqual(got, tt.s) {
			t.Errorf("sign-in %+v came back as %+v, %v", tt.s, got, err)
		}
	}
	for _, d := range []actions.CodeDelivery{
		{Status: actions.SendSent, PhoneMasked: "+49 ***", ExpiresIn: 5 * time.Minute},
		{Status: actions.SendTooSoon, Wait: 1500 * time.Millisecond},
		{Status: actions.SendLimit},
	} {
		if got, err := trip(t, FromCodeDelivery(d, "t")).CodeDelivery(); err != nil || got != d {
			t.Errorf("delivery %+v came back as %+v, %v", d, got, err)
		}
	}
	for _, tt := range []struct {
		c    actions.CodeCheck
		code string
	}{{actions.CodeCheck{Status: actions.CheckOK}, "code"}, {actions.CodeCheck{Status: actions.CheckOK}, ""},
		{actions.CodeCheck{Status: actions.CheckWrong, AttemptsLeft: 2}, ""}, {actions.CodeCheck{Status: actions.CheckExpired}, ""},
		{actions.CodeCheck{Status: actions.CheckBlocked}, ""}} {
		if got, err := trip(t, FromCodeCheck(tt.c, actions.SignIn{Ticket: "t"}, tt.code)).CodeCheck(); err != nil || got != tt.c {
			t.Errorf("check %+v came back as %+v, %v", tt.c, got, err)
		}
	}
	for _, tt := range []struct {
		r    actions.ConsentRecord
		code string
	}{{actions.ConsentRecord{Recorded: true, ID: "consent-1"}, "code"}, {actions.ConsentRecord{Recorded: true, ID: "consent-2"}, ""},
		{actions.ConsentRecord{Reason: "the sign-in has expired"}, ""}} {
		if got, err := trip(t, FromConsent(tt.r, "t", tt.code)).Consent(); err != nil || got != tt.r {
			t.Errorf("consent %+v came back as %+v, %v", tt.r, got, err)
		}
	}
	for _, g := range []Grant{{Code: "c", Account: "a@x", Country: "DE"}, {Reason: "the sign-in is unknown"},
		{Reason: "the regulation was not accepted", ConsentRequired: true}} {
		if got, err := trip(t, FromGrant(g, "t")).Grant(); err != nil || got != g {
			t.Errorf("grant %+v came back as %+v, %v", g, got, err)
		}
	}
	ch := actions.Challenge{ID: "cap-1.s", Text: "What is 2 plus 2?"}
	if got, err := trip(t, FromChallenge(ch)).Challenge(); err != nil || got != ch {
		t.Errorf("challenge %+v came back as %+v, %v", ch, got, err)
	}
}

// The statuses are the draft's: 403 for insufficient_authorization, 400
// for the rest of a refusal, 200 with a code.
func TestStatuses(t *testing.T) {
	for _, tt := range []struct {
		a    Answer
		want int
	}{
		{FromSignIn(actions.SignIn{Status: actions.SignInOK, Ticket: "t"}, "c"), http.StatusOK},
		{FromSignIn(actions.SignIn{Status: actions.SignInNeedsCode, Ticket: "t"}, ""), http.StatusForbidden},
		{FromSignIn(actions.SignIn{Status: actions.SignInDenied}, ""), http.StatusBadRequest},
		{FromCodeDelivery(actions.CodeDelivery{Status: actions.SendTooSoon}, "t"), http.StatusBadRequest},
		{FromGrant(Grant{Reason: "x"}, "t"), http.StatusBadRequest},
	} {
		if tt.a.Status != tt.want {
			t.Errorf("%+v: status %d, want %d", tt.a.Body, tt.a.Status, tt.want)
		}
	}
}

// An answer this client does not know is an error, not a guess.
func TestUnknownAnswers(t *testing.T) {
	odd := Answer{Status: 400, Body: ChallengeResponse{Error: "something_new"}}
	if _, err := odd.SignIn(); err == nil || !strings.Contains(err.Error(), "something_new") {
		t.Errorf("SignIn of an unknown error = %v", err)
	}
	if _, err := odd.CodeCheck(); err == nil {
		t.Error("CodeCheck of an unknown error is no error")
	}
	if _, err := (Answer{Status: 200}).Grant(); err == nil {
		t.Error("a 200 without a code is taken as a grant")
	}
}

// An error_description holds printable ASCII without '"' or '\'.
func TestCleanDescription(t *testing.T) {
	if got := CleanDescription("a \"b\" \\ c\nd é"); got != "a ?b? ? c?d ?" {
		t.Errorf("CleanDescription = %q", got)
	}
}
