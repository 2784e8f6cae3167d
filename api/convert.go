package api

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/tetherflow/tether/actions"
)

// The conversions between the protocol's answers and the actions' port
// types. A server turns a port's answer into an answer (From...) and an
// HTTP status; a client turns the answer back, refusing one it does not
// know.

// Answer is a challenge answer with its HTTP status.
type Answer struct {
	Status int
	Body   ChallengeResponse
}

// denied is the answer for what the portal refuses, with its status.
func denied(code string, body ChallengeResponse) Answer {
	body.Error = code
	return Answer{Status: StatusOf(code), Body: body}
}

// jurisdiction fills in the account's members of b.
func jurisdiction(b ChallengeResponse, account string, j actions.Jurisdiction) ChallengeResponse {
	b.Account, b.Country, b.Region = account, j.Country, j.Region
	b.ConsentRequired, b.ConsentDocument, b.ConsentVersion = j.ConsentRequired, j.Document, j.Version
	return b
}

func (b ChallengeResponse) jurisdiction() actions.Jurisdiction {
	return actions.Jurisdiction{Country: b.Country, Region: b.Region, ConsentRequired: b.ConsentRequired,
		Document: b.ConsentDocument, Version: b.ConsentVersion}
}

// authorised is the answer for a session the portal holds authorised:
// the authorization code, or, while the regulation the account's rules
// require is not accepted, insufficient_authorization asking for it.
func authorised(b ChallengeResponse, code string) Answer {
	if code == "" {
		return denied(ErrInsufficientAuthorization, b)
	}
	b.AuthorizationCode = code
	return Answer{Status: http.StatusOK, Body: b}
}

// FromSignIn returns the answer to a sign-in, with the authorization
// code the portal issued for it ("" while the session needs more).
func FromSignIn(s actions.SignIn, code string) Answer {
	switch s.Status {
	case actions.SignInOK:
		return authorised(jurisdiction(ChallengeResponse{AuthSession: s.Ticket}, s.Account, s.Jurisdiction), code)
	case actions.SignInNeedsCode:
		b := jurisdiction(ChallengeResponse{AuthSession: s.Ticket, OTPRequired: true, PhoneMasked: s.PhoneMasked}, s.Account, s.Jurisdiction)
		return denied(ErrInsufficientAuthorization, b)
	case actions.SignInCaptcha:
		return denied(ErrInsufficientAuthorization, ChallengeResponse{CaptchaRequired: true, CaptchaWrong: s.CaptchaWrong})
	}
	return denied(ErrAccessDenied, ChallengeResponse{CaptchaRequired: s.CaptchaRequired,
		ErrorDescription: "the email address or password is not right, or the account is locked"})
}

// SignIn returns the sign-in the answer a stands for.
func (a Answer) SignIn() (actions.SignIn, error) {
	b := a.Body
	out := actions.SignIn{Account: b.Account, Ticket: b.AuthSession, Jurisdiction: b.jurisdiction()}
	switch {
	case a.Status == http.StatusOK && b.AuthorizationCode != "":
		out.Status = actions.SignInOK
	case b.Error == ErrInsufficientAuthorization && b.OTPRequired && b.AuthSession != "":
		out.Status, out.PhoneMasked = actions.SignInNeedsCode, b.PhoneMasked
	case b.Error == ErrInsufficientAuthorization && b.AuthSession != "" && !b.CaptchaRequired:
		// Signed in; the session wants the regulation, or just its code.
		out.Status = actions.SignInOK
	case b.Error == ErrInsufficientAuthorization && b.CaptchaRequired:
		return actions.SignIn{Status: actions.SignInCaptcha, CaptchaWrong: b.CaptchaWrong}, nil
	case b.Error == ErrAccessDenied:
		return actions.SignIn{Status: actions.SignInDenied, CaptchaRequired: b.CaptchaRequired}, nil
	default:
		return actions.SignIn{}, a.unknown("sign-in")
	}
	return out, nil
}

// FromChallenge returns the answer handing out a CAPTCHA challenge.
func FromChallenge(ch actions.Challenge) Answer {
	return denied(ErrInsufficientAuthorization, ChallengeResponse{CaptchaRequired: true, CaptchaID: ch.ID, CaptchaChallenge: ch.Text,
		CaptchaMessage: FromPortalText(ch.Message)})
}

// Challenge returns the CAPTCHA challenge the answer a hands out.
func (a Answer) Challenge() (actions.Challenge, error) {
	b := a.Body
	if b.Error != ErrInsufficientAuthorization || b.CaptchaID == "" || b.CaptchaChallenge == "" {
		return actions.Challenge{}, a.unknown("CAPTCHA request")
	}
	return actions.Challenge{ID: b.CaptchaID, Text: b.CaptchaChallenge, Message: b.CaptchaMessage.Port()}, nil
}

