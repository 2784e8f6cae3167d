// Package demoportal is an in-process account portal for demos and tests,
// loaded from a YAML fixture (docs/portal-fixture.md). It enforces the
// rules a real portal would — lockout after failed passwords, single-use
// SMS codes that expire, a wrong-code limit, a resend cooldown and cap,
// ticket states and token expiry — on an injected clock and random source,
// so that a run is reproducible.
//
//	fx, err := demoportal.LoadFixture("flows/demo/portal.yaml")
//	portal, err := demoportal.New(fx, clock.Now, rand.New(rand.NewPCG(1, 2)), outbox)
//	reg, err := actions.Registry(actions.Ports{Portal: portal, Licences: portal,
//		Accounts: portal, Consent: portal, ...})
//
// Passwords are hashed when the portal is built and only the hashes are
// kept; so are device tokens. The random source is math/rand: codes,
// tickets and tokens are predictable by design, for a demo only.
package demoportal

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tetherflow/tether/actions"
)

// ErrUnknownAccount is wrapped by the errors of calls naming an account the
// portal does not have.
var ErrUnknownAccount = errors.New("unknown account")

// SMSSender delivers text messages.
type SMSSender interface {
	// Send sends text to phone. An error means the text was not sent.
	Send(ctx context.Context, phone, text string) error
}

// Portal is the demo portal. It is safe for concurrent use.
type Portal struct {
	mu        sync.Mutex
	now       func() time.Time
	rng       *rand.Rand
	sms       SMSSender
	set       Settings
	accounts  map[string]*account
	tokens    map[[sha256.Size]byte]*token
	tickets   map[string]*ticket
	consents  []actions.Consent
	dummyHash []byte // compared against for unknown emails, so they take as long
}

type account struct {
	email, region, phone string
	hash                 []byte
	licences             []actions.Licence
	failures             int
	lockedUntil          time.Time
}

type token struct {
	account, app string
	expires      time.Time
}

type ticketState int

const (
	needsCode ticketState = iota
	authorised
	connected
	blocked
)

type ticket struct {
	account     string
	state       ticketState
	expires     time.Time
	code        string // the valid code, "" when none
	codeExpires time.Time
	codesSent   int
	lastSent    time.Time
	wrong       int
}

// bcryptCost is low on purpose: the fixture's passwords are not secret, and
// the demo starts fast.
const bcryptCost = bcrypt.MinCost

