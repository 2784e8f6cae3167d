package api

import "time"

// SignInPasswordRequest is the body of signInPassword.
type SignInPasswordRequest struct {
	Email    string         `json:"email"`
	Password string         `json:"password"`
	Captcha  *CaptchaAnswer `json:"captcha,omitempty"` // when the portal asked for one
}

// CaptchaAnswer is a person's answer to a challenge from newCaptcha.
type CaptchaAnswer struct {
	ID     string `json:"id"`
	Answer string `json:"answer"`
}

// SignInTokenRequest is the body of signInToken.
type SignInTokenRequest struct {
	Token string `json:"token"`
}

// The statuses of a sign-in.
const (
	SignInOK        = "ok"
	SignInNeedsCode = "needs_code"
	SignInDenied    = "denied"
	SignInCaptcha   = "captcha"
)

// SignIn is the answer to signInPassword and signInToken.
type SignIn struct {
	Status          string        `json:"status"`
	Account         string        `json:"account,omitempty"`
	Ticket          string        `json:"ticket,omitempty"`
	PhoneMasked     string        `json:"phone_masked,omitempty"`
	CaptchaRequired bool          `json:"captcha_required,omitempty"`
	CaptchaWrong    bool          `json:"captcha_wrong,omitempty"`
	Jurisdiction    *Jurisdiction `json:"jurisdiction,omitempty"`
}

// Jurisdiction is what the portal knows of the rules a signed-in account
// falls under.
type Jurisdiction struct {
	Country         string `json:"country"`
	Region          string `json:"region"`
	ConsentRequired bool   `json:"consent_required"`
	Document        string `json:"document,omitempty"`
	Version         string `json:"version,omitempty"`
}

// Challenge is the answer to newCaptcha.
type Challenge struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// TicketRequest is the body of sendCode and connect.
type TicketRequest struct {
	Ticket string `json:"ticket"`
}

// The statuses of a request for a code.
const (
	SendSent    = "sent"
	SendTooSoon = "too_soon"
	SendLimit   = "limit"
)

// CodeDelivery is the answer to sendCode. Durations are whole
// milliseconds.
type CodeDelivery struct {
	Status      string `json:"status"`
	PhoneMasked string `json:"phone_masked,omitempty"`
	ExpiresInMS int64  `json:"expires_in_ms,omitempty"`
	WaitMS      int64  `json:"wait_ms,omitempty"`
}

// CheckCodeRequest is the body of checkCode.
type CheckCodeRequest struct {
	Ticket string `json:"ticket"`
	Code   string `json:"code"`
}

// The statuses of a code check.
const (
	CheckOK      = "ok"
	CheckWrong   = "wrong"
	CheckExpired = "expired"
	CheckBlocked = "blocked"
)

// CodeCheck is the answer to checkCode.
type CodeCheck struct {
	Status       string `json:"status"`
	AttemptsLeft int    `json:"attempts_left,omitempty"`
}

// ConsentRequest is the body of recordConsent.
type ConsentRequest struct {
	Ticket     string    `json:"ticket"`
	Account    string    `json:"account"`
	Document   string    `json:"document"`
	Version    string    `json:"version"`
	Region     string    `json:"region"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// ConsentRecord is the answer to recordConsent.
type ConsentRecord struct {
	Recorded bool   `json:"recorded"`
	ID       string `json:"id,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Connection is the answer to connect.
type Connection struct {
	Connected bool   `json:"connected"`
	Account   string `json:"account,omitempty"`
	Country   string `json:"country,omitempty"`
	Token     string `json:"token,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Licences is the answer to listLicences.
type Licences struct {
	Licences []Licence `json:"licences"`
}

// Licence is a subscription registered to an account.
type Licence struct {
	ID      string    `json:"id"`
	Plan    string    `json:"plan"`
	Name    string    `json:"name"`
	Expires time.Time `json:"expires"`
}

// ActivateRequest is the body of activate; the empty licence activates
// the Free plan.
type ActivateRequest struct {
	Licence string `json:"licence"`
}

// The statuses of an activation.
const (
	ActivateActivated = "activated"
	ActivateInactive  = "inactive"
)

// Activation is the answer to activate.
type Activation struct {
	Status  string `json:"status"`
	Plan    string `json:"plan,omitempty"`
	Licence string `json:"licence,omitempty"`
}

// CreateAccountRequest is the body of createAccount.
type CreateAccountRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Region   string `json:"region"`
}

// The statuses of an account creation.
const (
	CreateOK      = "ok"
	CreateExists  = "exists"
	CreateInvalid = "invalid"
)

// AccountCreation is the answer to createAccount.
type AccountCreation struct {
	Status  string `json:"status"`
	Account string `json:"account,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// TokenCheck is the answer to checkToken.
type TokenCheck struct {
	Valid   bool       `json:"valid"`
	Account string     `json:"account,omitempty"`
	Country string     `json:"country,omitempty"`
	Plan    string     `json:"plan,omitempty"`
	Licence string     `json:"licence,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
}