// FromCodeDelivery returns the answer to a request for a code for the
// session.
func FromCodeDelivery(d actions.CodeDelivery, session string) Answer {
	switch d.Status {
	case actions.SendSent:
		return denied(ErrInsufficientAuthorization, ChallengeResponse{AuthSession: session, OTPRequired: true, OTPSent: true,
			PhoneMasked: d.PhoneMasked, OTPExpiresIn: seconds(d.ExpiresIn)})
	case actions.SendTooSoon:
		return denied(ErrOTPTooSoon, ChallengeResponse{AuthSession: session, Wait: seconds(d.Wait)})
	}
	return denied(ErrOTPLimit, ChallengeResponse{ErrorDescription: "no further code can be sent for this sign-in"})
}

// CodeDelivery returns the answer to a request for a code that a stands
// for.
func (a Answer) CodeDelivery() (actions.CodeDelivery, error) {
	b := a.Body
	switch {
	case b.Error == ErrInsufficientAuthorization && b.OTPSent:
		return actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: b.PhoneMasked, ExpiresIn: duration(b.OTPExpiresIn)}, nil
	case b.Error == ErrOTPTooSoon:
		return actions.CodeDelivery{Status: actions.SendTooSoon, Wait: duration(b.Wait)}, nil
	case b.Error == ErrOTPLimit, b.Error == ErrInvalidSession:
		return actions.CodeDelivery{Status: actions.SendLimit}, nil
	}
	return actions.CodeDelivery{}, a.unknown("request for a code")
}

// FromCodeCheck returns the answer to a code, with the authorization code
// issued for the session when the code was right and nothing more is
// needed.
func FromCodeCheck(c actions.CodeCheck, s actions.SignIn, code string) Answer {
	switch c.Status {
	case actions.CheckOK:
		return authorised(jurisdiction(ChallengeResponse{AuthSession: s.Ticket}, s.Account, s.Jurisdiction), code)
	case actions.CheckWrong:
		return denied(ErrOTPWrong, ChallengeResponse{AuthSession: s.Ticket, AttemptsLeft: c.AttemptsLeft})
	case actions.CheckExpired:
		return denied(ErrOTPExpired, ChallengeResponse{AuthSession: s.Ticket})
	}
	return denied(ErrOTPBlocked, ChallengeResponse{ErrorDescription: "too many wrong codes, or the sign-in is over"})
}

// CodeCheck returns the answer to a code that a stands for.
func (a Answer) CodeCheck() (actions.CodeCheck, error) {
	b := a.Body
	switch {
	case a.Status == http.StatusOK && b.AuthorizationCode != "",
		b.Error == ErrInsufficientAuthorization && b.AuthSession != "" && !b.OTPRequired:
		return actions.CodeCheck{Status: actions.CheckOK}, nil
	case b.Error == ErrOTPWrong:
		return actions.CodeCheck{Status: actions.CheckWrong, AttemptsLeft: b.AttemptsLeft}, nil
	case b.Error == ErrOTPExpired:
		return actions.CodeCheck{Status: actions.CheckExpired}, nil
	case b.Error == ErrOTPBlocked, b.Error == ErrInvalidSession:
		return actions.CodeCheck{Status: actions.CheckBlocked}, nil
	}
	return actions.CodeCheck{}, a.unknown("code")
}

// FromConsent returns the answer to a consent, with the authorization
// code issued for the session once it was recorded.
func FromConsent(r actions.ConsentRecord, session, code string) Answer {
	if !r.Recorded {
		return denied(ErrInvalidSession, ChallengeResponse{ErrorDescription: CleanDescription(r.Reason), ErrorMessage: FromPortalText(r.ReasonMessage)})
	}
	return authorised(ChallengeResponse{AuthSession: session, ConsentID: r.ID}, code)
}

// Consent returns the answer to a consent that a stands for.
func (a Answer) Consent() (actions.ConsentRecord, error) {
	b := a.Body
	switch {
	case b.ConsentID != "" && (a.Status == http.StatusOK || b.Error == ErrInsufficientAuthorization):
		return actions.ConsentRecord{Recorded: true, ID: b.ConsentID}, nil
	case b.Error == ErrInvalidSession:
		return actions.ConsentRecord{Reason: b.ErrorDescription, ReasonMessage: b.ErrorMessage.Port()}, nil
	}
	return actions.ConsentRecord{}, a.unknown("consent")
}

// Grant is what the portal answers when a device asks for the code of an
// authorised session: the code, or why there is none.
type Grant struct {
	Code    string
	Account string
	Country string
	Reason  string // no Code: why, in words that hold no secret
	// ReasonMessage is Reason as a message of the portal's.
	ReasonMessage actions.PortalText
	// ConsentRequired: the reason is the regulation, not yet accepted.
	ConsentRequired bool
}

