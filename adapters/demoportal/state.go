package demoportal

import (
	"context"
	"time"

	"github.com/tetherflow/tether/actions"
)

// State is where the portal keeps what it must remember: accounts,
// per-email guards (failures, locks), sign-in sessions, codes sent,
// consents, the CAPTCHA challenges already used, the calls made under
// idempotency keys, and the authorization server's records (grants,
// authorization codes, Native SSO sessions, DPoP proofs seen, its keys).
// The rules
// (Portal) are the same whatever keeps it: NewMemoryState for the
// in-process portal, package demoportal/sqlite for the server, whose state
// survives restarts.
type State interface {
	// Update runs fn in a transaction: its writes are kept when fn returns
	// nil and dropped otherwise. The portal runs one Update at a time.
	Update(ctx context.Context, fn func(Tx) error) error
}

// Tx reads and writes a State inside Update. Records go in and out by
// value. Every method returns an error only when the state cannot be read
// or written.
type Tx interface {
	// Account returns the account of this (normalised) email.
	Account(email string) (AccountRecord, bool, error)
	// PutAccount creates or replaces an account.
	PutAccount(a AccountRecord) error
	// Guard returns the failure counters of an email, known account or
	// not; ok is false when none was ever written.
	Guard(email string) (g Guard, ok bool, err error)
	// PutGuard replaces the failure counters of an email.
	PutGuard(email string, g Guard) error
	// Ticket returns the ticket whose id hashes to hash.
	Ticket(hash string) (TicketRecord, bool, error)
	// PutTicket creates or replaces a ticket.
	PutTicket(t TicketRecord) error
	// Record reads the record of kind under key into v (a pointer), and
	// reports whether there was one that had not expired by now.
	Record(kind, key string, now time.Time, v any) (bool, error)
	// PutRecord creates or replaces the record of kind under key, as the
	// JSON of v, kept until expires.
	PutRecord(kind, key string, v any, expires time.Time) error
	// ForgetRecords forgets the records that expired before before.
	ForgetRecords(before time.Time) error
	// SMSSent returns when codes were sent to the rate-limit key (a phone
	// or an account) at or after since, oldest first.
	SMSSent(key string, since time.Time) ([]time.Time, error)
	// AddSMS notes a code sent at at, under every key.
	AddSMS(keys []string, at time.Time) error
	// AddConsent records an acceptance and returns its sequence number
	// (1, 2, ...).
	AddConsent(c ConsentRecord) (int, error)
	// UseCaptcha notes that the CAPTCHA challenge id was accepted at at;
	// fresh is false when it had been before.
	UseCaptcha(id string, at time.Time) (fresh bool, err error)
	// Idempotent returns the call made under the idempotency key whose
	// hash is keyHash.
	Idempotent(keyHash string) (IdempotentRecord, bool, error)
	// PutIdempotent keeps a call made under an idempotency key.
	PutIdempotent(r IdempotentRecord) error
	// ForgetIdempotent forgets the calls made before before.
	ForgetIdempotent(before time.Time) error
}

// AccountRecord is an account: from the fixture, or created through the
// portal.
type AccountRecord struct {
	Email    string            `json:"email"` // normalised: trimmed, lower case
	Country  string            `json:"country"`
	Phone    string            `json:"phone,omitempty"` // set: SMS authorisation
	Hash     []byte            `json:"hash"`            // bcrypt of the password
	Licences []actions.Licence `json:"licences,omitempty"`
}

// Guard counts what an email got wrong: passwords, and codes across every
// sign-in. A lock holds until LockedUntil.
type Guard struct {
	Failures    int       `json:"failures"`    // wrong passwords since the last right one
	WrongCodes  int       `json:"wrong_codes"` // wrong codes since the last right one, every ticket
	LockedUntil time.Time `json:"locked_until"`
}

// TicketState is where a sign-in ticket stands.
type TicketState int

// The states of a ticket.
const (
	TicketNeedsCode TicketState = iota
	TicketAuthorised
	TicketConnected
	TicketBlocked
)

// TicketRecord is a sign-in: an auth_session of the authorization
// challenge endpoint. Only the hash of its id, and of its code, is kept.
type TicketRecord struct {
	Hash        string      `json:"hash"`
	Account     string      `json:"account"`
	State       TicketState `json:"state"`
	Expires     time.Time   `json:"expires"`
	CodeHash    string      `json:"code_hash,omitempty"` // "" when no code is valid
	CodeExpires time.Time   `json:"code_expires"`
	CodesSent   int         `json:"codes_sent"`
	LastSent    time.Time   `json:"last_sent"`
	Wrong       int         `json:"wrong"`
	// Consent is the document and version accepted during this sign-in,
	// "document@version"; "" when none was.
	Consent string `json:"consent,omitempty"`
	// Client and JKT are the client the session was opened by and the
	// thumbprint of its DPoP key, "" when it used none: no other may go on
	// with it.
	Client string `json:"client,omitempty"`
	JKT    string `json:"jkt,omitempty"`
	// Challenge is the PKCE code challenge (S256) the next authorization
	// code is bound to.
	Challenge string `json:"challenge,omitempty"`
	// Scope is the scope the session's tokens are asked with; Issued the
	// hash of the last authorization code issued for it (an earlier one
	// is void).
	Scope  string `json:"scope,omitempty"`
	Issued string `json:"issued,omitempty"`
}

// ConsentRecord is an acceptance, with the hash of the ticket it was given
// in.
type ConsentRecord struct {
	actions.Consent
	Ticket string `json:"ticket"`
}

// IdempotentRecord is a call made under an idempotency key: the hash of
// the key, the operation, a keyed hash of its arguments, and its answer,
// sealed (encrypted under the portal's secret).
type IdempotentRecord struct {
	KeyHash     string    `json:"key_hash"`
	Op          string    `json:"op"`
	Fingerprint string    `json:"fingerprint"`
	Sealed      []byte    `json:"sealed"`
	At          time.Time `json:"at"`
}
