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
		{actions.ConsentRecord{Reason: "the sign-in has expired"}, ""},
		{actions.ConsentRecord{Reason: "the sign-in has expired", ReasonMessage: actions.PortalText{ID: "sign_in.expired"}}, ""}} {
		if got, err := trip(t, FromConsent(tt.r, "t", tt.code)).Consent(); err != nil || !reflect.DeepEqual(got, tt.r) {
			t.Errorf("consent %+v came back as %+v, %v", tt.r, got, err)
		}
	}
	for _, g := range []Grant{{Code: "c", Account: "a@x", Country: "DE"}, {Reason: "the sign-in is unknown"},
		{Reason: "the regulation was not accepted", ConsentRequired: true,
			ReasonMessage: actions.PortalText{ID: "consent.not_accepted", Params: map[string]any{"document": "gdpr", "version": "1"}}}} {
		if got, err := trip(t, FromGrant(g, "t")).Grant(); err != nil || !reflect.DeepEqual(got, g) {
			t.Errorf("grant %+v came back as %+v, %v", g, got, err)
		}
	}
	for _, ch := range []actions.Challenge{
		{ID: "cap-1.s", Text: "What is 2 plus 2?"},
		{ID: "cap-1.s", Text: "What is 2 plus 3?", Message: actions.PortalText{ID: "captcha.plus", Params: map[string]any{"a": 2, "b": 3}}},
	} {
		if got, err := trip(t, FromChallenge(ch)).Challenge(); err != nil || !reflect.DeepEqual(got, ch) {
			t.Errorf("challenge %+v came back as %+v, %v", ch, got, err)
		}
	}
	for _, a := range []actions.AccountCreation{
		{Status: actions.CreateInvalid, Reason: "the password is empty", ReasonMessage: actions.PortalText{ID: "account.password_empty"}},
		{Status: actions.CreateOK, Account: "a@x"},
	} {
		data, _ := json.Marshal(FromAccountCreation(a))
		var b AccountCreation
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Port(); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("account creation %+v came back as %+v, %v", a, got, err)
		}
	}
}

// A portal's message reaches a person only when it is a plain, bounded
// message: anything else is dropped, and the words beside it shown.
func TestMessagePort(t *testing.T) {
	long := strings.Repeat("x", 201)
	many := map[string]any{}
	for i := range 9 {
		many[string(rune('a'+i))] = i
	}
	for _, tt := range []struct {
		in   string
		want actions.PortalText
	}{
		{`{"id":"captcha.plus","params":{"a":9,"b":10}}`, actions.PortalText{ID: "captcha.plus", Params: map[string]any{"a": 9, "b": 10}}},
		{`{"id":"captcha.backwards","params":{"word":"garden"}}`, actions.PortalText{ID: "captcha.backwards", Params: map[string]any{"word": "garden"}}},
		{`{"id":"sign_in.expired"}`, actions.PortalText{ID: "sign_in.expired"}},
		{`{"id":"Captcha.Plus"}`, actions.PortalText{}},
		{`{"id":"captcha..plus"}`, actions.PortalText{}},
		{`{"id":"connect.title"}`, actions.PortalText{ID: "connect.title"}}, // prefixed portal. by the action: no flow's id
		{`{"id":"` + strings.Repeat("a", 65) + `"}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"a":1.5}}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"a":[1]}}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"a":{"$message":"x"}}}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"a":"` + long + `"}}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"a":"x\u001b[2J"}}`, actions.PortalText{}},
		{`{"id":"captcha.plus","params":{"$message":"x"}}`, actions.PortalText{}},
	} {
		var m Message
		if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
			t.Fatal(err)
		}
		if got := m.Port(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Port() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if got := (&Message{ID: "captcha.plus", Params: many}).Port(); got.ID != "" {
		t.Errorf("9 params: Port() = %+v, want none", got)
	}
	if got := (*Message)(nil).Port(); got.ID != "" {
		t.Errorf("nil: Port() = %+v, want none", got)
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