// FromGrant returns the answer to a request for the session's code.
func FromGrant(g Grant, session string) Answer {
	switch {
	case g.Code != "":
		return Answer{Status: http.StatusOK, Body: ChallengeResponse{AuthorizationCode: g.Code, AuthSession: session, Account: g.Account, Country: g.Country}}
	case g.ConsentRequired:
		return denied(ErrInsufficientAuthorization, ChallengeResponse{AuthSession: session, ConsentRequired: true,
			ErrorDescription: CleanDescription(g.Reason), ErrorMessage: FromPortalText(g.ReasonMessage)})
	}
	return denied(ErrInvalidSession, ChallengeResponse{ErrorDescription: CleanDescription(g.Reason), ErrorMessage: FromPortalText(g.ReasonMessage)})
}

// Grant returns the grant the answer a stands for.
func (a Answer) Grant() (Grant, error) {
	b := a.Body
	switch {
	case a.Status == http.StatusOK && b.AuthorizationCode != "":
		return Grant{Code: b.AuthorizationCode, Account: b.Account, Country: b.Country}, nil
	case b.Error == ErrInsufficientAuthorization, b.Error == ErrInvalidSession:
		reason, msg := b.ErrorDescription, b.ErrorMessage.Port()
		if reason == "" {
			reason = "the portal wants more before it connects this device"
			msg = actions.PortalText{ID: "session.incomplete"}
		}
		return Grant{Reason: reason, ReasonMessage: msg, ConsentRequired: b.ConsentRequired}, nil
	}
	return Grant{}, a.unknown("request for the code")
}

// unknown is the error for an answer this client does not know.
func (a Answer) unknown(what string) error {
	if a.Body.Error != "" {
		return fmt.Errorf("the portal answered a %s with %d %s, which this client does not know", what, a.Status, a.Body.Error)
	}
	return fmt.Errorf("the portal answered a %s with %d, which this client does not know", what, a.Status)
}

// FromLicences returns the body listing ls.
func FromLicences(ls []actions.Licence) Licences {
	out := Licences{Licences: make([]Licence, len(ls))}
	for i, l := range ls {
		out.Licences[i] = Licence{ID: l.ID, Plan: l.Plan, Name: l.Name, Expires: l.Expires}
	}
	return out
}

// Port returns the licences l lists.
func (l Licences) Port() []actions.Licence {
	out := make([]actions.Licence, len(l.Licences))
	for i, x := range l.Licences {
		out[i] = actions.Licence{ID: x.ID, Plan: x.Plan, Name: x.Name, Expires: x.Expires}
	}
	return out
}

// FromActivation returns the body of an activation's answer.
func FromActivation(a actions.Activation) Activation {
	if a.Status == actions.ActivateActivated {
		return Activation{Status: ActivateActivated, Plan: a.Plan, Licence: a.Licence}
	}
	return Activation{Status: ActivateInactive}
}

// Port returns the answer a stands for.
func (a Activation) Port() (actions.Activation, error) {
	switch a.Status {
	case ActivateActivated:
		return actions.Activation{Status: actions.ActivateActivated, Plan: a.Plan, Licence: a.Licence}, nil
	case ActivateInactive:
		return actions.Activation{Status: actions.ActivateInactive}, nil
	}
	return actions.Activation{}, unknownStatus("activation", a.Status)
}

// FromAccountCreation returns the body of an account creation's answer.
func FromAccountCreation(a actions.AccountCreation) AccountCreation {
	switch a.Status {
	case actions.CreateOK:
		return AccountCreation{Status: CreateOK, Account: a.Account}
	case actions.CreateExists:
		return AccountCreation{Status: CreateExists}
	}
	return AccountCreation{Status: CreateInvalid, Reason: a.Reason, ReasonMessage: FromPortalText(a.ReasonMessage)}
}

// Port returns the answer a stands for.
func (a AccountCreation) Port() (actions.AccountCreation, error) {
	switch a.Status {
	case CreateOK:
		return actions.AccountCreation{Status: actions.CreateOK, Account: a.Account}, nil
	case CreateExists:
		return actions.AccountCreation{Status: actions.CreateExists}, nil
	case CreateInvalid:
		return actions.AccountCreation{Status: actions.CreateInvalid, Reason: a.Reason, ReasonMessage: a.ReasonMessage.Port()}, nil
	}
	return actions.AccountCreation{}, unknownStatus("account creation", a.Status)
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// duration is s seconds, to the millisecond.
func duration(s float64) time.Duration { return time.Duration(math.Round(s*1000)) * time.Millisecond }

func unknownStatus(what, status string) error {
	return fmt.Errorf("the portal answered a %s with status %q, which this client does not know", what, status)
}
