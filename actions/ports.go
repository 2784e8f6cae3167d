package actions

import (
	"context"
	"errors"
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/prompt"
)

// Ports are the adapters the actions need. A nil port is allowed: the
// actions that need it are still returned by New, and their Run fails with
// an error wrapping ErrNoPort. A nil Now means time.Now.
type Ports struct {
	Portal      Portal
	Licences    Licences
	Accounts    Accounts
	Consent     ConsentLog
	Captcha     Captcha
	Credentials CredentialStore
	// Now is the clock licence expiry and saved_at are judged on.
	Now func() time.Time
}

// Portal is the vendor's account portal as far as signing in and connecting
// a device go. Refusals are reported in the returned values; an error means
// the portal could not answer: an error wrapping ErrUnavailable when it
// could not be reached or did not answer in time, which trying again later
// may cure. Implementations must not put a password, code or token into an
// error.
type Portal interface {
	// SSOSignIn signs in by OpenID Connect Native SSO, with the ID token
	// and device secret one of the vendor's applications holds on this
	// device. An unknown, revoked or expired session gives Status
	// SignInDenied. On SignInOK the ticket is already authorised.
	SSOSignIn(ctx context.Context, idToken, deviceSecret string) (SignIn, error)
	// PasswordSignIn signs in with an email address and password, and the
	// answer to a CAPTCHA challenge when the portal asked for one (the zero
	// CaptchaAnswer otherwise). When the portal requires a CAPTCHA answer
	// for the account and none, or a wrong one, was given, it gives
	// SignInCaptcha without looking at the password. An unknown email, a
	// wrong password and a locked account all give SignInDenied. An account
	// with SMS authorisation gives SignInNeedsCode and a ticket that
	// SendCode and CheckCode must authorise.
	PasswordSignIn(ctx context.Context, email, password string, captcha CaptchaAnswer) (SignIn, error)
	// SendCode sends a new code to the phone of the ticket's account,
	// replacing any previous one.
	SendCode(ctx context.Context, ticket string) (CodeDelivery, error)
	// CheckCode checks a code sent for the ticket; a right code authorises
	// the ticket and is used up.
	CheckCode(ctx context.Context, ticket, code string) (CodeCheck, error)
	// Connect exchanges an authorised ticket for this device's tokens. The
	// ticket is used up.
	Connect(ctx context.Context, ticket string) (Connection, error)
}

// ErrTokenRejected is wrapped by the errors of calls authorised by an
// access token that the portal does not accept (unknown, expired,
// revoked, or presented without a proof of its key).
var ErrTokenRejected = errors.New("the portal does not accept the access token")

// ErrUnavailable is wrapped by the error a port returns when the system
// behind it could not be reached or did not answer in time; the engine
// turns it into the outcome unavailable of the action (see
// engine.ErrUnavailable, which it is).
var ErrUnavailable = engine.ErrUnavailable

// Licences lists the licences registered to the account an access token
// belongs to, and activates one of them on the device it was issued to.
type Licences interface {
	// Licences returns every licence of the token's account, expired ones
	// included. It returns an error wrapping ErrTokenRejected for a token
	// the portal does not accept.
	Licences(ctx context.Context, token string) ([]Licence, error)
	// Activate activates the licence with this id on the token's device;
	// the empty id activates the Free plan. A licence the account does not
	// have, or whose term is over, gives Status ActivateInactive. It returns
	// an error wrapping ErrTokenRejected for a token the portal does not
	// accept.
	Activate(ctx context.Context, token, licence string) (Activation, error)
}

// Accounts creates accounts on the portal.
type Accounts interface {
	// CreateAccount creates an account. An email already registered gives
	// Status CreateExists; data the portal refuses gives CreateInvalid with
	// a Reason.
	CreateAccount(ctx context.Context, a NewAccount) (AccountCreation, error)
}

// ConsentLog records that a person accepted a document.
type ConsentLog interface {
	// RecordConsent records an acceptance made during the sign-in ticket
	// and returns its identifier. A ticket that is unknown, expired or used,
	// or that belongs to another account than c.Account, gives Recorded
	// false with the reason: a consent is tied to the sign-in it was given
	// in.
	RecordConsent(ctx context.Context, ticket string, c Consent) (ConsentRecord, error)
}

// ConsentRecord is the portal's answer to a consent.
type ConsentRecord struct {
	Recorded bool
	ID       string // Recorded: identifies the acceptance
	Reason   string // not Recorded: why, in words that hold no secret
	// ReasonMessage is Reason as a message of the portal's, when it
	// gives one.
	ReasonMessage PortalText
}

