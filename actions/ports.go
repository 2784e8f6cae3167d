package actions

import (
	"context"
	"time"
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
// the portal could not answer (unreachable, say). Implementations must not
// put a password, code or token into an error.
type Portal interface {
	// TokenSignIn signs in with a device token saved by one of the vendor's
	// applications. An unknown, revoked or expired token gives
	// Status SignInDenied. On SignInOK the ticket is already authorised.
	TokenSignIn(ctx context.Context, token string) (SignIn, error)
	// PasswordSignIn signs in with an email address and password. An unknown
	// email, a wrong password and a locked account all give SignInDenied.
	// An account with SMS authorisation gives SignInNeedsCode and a ticket
	// that SendCode and CheckCode must authorise.
	PasswordSignIn(ctx context.Context, email, password string) (SignIn, error)
	// SendCode sends a new code to the phone of the ticket's account,
	// replacing any previous one.
	SendCode(ctx context.Context, ticket string) (CodeDelivery, error)
	// CheckCode checks a code sent for the ticket; a right code authorises
	// the ticket and is used up.
	CheckCode(ctx context.Context, ticket, code string) (CodeCheck, error)
	// Connect exchanges an authorised ticket for a device token. The ticket
	// is used up.
	Connect(ctx context.Context, ticket string) (Connection, error)
}

// Licences lists the licences registered to an account.
type Licences interface {
	// Licences returns every licence of the account, expired ones included.
	// It returns an error for an account the portal does not know.
	Licences(ctx context.Context, account string) ([]Licence, error)
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
	// RecordConsent records an acceptance and returns its identifier. It
	// returns an error for an account the log does not know.
	RecordConsent(ctx context.Context, c Consent) (id string, err error)
}

// Captcha hands out challenges a person can solve and checks answers.
type Captcha interface {
	// NewChallenge returns a new challenge.
	NewChallenge(ctx context.Context) (Challenge, error)
	// CheckAnswer reports whether answer solves the challenge id. A
	// challenge can be checked once: afterwards, and for an unknown id, it
	// reports false.
	CheckAnswer(ctx context.Context, id, answer string) (bool, error)
}

// CredentialStore holds the device tokens the vendor's applications saved on
// this device, one entry per application.
type CredentialStore interface {
	// Credentials returns every saved entry. A store that does not exist
	// yet holds none; a store that cannot be read or parsed is an error.
	Credentials(ctx context.Context) ([]Credential, error)
	// Save stores c as the entry of application c.App, replacing any
	// previous one. It fails, rather than overwrite, when the store cannot
	// be parsed.
	Save(ctx context.Context, c Credential) error
}

// SignInStatus is the portal's answer to a sign-in. The zero value is a
// refusal.
type SignInStatus int

// The answers to a sign-in.
const (
	SignInDenied    SignInStatus = iota // unknown email, wrong password, locked account, bad token
	SignInOK                            // signed in; the ticket is authorised
	SignInNeedsCode                     // signed in; the ticket needs an SMS code
)

// SignIn is the result of a sign-in.
type SignIn struct {
	Status      SignInStatus
	Account     string // the account signed in to, when not denied
	Ticket      string // identifies this sign-in to SendCode, CheckCode and Connect
	PhoneMasked string // SignInNeedsCode: the phone the code goes to, masked
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

// Connection is the result of exchanging a ticket for a device token.
type Connection struct {
	Connected bool
	Account   string
	Region    string // the account's ISO 3166-1 alpha-2 country
	Token     string // the device token; secret
	Reason    string // not Connected: why, in words that hold no secret
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
	Region   string // ISO 3166-1 alpha-2, upper case
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
}

// Credential is one application's entry in the device credential store.
type Credential struct {
	App     string // the application that saved it, e.g. "tether", "vendor-mail"
	Account string
	Token   string // the portal's device token; secret
	Plan    string // the activated plan, empty until one is activated
	Licence string // the activated licence's id; empty for the Free plan
	Region  string
	SavedAt time.Time
}
