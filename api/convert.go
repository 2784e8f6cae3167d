package api

import (
	"fmt"
	"time"

	"github.com/tetherflow/tether/actions"
)

// The conversions between the protocol's bodies and the actions' port
// types. A server turns a port's answer into a body (From...); a client
// turns the body back (...Port), refusing a status it does not know.

// FromSignIn returns the body of a sign-in answer.
func FromSignIn(s actions.SignIn) SignIn {
	out := SignIn{Account: s.Account, Ticket: s.Ticket, PhoneMasked: s.PhoneMasked,
		CaptchaRequired: s.CaptchaRequired, CaptchaWrong: s.CaptchaWrong}
	switch s.Status {
	case actions.SignInOK:
		out.Status = SignInOK
	case actions.SignInNeedsCode:
		out.Status = SignInNeedsCode
	case actions.SignInCaptcha:
		out.Status = SignInCaptcha
	default:
		out.Status = SignInDenied
	}
	if s.Status == actions.SignInOK || s.Status == actions.SignInNeedsCode {
		j := s.Jurisdiction
		out.Jurisdiction = &Jurisdiction{Country: j.Country, Region: j.Region, ConsentRequired: j.ConsentRequired, Document: j.Document, Version: j.Version}
	}
	return out
}

// Port returns the sign-in answer s stands for.
func (s SignIn) Port() (actions.SignIn, error) {
	out := actions.SignIn{Account: s.Account, Ticket: s.Ticket, PhoneMasked: s.PhoneMasked,
		CaptchaRequired: s.CaptchaRequired, CaptchaWrong: s.CaptchaWrong}
	switch s.Status {
	case SignInOK:
		out.Status = actions.SignInOK
	case SignInNeedsCode:
		out.Status = actions.SignInNeedsCode
	case SignInDenied:
		out.Status = actions.SignInDenied
	case SignInCaptcha:
		out.Status = actions.SignInCaptcha
	default:
		return actions.SignIn{}, unknownStatus("sign-in", s.Status)
	}
	if j := s.Jurisdiction; j != nil {
		out.Jurisdiction = actions.Jurisdiction{Country: j.Country, Region: j.Region, ConsentRequired: j.ConsentRequired, Document: j.Document, Version: j.Version}
	}
	return out, nil
}

// FromCodeDelivery returns the body of an answer to a request for a code.
func FromCodeDelivery(d actions.CodeDelivery) CodeDelivery {
	switch d.Status {
	case actions.SendSent:
		return CodeDelivery{Status: SendSent, PhoneMasked: d.PhoneMasked, ExpiresInMS: d.ExpiresIn.Milliseconds()}
	case actions.SendTooSoon:
		return CodeDelivery{Status: SendTooSoon, WaitMS: d.Wait.Milliseconds()}
	}
	return CodeDelivery{Status: SendLimit}
}

// Port returns the answer d stands for.
func (d CodeDelivery) Port() (actions.CodeDelivery, error) {
	out := actions.CodeDelivery{PhoneMasked: d.PhoneMasked, ExpiresIn: millis(d.ExpiresInMS), Wait: millis(d.WaitMS)}
	switch d.Status {
	case SendSent:
		out.Status = actions.SendSent
	case SendTooSoon:
		out.Status = actions.SendTooSoon
	case SendLimit:
		out.Status = actions.SendLimit
	default:
		return actions.CodeDelivery{}, unknownStatus("code delivery", d.Status)
	}
	return out, nil
}

// FromCodeCheck returns the body of an answer to a code.
func FromCodeCheck(c actions.CodeCheck) CodeCheck {
	switch c.Status {
	case actions.CheckOK:
		return CodeCheck{Status: CheckOK}
	case actions.CheckWrong:
		return CodeCheck{Status: CheckWrong, AttemptsLeft: c.AttemptsLeft}
	case actions.CheckExpired:
		return CodeCheck{Status: CheckExpired}
	}
	return CodeCheck{Status: CheckBlocked}
}

// Port returns the answer c stands for.
func (c CodeCheck) Port() (actions.CodeCheck, error) {
	out := actions.CodeCheck{AttemptsLeft: c.AttemptsLeft}
	switch c.Status {
	case CheckOK:
		out.Status = actions.CheckOK
	case CheckWrong:
		out.Status = actions.CheckWrong
	case CheckExpired:
		out.Status = actions.CheckExpired
	case CheckBlocked:
		out.Status = actions.CheckBlocked
	default:
		return actions.CodeCheck{}, unknownStatus("code check", c.Status)
	}
	return out, nil
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
	return AccountCreation{Status: CreateInvalid, Reason: a.Reason}
}

// Port returns the answer a stands for.
func (a AccountCreation) Port() (actions.AccountCreation, error) {
	switch a.Status {
	case CreateOK:
		return actions.AccountCreation{Status: actions.CreateOK, Account: a.Account}, nil
	case CreateExists:
		return actions.AccountCreation{Status: actions.CreateExists}, nil
	case CreateInvalid:
		return actions.AccountCreation{Status: actions.CreateInvalid, Reason: a.Reason}, nil
	}
	return actions.AccountCreation{}, unknownStatus("account creation", a.Status)
}

// FromTokenCheck returns the body of a token check's answer.
func FromTokenCheck(c actions.TokenCheck) TokenCheck {
	if !c.Valid {
		return TokenCheck{}
	}
	exp := c.Expires
	return TokenCheck{Valid: true, Account: c.Account, Country: c.Country, Plan: c.Plan, Licence: c.Licence, Expires: &exp}
}

// Port returns the answer c stands for.
func (c TokenCheck) Port() actions.TokenCheck {
	out := actions.TokenCheck{Valid: c.Valid, Account: c.Account, Country: c.Country, Plan: c.Plan, Licence: c.Licence}
	if c.Expires != nil {
		out.Expires = *c.Expires
	}
	return out
}

// FromConsent returns the request recording c during ticket.
func FromConsent(ticket string, c actions.Consent) ConsentRequest {
	return ConsentRequest{Ticket: ticket, Account: c.Account, Document: c.Document, Version: c.Version, Region: c.Region, AcceptedAt: c.AcceptedAt}
}

// Port returns the consent r records.
func (r ConsentRequest) Port() actions.Consent {
	return actions.Consent{Account: r.Account, Document: r.Document, Version: r.Version, Region: r.Region, AcceptedAt: r.AcceptedAt}
}

func millis(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func unknownStatus(what, status string) error {
	return fmt.Errorf("the portal answered a %s with status %q, which this client does not know", what, status)
}