// Captcha hands out the challenges the portal asks a person to solve before
// it checks a password again. The answer goes with the sign-in
// (Portal.PasswordSignIn): the portal, not the device, judges it.
type Captcha interface {
	// NewChallenge returns a new challenge.
	NewChallenge(ctx context.Context) (Challenge, error)
}

// CaptchaAnswer is a person's answer to a CAPTCHA challenge. The zero value
// is no answer.
type CaptchaAnswer struct {
	ID     string // the challenge's ID
	Answer string
}

// CredentialStore holds what the vendor's applications keep on this
// device: one entry per application (its tokens, its account, the plan
// activated), and the device's own private key, which its tokens are
// bound to (DPoP).
type CredentialStore interface {
	// Credentials returns every saved entry. A store that does not exist
	// yet holds none; a store that cannot be read or parsed is an error.
	Credentials(ctx context.Context) ([]Credential, error)
	// Save stores c as the entry of application c.App, replacing any
	// previous one. It fails, rather than overwrite, when the store cannot
	// be parsed.
	Save(ctx context.Context, c Credential) error
	// DeviceKey returns the device's private key (a JWK), saving the one
	// create returns when the store holds none yet; two callers at once
	// get the same key. It fails, rather than create one, when the store
	// cannot be read.
	DeviceKey(ctx context.Context, create func() (string, error)) (string, error)
}

// SignInStatus is the portal's answer to a sign-in. The zero value is a
// refusal.
type SignInStatus int

// The answers to a sign-in.
const (
	SignInDenied    SignInStatus = iota // unknown email, wrong password, locked account, bad token
	SignInOK                            // signed in; the ticket is authorised
	SignInNeedsCode                     // signed in; the ticket needs an SMS code
	SignInCaptcha                       // refused unchecked: a CAPTCHA answer is required and was missing or wrong
)

// SignIn is the result of a sign-in.
type SignIn struct {
	Status      SignInStatus
	Account     string // the account signed in to, when not denied
	Ticket      string // identifies this sign-in to SendCode, CheckCode and Connect
	PhoneMasked string // SignInNeedsCode: the phone the code goes to, masked
	// CaptchaRequired is set on SignInDenied when the next password
	// sign-in to this email needs a CAPTCHA answer.
	CaptchaRequired bool
	// CaptchaWrong is set on SignInCaptcha when an answer was given and
	// was not right (rather than missing).
	CaptchaWrong bool
	// Jurisdiction is the account's, on SignInOK and SignInNeedsCode.
	Jurisdiction Jurisdiction
}

// Jurisdiction is what the portal knows of the rules an account falls
// under: its country, the regional policy that covers it, and whether the
// regulation on data provisioning must be accepted before a device is
// connected to it.
type Jurisdiction struct {
	Country string // ISO 3166-1 alpha-2
	Region  string // the regional policy's name, e.g. "eu-de"; "default" when none
	// ConsentRequired: the regulation Document, in Version, must be
	// accepted (ConsentLog.RecordConsent) during the sign-in before Connect.
	ConsentRequired bool
	Document        string
	Version         string
}

// SendStatus is the portal's answer to a request for a code. The zero value
// is a refusal.
type SendStatus int

// The answers to a request for a code.
const (
	// SendLimit: no further code can be sent for this ticket, because its
	// cap is reached or because the ticket is not (or no longer) waiting for
	// a code.
	SendLimit SendStatus = iota
	// SendSent: a new code is on its way and the previous one is void.
	SendSent
	// SendTooSoon: the previous code was sent too recently.
	SendTooSoon
)

// CodeDelivery is the result of a request for a code.
type CodeDelivery struct {
	Status      SendStatus
	PhoneMasked string        // SendSent
	ExpiresIn   time.Duration // SendSent: how long the code is valid
	Wait        time.Duration // SendTooSoon: how long until a new code may be sent
}

// CheckStatus is the portal's answer to a code. The zero value is a
// refusal.
type CheckStatus int

// The answers to a code.
const (
	// CheckBlocked: too many wrong codes, or the ticket is otherwise dead.
	CheckBlocked CheckStatus = iota
	// CheckOK: the code is right; the ticket is authorised.
	CheckOK
	// CheckWrong: the code is wrong; AttemptsLeft more may be tried.
	CheckWrong
	// CheckExpired: there is no valid code (it expired, was used, or none
	// was sent); a new one must be sent.
	CheckExpired
)

// CodeCheck is the result of checking a code.
type CodeCheck struct {
	Status       CheckStatus
	AttemptsLeft int // CheckWrong
}