// New builds a portal from fx, checking it: every problem is reported at
// once. now is the portal's clock, rng its source of codes, tickets and
// tokens, sms where codes go.
func New(fx Fixture, now func() time.Time, rng *rand.Rand, sms SMSSender) (*Portal, error) {
	if now == nil || rng == nil || sms == nil {
		return nil, errors.New("demo portal: a clock, a random source and an SMS sender are required")
	}
	set, errs := settings(&fx)
	p := &Portal{
		now:      now,
		rng:      rng,
		sms:      sms,
		set:      set,
		accounts: make(map[string]*account),
		tokens:   make(map[[sha256.Size]byte]*token),
		tickets:  make(map[string]*ticket),
	}
	start := now()
	for i, a := range fx.Accounts {
		what := func(msg string, args ...any) error {
			return errors.New(fx.where(a.Pos, fmt.Sprintf("account %d (%s): ", i+1, a.Email)+fmt.Sprintf(msg, args...)))
		}
		email := normEmail(a.Email)
		switch {
		case !strings.Contains(email, "@"):
			errs = append(errs, what("email is not an email address"))
			continue
		case p.accounts[email] != nil:
			errs = append(errs, what("email repeats an earlier account"))
			continue
		case a.Password == "":
			errs = append(errs, what("password is empty"))
		case !actions.IsRegion(a.Region):
			errs = append(errs, what("region %q is not an ISO 3166-1 alpha-2 code", a.Region))
		case a.Failures < 0:
			errs = append(errs, what("failures is negative"))
		}
		if a.Phone != "" && actions.MaskPhone(a.Phone) == "***" {
			errs = append(errs, what("phone %q has too few digits", a.Phone))
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(a.Password), bcryptCost)
		if err != nil {
			// bcrypt refuses passwords over 72 bytes; it never quotes them.
			errs = append(errs, what("password: %v", err))
		}
		acc := &account{email: email, region: a.Region, phone: a.Phone, hash: hash, failures: a.Failures}
		if a.Locked {
			acc.lockedUntil = start.Add(set.LockoutFor)
		}
		ids := make(map[string]bool)
		for j, l := range a.Licences {
			switch {
			case l.ID == "" || l.Plan == "":
				errs = append(errs, what("licence %d needs an id and a plan", j+1))
			case ids[l.ID]:
				errs = append(errs, what("licence %d repeats id %s", j+1, l.ID))
			case l.Expires.IsZero():
				errs = append(errs, what("licence %s has no expires", l.ID))
			}
			ids[l.ID] = true
			name := l.Name
			if name == "" {
				name = l.Plan
			}
			acc.licences = append(acc.licences, actions.Licence{ID: l.ID, Plan: l.Plan, Name: name, Expires: l.Expires})
		}
		p.accounts[email] = acc
	}
	for i, t := range fx.Tokens {
		what := func(msg string, args ...any) error {
			return errors.New(fx.where(t.Pos, fmt.Sprintf("token %d: ", i+1)+fmt.Sprintf(msg, args...)))
		}
		h := sha256.Sum256([]byte(t.Token))
		switch {
		case t.Token == "":
			errs = append(errs, what("token is empty"))
		case p.tokens[h] != nil:
			errs = append(errs, what("token repeats an earlier one"))
		case p.accounts[normEmail(t.Account)] == nil:
			errs = append(errs, what("account %q is not in the fixture", t.Account))
		case t.App == "":
			errs = append(errs, what("app is empty"))
		case t.Expires.IsZero():
			errs = append(errs, what("expires is missing"))
		default:
			p.tokens[h] = &token{account: normEmail(t.Account), app: t.App, expires: t.Expires}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("demo portal: %w", errors.Join(errs...))
	}
	var err error
	p.dummyHash, err = bcrypt.GenerateFromPassword([]byte("no such account"), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("demo portal: %w", err)
	}
	return p, nil
}

// settings fills in the defaults of fx's settings and checks them.
func settings(fx *Fixture) (Settings, []error) {
	s, d := fx.Portal, DefaultSettings()
	var errs []error
	defaults(fx, &errs, []setting[int]{
		{"lockout_after", &s.LockoutAfter, d.LockoutAfter},
		{"code_length", &s.CodeLength, d.CodeLength},
		{"max_codes", &s.MaxCodes, d.MaxCodes},
		{"max_code_attempts", &s.MaxCodeAttempts, d.MaxCodeAttempts},
	})
	if s.CodeLength < 4 || s.CodeLength > 12 {
		errs = append(errs, errors.New(fx.where(Pos{}, "portal.code_length must be between 4 and 12")))
	}
	defaults(fx, &errs, []setting[time.Duration]{
		{"lockout_for", &s.LockoutFor, d.LockoutFor},
		{"code_ttl", &s.CodeTTL, d.CodeTTL},
		{"resend_cooldown", &s.ResendCooldown, d.ResendCooldown},
		{"ticket_ttl", &s.TicketTTL, d.TicketTTL},
		{"token_ttl", &s.TokenTTL, d.TokenTTL},
	})
	return s, errs
}

// setting is one portal setting: its name, where it is and its default.
type setting[T int | time.Duration] struct {
	name string
	v    *T
	def  T
}

// defaults refuses negative settings and gives the unset ones (zero) their
// default.
func defaults[T int | time.Duration](fx *Fixture, errs *[]error, settings []setting[T]) {
	for _, f := range settings {
		if *f.v < 0 {
			*errs = append(*errs, errors.New(fx.where(Pos{}, "portal."+f.name+" is negative")))
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
}

// Settings returns the rules the portal enforces, defaults filled in.
func (p *Portal) Settings() Settings { return p.set }

// newID returns prefix followed by n random bytes in hex.
func (p *Portal) newID(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		fmt.Fprintf(&b, "%02x", p.rng.IntN(256))
	}
	return b.String()
}

// newTicket opens a ticket for account in state st.
func (p *Portal) newTicket(acc string, st ticketState) string {
	id := p.newID("tkt-", 8)
	for p.tickets[id] != nil {
		id = p.newID("tkt-", 8)
	}
	p.tickets[id] = &ticket{account: acc, state: st, expires: p.now().Add(p.set.TicketTTL)}
	return id
}

// liveTicket returns the ticket id when it exists and has not expired.
func (p *Portal) liveTicket(id string) *ticket {
	t := p.tickets[id]
	if t == nil || !p.now().Before(t.expires) {
		return nil
	}
	return t
}

// TokenSignIn signs in with a device token. An unknown or expired token is
// denied. The ticket it opens is authorised: the token stands for a device
// that was authorised before.
func (p *Portal) TokenSignIn(ctx context.Context, tok string) (actions.SignIn, error) {
	if err := ctx.Err(); err != nil {
		return actions.SignIn{}, fmt.Errorf("token sign-in: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tokens[sha256.Sum256([]byte(tok))]
	if t == nil || !p.now().Before(t.expires) {
		return actions.SignIn{Status: actions.SignInDenied}, nil
	}
	return actions.SignIn{Status: actions.SignInOK, Account: t.account, Ticket: p.newTicket(t.account, authorised)}, nil
}

// PasswordSignIn signs in with an email address and password. Unknown
// emails, wrong passwords and locked accounts are all denied, and take
// about as long. LockoutAfter wrong passwords in a row lock the account for
// LockoutFor; while locked, even the right password is denied.
func (p *Portal) PasswordSignIn(ctx context.Context, email, password string) (actions.SignIn, error) {
	if err := ctx.Err(); err != nil {
		return actions.SignIn{}, fmt.Errorf("password sign-in: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	denied := actions.SignIn{Status: actions.SignInDenied}
	acc := p.accounts[normEmail(email)]
	if acc == nil {
		bcrypt.CompareHashAndPassword(p.dummyHash, []byte(password))
		return denied, nil
	}
	now := p.now()
	match := bcrypt.CompareHashAndPassword(acc.hash, []byte(password)) == nil
	if now.Before(acc.lockedUntil) {
		return denied, nil
	}
	if !match {
		acc.failures++
		if acc.failures >= p.set.LockoutAfter {
			acc.failures = 0
			acc.lockedUntil = now.Add(p.set.LockoutFor)
		}
		return denied, nil
	}
	acc.failures = 0
	if acc.phone == "" {
		return actions.SignIn{Status: actions.SignInOK, Account: acc.email, Ticket: p.newTicket(acc.email, authorised)}, nil
	}
	return actions.SignIn{
		Status:      actions.SignInNeedsCode,
		Account:     acc.email,
		Ticket:      p.newTicket(acc.email, needsCode),
		PhoneMasked: actions.MaskPhone(acc.phone),
	}, nil
}

// SendCode sends a new code to the phone of the ticket's account; the
// previous code, if any, is void. A ticket gets at most MaxCodes codes, no
// two within ResendCooldown. A ticket that is unknown, expired or not
// waiting for a code gets SendLimit. An error means the SMS could not be
// sent; the ticket is then unchanged.
func (p *Portal) SendCode(ctx context.Context, id string) (actions.CodeDelivery, error) {
	if err := ctx.Err(); err != nil {
		return actions.CodeDelivery{}, fmt.Errorf("send code: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	limit := actions.CodeDelivery{Status: actions.SendLimit}
	t := p.liveTicket(id)
	if t == nil || t.state != needsCode || t.codesSent >= p.set.MaxCodes {
		return limit, nil
	}
	now := p.now()
	if next := t.lastSent.Add(p.set.ResendCooldown); t.codesSent > 0 && now.Before(next) {
		return actions.CodeDelivery{Status: actions.SendTooSoon, Wait: next.Sub(now)}, nil
	}
	digits := make([]byte, p.set.CodeLength)
	for i := range digits {
		digits[i] = byte('0' + p.rng.IntN(10))
	}
	code := string(digits)
	phone := p.accounts[t.account].phone
	if err := p.sms.Send(ctx, phone, "Your account portal code is "+code); err != nil {
		return actions.CodeDelivery{}, fmt.Errorf("send code to %s: %w", actions.MaskPhone(phone), err)
	}
	t.code, t.codeExpires = code, now.Add(p.set.CodeTTL)
	t.codesSent++
	t.lastSent = now
	return actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: actions.MaskPhone(phone), ExpiresIn: p.set.CodeTTL}, nil
}

// CheckCode checks a code for the ticket. The right code authorises the
// ticket and is used up. MaxCodeAttempts wrong codes block the ticket for
// good. An expired, used or never sent code gives CheckExpired; an unknown,
// expired or blocked ticket gives CheckBlocked.
func (p *Portal) CheckCode(ctx context.Context, id, code string) (actions.CodeCheck, error) {
	if err := ctx.Err(); err != nil {
		return actions.CodeCheck{}, fmt.Errorf("check code: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.liveTicket(id)
	switch {
	case t == nil || t.state == blocked:
		return actions.CodeCheck{Status: actions.CheckBlocked}, nil
	case t.state != needsCode || t.code == "" || !p.now().Before(t.codeExpires):
		return actions.CodeCheck{Status: actions.CheckExpired}, nil
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(t.code)) == 1 {
		t.state, t.code = authorised, ""
		return actions.CodeCheck{Status: actions.CheckOK}, nil
	}
	t.wrong++
	if t.wrong >= p.set.MaxCodeAttempts {
		t.state, t.code = blocked, ""
		return actions.CodeCheck{Status: actions.CheckBlocked}, nil
	}
	return actions.CodeCheck{Status: actions.CheckWrong, AttemptsLeft: p.set.MaxCodeAttempts - t.wrong}, nil
}

// Connect exchanges an authorised ticket for a new device token valid for
// TokenTTL. The ticket is used up. Any other ticket gives a Connection that
// is not Connected, with the reason.
func (p *Portal) Connect(ctx context.Context, id string) (actions.Connection, error) {
	if err := ctx.Err(); err != nil {
		return actions.Connection{}, fmt.Errorf("connect: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tickets[id]
	switch {
	case t == nil:
		return actions.Connection{Reason: "the sign-in is unknown"}, nil
	case !p.now().Before(t.expires):
		return actions.Connection{Reason: "the sign-in has expired"}, nil
	case t.state == needsCode:
		return actions.Connection{Reason: "the sign-in is not authorised yet"}, nil
	case t.state == blocked:
		return actions.Connection{Reason: "the sign-in was blocked"}, nil
	case t.state == connected:
		return actions.Connection{Reason: "the sign-in was already used"}, nil
	}
	t.state = connected
	tok := p.newID("tok-", 16)
	p.tokens[sha256.Sum256([]byte(tok))] = &token{account: t.account, app: "", expires: p.now().Add(p.set.TokenTTL)}
	acc := p.accounts[t.account]
	return actions.Connection{Connected: true, Account: acc.email, Region: acc.region, Token: tok}, nil
}

// CheckToken reports, without signing in, whether the portal accepts tok and
// for which account — what `tether status` needs to tell a live connection
// from a stale one.
func (p *Portal) CheckToken(ctx context.Context, tok string) (account string, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", false, fmt.Errorf("check token: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tokens[sha256.Sum256([]byte(tok))]
	if t == nil || !p.now().Before(t.expires) {
		return "", false, nil
	}
	return t.account, true, nil
}

// Remember takes a token this portal issued in an earlier run as issued:
// valid for the token lifetime from when the device saved it. A real
// portal keeps the tokens it issues; the demo portal lives for one run, so
// the run command hands it the device's own saved connection to bring it
// up to date. A token for an account the fixture does not have, or one
// already known, is left alone.
func (p *Portal) Remember(c actions.Credential) {
	p.mu.Lock()
	defer p.mu.Unlock()
	acc := normEmail(c.Account)
	h := sha256.Sum256([]byte(c.Token))
	if c.Token == "" || p.accounts[acc] == nil || p.tokens[h] != nil {
		return
	}
	p.tokens[h] = &token{account: acc, app: c.App, expires: c.SavedAt.Add(p.set.TokenTTL)}
}