// Connection is the result of exchanging a ticket for the device's
// tokens.
type Connection struct {
	Connected bool
	Account   string
	Country   string // the account's ISO 3166-1 alpha-2 country
	Tokens    Tokens // Connected: the device's tokens; secret
	Reason    string // not Connected: why, in words that hold no secret
	// ReasonMessage is Reason as a message of the portal's, when it
	// gives one.
	ReasonMessage PortalText
}

// Tokens are what the portal issued a device's connection: an access
// token the resource APIs take, a refresh token that renews it, and for
// OpenID Connect Native SSO an ID token and a device secret. Every one is
// secret.
type Tokens struct {
	Issuer       string    // the portal that issued them, its issuer identifier
	AccessToken  string    // a JWT (RFC 9068), bound to the device's key
	RefreshToken string    // opaque; spent by each refresh, which gives a new one
	IDToken      string    // a JWT
	DeviceSecret string    // opaque
	Expires      time.Time // when the access token expires
	// JWKS is the portal's public keys (RFC 7517) as they were when the
	// tokens were issued, to verify them offline. Not secret.
	JWKS string
}

// Secrets returns the tokens' values, for redaction.
func (t Tokens) Secrets() []string {
	return []string{t.AccessToken, t.RefreshToken, t.IDToken, t.DeviceSecret}
}

// ActivateStatus is the portal's answer to an activation. The zero value is
// a refusal.
type ActivateStatus int

// The answers to an activation.
const (
	ActivateInactive  ActivateStatus = iota // not a licence of the account, or its term is over
	ActivateActivated                       // the plan is active on the device
)

// Activation is the result of activating a licence (or the Free plan) on a
// device.
type Activation struct {
	Status  ActivateStatus
	Plan    string // ActivateActivated: the plan, "Free" for the Free plan
	Licence string // ActivateActivated: the licence's id; empty for the Free plan
}

// Licence is a subscription registered to an account.
type Licence struct {
	ID      string
	Plan    string // e.g. "Personal", "Family"
	Name    string // shown to people
	Expires time.Time
}

// NewAccount is what an account is created with.
type NewAccount struct {
	Email    string
	Password string
	Country  string // ISO 3166-1 alpha-2, upper case
}

// CreateStatus is the portal's answer to an account creation. The zero value
// is a refusal.
type CreateStatus int

// The answers to an account creation.
const (
	CreateInvalid CreateStatus = iota
	CreateOK
	CreateExists
)

// AccountCreation is the result of creating an account.
type AccountCreation struct {
	Status  CreateStatus
	Account string // CreateOK
	Reason  string // CreateInvalid; holds no secret
	// ReasonMessage is Reason as a message of the portal's, when it
	// gives one.
	ReasonMessage PortalText
}

// Consent is one acceptance of a document.
type Consent struct {
	Account    string
	Document   string
	Version    string
	Region     string
	AcceptedAt time.Time
}

// Challenge is a captcha challenge.
type Challenge struct {
	ID   string
	Text string // what the person is asked, e.g. "What is 7 plus 5?"
	// Message is Text as a message of the portal's, when it gives one:
	// {captcha.plus, {a: 7, b: 5}}.
	Message PortalText
}

// PortalText is a text of the portal's that a person reads (a CAPTCHA's
// question, why it refused) as a message of the portal's vocabulary: a
// stable id and its parameters. Tether's catalogs say it in the person's
// language as the message portal.ID; the portal's own words, beside it,
// are shown where they have none. The zero PortalText is no message.
type PortalText struct {
	ID     string
	Params map[string]any // strings and whole numbers
}

// Value returns the flow value of the text: the message portal.ID with
// its parameters, and words, what is shown where no catalog has it.
// Without an ID it is words alone.
func (t PortalText) Value(words string) map[string]any {
	id := ""
	if t.ID != "" {
		id = PortalMessagePrefix + t.ID
	}
	return prompt.OuterMessageValue(id, t.Params, words)
}

// PortalMessagePrefix is put before the id of a portal's message: its
// texts are a vocabulary of their own in tether's catalogs.
const PortalMessagePrefix = "portal."

// Credential is one application's entry in the device credential store.
type Credential struct {
	App     string // the application that saved it, e.g. "tether", "vendor-mail"
	Account string
	Tokens
	Plan    string // the activated plan, empty until one is activated
	Licence string // the activated licence's id; empty for the Free plan
	// Region is the regional policy the device ran the connection under
	// (e.g. "eu-de", "default"); Country is the account's country, as the
	// portal told it. They differ for a German account connected from a
	// device in Brazil.
	Region  string
	Country string
	SavedAt time.Time
}
