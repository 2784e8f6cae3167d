// Package demoportal is the demo account portal, loaded from a YAML fixture
// (docs/portal-fixture.md): in process, the zero-setup default of tether
// run, and behind tether portal serve over HTTP. It enforces what a device
// must not be trusted with (docs/portal-protocol.md) — failure counting and
// lockout per email, a CAPTCHA answer after repeated failures, code
// lifetime, resend cooldown and cap, a wrong-code limit across sign-ins, an
// SMS rate limit per phone and per account, consent tied to the sign-in
// session, tokens checked on every use — with the thresholds of the
// account's country (Rules), on an injected clock and random source, so
// that a run is reproducible. It is an OAuth 2.0 authorization server for
// first-party apps (oauth.go): sign-in sessions are the auth_session of
// the authorization challenge endpoint, bound to the client and its DPoP
// key; it issues authorization codes bound to a PKCE challenge, JWT access
// tokens and ID tokens signed with its Ed25519 keys, sealed refresh tokens
// that rotate, and Native SSO device secrets. Package portalserver serves
// it over HTTP, in process as well as in tether portal serve.
//
// The rules are one implementation over a State: in memory by default,
// SQLite (package demoportal/sqlite) for a portal whose state survives
// restarts.
//
//	fx, err := demoportal.LoadFixture("flows/demo/portal.yaml")
//	portal, err := demoportal.New(fx, clock.Now, rand.New(rand.NewPCG(1, 2)), outbox)
//	reg, err := actions.Registry(actions.Ports{Portal: portal, Licences: portal,
//		Accounts: portal, Consent: portal, Captcha: portal, ...})
//
// Passwords are hashed when the portal is built and only the hashes are
// kept; so are sign-in sessions, SMS codes and authorization codes. The
// random source is math/rand: codes, sessions and keys drawn from a seeded
// source are predictable by design, for reproducible transcripts; tether
// portal serve seeds it at random and keeps its keys in its state.
package demoportal

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal/internal/captcha"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/engine/callkey"
	"github.com/tetherflow/tether/internal/country"
)

// ErrUnknownAccount is wrapped by the errors of calls naming an account the
// portal does not have.
var ErrUnknownAccount = errors.New("unknown account")

// SMSSender delivers text messages.
type SMSSender interface {
	// Send sends text to phone. An error means the text was not sent.
	Send(ctx context.Context, phone, text string) error
}

// Portal is the demo portal: the rules, over a State. It is safe for
// concurrent use; it takes one call at a time.
type Portal struct {
	mu        sync.Mutex
	clock     func() time.Time
	at        time.Time // the time of the call being made: its own or the clock's
	rng       *rand.Rand
	sms       SMSSender
	set       Settings
	regional  *Regional
	state     State
	keys      Keys
	keySeal   Sealer
	sso       []SSOSession
	issuer    string
	clients   map[string]api.Client
	captchas  *captcha.Issuer
	captchaR  *rand.Rand // draws the challenges; nil: split off rng at the first
	notice    func(id, answer string)
	outages   map[string]int // operation -> calls still to fail
	dummyHash []byte         // compared against for unknown emails, so they take as long
}

// Option configures New.
type Option func(*Portal)

// WithState keeps the portal's state in st instead of a new MemoryState.
func WithState(st State) Option { return func(p *Portal) { p.state = st } }

// WithCaptchaNotice has the portal tell notice the answer of every
// CAPTCHA challenge it hands out, as the demo SMS gateway shows codes: for
// scripted runs (an answers file's {{captcha}}). Demo only.
func WithCaptchaNotice(notice func(id, answer string)) Option {
	return func(p *Portal) { p.notice = notice }
}

// WithKeys has the portal sign and seal with keys instead of those its
// state keeps (or, in a state that keeps none, new ones it draws and
// keeps there).
func WithKeys(k Keys) Option { return func(p *Portal) { p.keys = k } }

// WithIssuer names the portal by its issuer identifier, the URL its
// metadata is served under: the iss of every token it signs. Without it
// the portal is DemoIssuer.
func WithIssuer(url string) Option { return func(p *Portal) { p.issuer = url } }

// DemoIssuer is the issuer identifier of the demo portal in process.
const DemoIssuer = "https://demo-portal.tether.invalid"

// WithCaptchaRand draws the CAPTCHA challenges from r. Without it they are
// drawn from a source split off the portal's own at the first challenge.
// A portal in another process, given the same seeds, then hands out the
// same challenges as one in process.
func WithCaptchaRand(r *rand.Rand) Option {
	return func(p *Portal) { p.captchaR = r }
}

// bcryptCost is low on purpose: the fixture's passwords are not secret, and
// the demo starts fast.
const bcryptCost = bcrypt.MinCost

// New builds a portal from fx, checking it: every problem is reported at
// once. now is the portal's clock, rng its source of codes, tickets and
// tokens, sms where codes go. The fixture's accounts and tokens are put in
// the state; an account's failures and lock from the fixture only when the
// state has no counters for it yet, so that a restarted portal keeps what
// happened since.
func New(fx Fixture, now func() time.Time, rng *rand.Rand, sms SMSSender, opts ...Option) (*Portal, error) {
	if now == nil || rng == nil || sms == nil {
		return nil, errors.New("demo portal: a clock, a random source and an SMS sender are required")
	}
	set, errs := settings(&fx)
	outages := map[string]int{}
	for _, o := range fx.Outages {
		if _, ok := api.Operations()[o.Op]; !ok || o.Times < 1 {
			errs = append(errs, errors.New(fx.where(Pos{}, fmt.Sprintf("outages: %q %d: want an operation (%s) and times >= 1", o.Op, o.Times, strings.Join(operations(), ", ")))))
		}
		outages[o.Op] += o.Times
	}
	p := &Portal{clock: now, rng: rng, sms: sms, set: set, regional: fx.Regional, outages: outages, issuer: DemoIssuer}
	for _, o := range opts {
		o(p)
	}
	if p.state == nil {
		p.state = NewMemoryState()
	}
	p.clients = map[string]api.Client{api.ClientID: {ID: api.ClientID, DPoP: true}}
	start := now()
	var accounts []AccountRecord
	var guards []Guard
	seen := map[string]bool{}
	for i, a := range fx.Accounts {
		what := func(msg string, args ...any) error {
			return errors.New(fx.where(a.Pos, fmt.Sprintf("account %d (%s): ", i+1, a.Email)+fmt.Sprintf(msg, args...)))
		}
		email := normEmail(a.Email)
		switch {
		case !strings.Contains(email, "@"):
			errs = append(errs, what("email is not an email address"))
			continue
		case seen[email]:
			errs = append(errs, what("email repeats an earlier account"))
			continue
		case a.Password == "":
			errs = append(errs, what("password is empty"))
		case !country.Valid(a.Country):
			errs = append(errs, what("country %q is not an ISO 3166-1 alpha-2 code", a.Country))
		case a.Failures < 0:
			errs = append(errs, what("failures is negative"))
		}
		seen[email] = true
		if a.Phone != "" && actions.MaskPhone(a.Phone) == "***" {
			errs = append(errs, what("phone %q has too few digits", a.Phone))
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(a.Password), bcryptCost)
		if err != nil {
			// bcrypt refuses passwords over 72 bytes; it never quotes them.
			errs = append(errs, what("password: %v", err))
		}
		acc := AccountRecord{Email: email, Country: a.Country, Phone: a.Phone, Hash: hash}
		g := Guard{Failures: a.Failures}
		if a.Locked {
			g.LockedUntil = start.Add(set.LockoutFor)
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
			acc.Licences = append(acc.Licences, actions.Licence{ID: l.ID, Plan: l.Plan, Name: name, Expires: l.Expires})
		}
		accounts, guards = append(accounts, acc), append(guards, g)
	}
	seenApp := map[string]bool{}
	for i, t := range fx.SSO {
		what := func(msg string, args ...any) error {
			return errors.New(fx.where(t.Pos, fmt.Sprintf("sso %d: ", i+1)+fmt.Sprintf(msg, args...)))
		}
		switch {
		case t.App == "" || t.App == api.ClientID:
			errs = append(errs, what("app must name another application of the vendor than %s", api.ClientID))
		case seenApp[t.App]:
			errs = append(errs, what("app %s repeats an earlier one", t.App))
		case !seen[normEmail(t.Account)]:
			errs = append(errs, what("account %q is not in the fixture", t.Account))
		case t.Expires.IsZero():
			errs = append(errs, what("expires is missing"))
		}
		seenApp[t.App] = true
		p.clients[t.App] = api.Client{ID: t.App}
		p.sso = append(p.sso, t)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("demo portal: %w", errors.Join(errs...))
	}
	var err error
	p.dummyHash, err = bcrypt.GenerateFromPassword([]byte("no such account"), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("demo portal: %w", err)
	}
	err = p.state.Update(context.Background(), func(tx Tx) error {
		for i, a := range accounts {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
			if _, ok, err := tx.Guard(a.Email); err != nil {
				return err
			} else if !ok {
				if err := tx.PutGuard(a.Email, guards[i]); err != nil {
					return err
				}
			}
		}
		return p.loadKeys(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("demo portal: seed the state: %w", err)
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
		{"captcha_after", &s.CaptchaAfter, d.CaptchaAfter},
		{"max_wrong_codes", &s.MaxWrongCodes, d.MaxWrongCodes},
		{"sms_per_hour", &s.SMSPerHour, d.SMSPerHour},
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
		{"access_token_ttl", &s.AccessTokenTTL, d.AccessTokenTTL},
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

// Settings returns the settings the fixture gave, defaults filled in.
func (p *Portal) Settings() Settings { return p.set }

// RulesFor returns the thresholds the portal holds an account of country
// to.
func (p *Portal) RulesFor(country string) Rules {
	base := Rules{
		Region:         "default",
		CaptchaAfter:   p.set.CaptchaAfter,
		LockoutAfter:   p.set.LockoutAfter,
		CodeTTL:        p.set.CodeTTL,
		ResendCooldown: p.set.ResendCooldown,
		MaxCodes:       p.set.MaxCodes,
	}
	return p.regional.rules(base, country)
}

// operations returns the names of the protocol's operations, sorted.
func operations() []string {
	return slices.Sorted(maps.Keys(api.Operations()))
}

// KeyTTL is how long the portal remembers a call made with an idempotency
// key, and so answers its repeats with the first answer.
const KeyTTL = 24 * time.Hour

// update runs fn on the state for the operation op, one call at a time
// (the random source is not safe for concurrent use, and counters must not
// race), judged at the call's time (api.WithTime) or the portal's clock.
//
// A call made with an idempotency key (api.WithIdempotencyKey) is done
// once: fn's answer, which it leaves in out, is kept under the key in the
// same transaction as what fn changed, and a repeat of the call — the same
// operation with the same arguments req — gets it back without fn running
// again. Another call under a used key fails with api.ErrKeyReused. In
// process, a session's step keys its calls itself (callkey.Next).
// A call answered again under its key calls the context's replay notice
// (api.WithReplayNotice).
func (p *Portal) update(ctx context.Context, op string, req []string, out any, fn func(Tx) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at = p.clock()
	if t, ok := api.TimeOf(ctx); ok {
		p.at = t
	}
	if p.outages[op] > 0 {
		p.outages[op]--
		return fmt.Errorf("the portal is down (fixture outage): %w", actions.ErrUnavailable)
	}
	key, keyed := api.IdempotencyKey(ctx)
	if !keyed && api.Changes(op) {
		// In process, a session's step keys the calls that change the
		// portal itself; reads (licences, a token's check) are not keyed,
		// over HTTP or here.
		key, keyed = callkey.Next(ctx)
	}
	if !keyed || op == "" {
		return p.state.Update(ctx, fn)
	}
	replayed := false
	err := p.state.Update(ctx, func(tx Tx) error {
		replayed = false
		b := api.BindingOf(ctx)
		kh, fp := hashOf(key), p.fingerprint(op, append([]string{b.Client, b.JKT}, req...))
		rec, seen, err := tx.Idempotent(kh)
		switch {
		case err != nil:
			return err
		case seen && (rec.Op != op || rec.Fingerprint != fp):
			return api.ErrKeyReused
		case seen:
			replayed = true
			return p.openAnswer(rec.Sealed, out)
		}
		if err := fn(tx); err != nil {
			return err
		}
		sealed, err := p.sealAnswer(out)
		if err != nil {
			return err
		}
		if err := tx.ForgetIdempotent(p.at.Add(-KeyTTL)); err != nil {
			return err
		}
		return tx.PutIdempotent(IdempotentRecord{KeyHash: kh, Op: op, Fingerprint: fp, Sealed: sealed, At: p.at})
	})
	if n := api.ReplayNoticeOf(ctx); err == nil && replayed && n != nil {
		n()
	}
	return err
}

// now is the time of the call being made.
func (p *Portal) now() time.Time { return p.at }

// hashOf is how the portal keys what it must not keep in clear: tokens,
// tickets, codes.
func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// newID returns prefix followed by n random bytes in hex.
func (p *Portal) newID(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		fmt.Fprintf(&b, "%02x", p.rng.IntN(256))
	}
	return b.String()
}

// newTicket opens a sign-in session for account in state st, bound to
// the call's client and DPoP key, and returns its id: the auth_session,
// 256 random bits.
func (p *Portal) newTicket(ctx context.Context, tx Tx, acc string, st TicketState) (string, error) {
	b := api.BindingOf(ctx)
	id := p.newID("as-", 32)
	return id, tx.PutTicket(TicketRecord{Hash: hashOf(id), Account: acc, State: st, Expires: p.now().Add(p.set.TicketTTL),
		Client: b.Client, JKT: b.JKT, Challenge: api.AuthRequestOf(ctx).CodeChallenge, Scope: api.AuthRequestOf(ctx).Scope})
}

// jurisdiction is what a sign-in tells of the account's rules.
func (p *Portal) jurisdiction(acc AccountRecord) actions.Jurisdiction {
	r := p.RulesFor(acc.Country)
	j := actions.Jurisdiction{Country: acc.Country, Region: r.Region, ConsentRequired: r.ConsentRequired}
	if r.ConsentRequired {
		j.Document, j.Version = r.Document, r.Version
	}
	return j
}

// PasswordSignIn signs in with an email address and password. Failures
// are counted per email, known or not, across every client: once an
// email has CaptchaAfter of them, a sign-in without a right, unused answer
// to one of the portal's CAPTCHA challenges gets SignInCaptcha and the
// password is not looked at. Unknown emails, wrong passwords and locked
// accounts are all denied, and take about as long. LockoutAfter wrong
// passwords in a row lock the account for LockoutFor; while locked, even
// the right password is denied. The thresholds are those of the account's
// country.
func (p *Portal) PasswordSignIn(ctx context.Context, email, password string, answer actions.CaptchaAnswer) (actions.SignIn, error) {
	var out actions.SignIn
	err := p.update(ctx, api.OpSignInPassword, []string{email, password, answer.ID, answer.Answer}, &out, func(tx Tx) error {
		email := normEmail(email)
		acc, known, err := tx.Account(email)
		if err != nil {
			return err
		}
		g, _, err := tx.Guard(email)
		if err != nil {
			return err
		}
		rules := p.RulesFor(acc.Country)
		now := p.now()
		if g.Failures >= rules.CaptchaAfter {
			if answer.ID == "" {
				out = actions.SignIn{Status: actions.SignInCaptcha}
				return nil
			}
			fresh := false
			if captcha.Verify(p.captchaKey(), answer.ID, answer.Answer) {
				if fresh, err = tx.UseCaptcha(answer.ID, now); err != nil {
					return err
				}
			}
			if !fresh {
				out = actions.SignIn{Status: actions.SignInCaptcha, CaptchaWrong: true}
				return nil
			}
		}
		hash := p.dummyHash
		if known {
			hash = acc.Hash
		}
		match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && known
		switch {
		case now.Before(g.LockedUntil):
			out = actions.SignIn{Status: actions.SignInDenied}
			return nil
		case !match:
			g.Failures++
			if g.Failures >= rules.LockoutAfter {
				g.Failures, g.LockedUntil = 0, now.Add(p.set.LockoutFor)
			}
			out = actions.SignIn{Status: actions.SignInDenied, CaptchaRequired: g.Failures >= rules.CaptchaAfter}
			return tx.PutGuard(email, g)
		}
		g.Failures = 0
		if err := tx.PutGuard(email, g); err != nil {
			return err
		}
		st, status := TicketAuthorised, actions.SignInOK
		if acc.Phone != "" {
			st, status = TicketNeedsCode, actions.SignInNeedsCode
		}
		id, err := p.newTicket(ctx, tx, email, st)
		out = actions.SignIn{Status: status, Account: email, Ticket: id, Jurisdiction: p.jurisdiction(acc)}
		if acc.Phone != "" {
			out.PhoneMasked = actions.MaskPhone(acc.Phone)
		}
		return err
	})
	if err != nil {
		return actions.SignIn{}, fmt.Errorf("password sign-in: %w", err)
	}
	return out, nil
}

// liveTicket returns the ticket with this id when it exists, has not
// expired, and was opened by the call's client and DPoP key.
func (p *Portal) liveTicket(ctx context.Context, tx Tx, id string) (TicketRecord, bool, error) {
	t, ok, err := p.ticket(ctx, tx, id)
	if err != nil || !ok || !p.now().Before(t.Expires) {
		return TicketRecord{}, false, err
	}
	return t, true, nil
}

// ticket returns the ticket with this id when it was opened by the call's
// client and DPoP key: another's is as good as unknown.
func (p *Portal) ticket(ctx context.Context, tx Tx, id string) (TicketRecord, bool, error) {
	t, ok, err := tx.Ticket(hashOf(id))
	if err != nil || !ok || id == "" {
		return TicketRecord{}, false, err
	}
	if b := api.BindingOf(ctx); t.Client != b.Client || t.JKT != b.JKT {
		return TicketRecord{}, false, nil
	}
	if r := api.AuthRequestOf(ctx); r.CodeChallenge != "" {
		t.Challenge = r.CodeChallenge
		if r.Scope != "" {
			t.Scope = r.Scope
		}
	}
	return t, true, nil
}

// SendCode sends a new code to the phone of the ticket's account; the
// previous code, if any, is void. A ticket gets at most MaxCodes codes, no
// two within ResendCooldown; a phone and an account get at most SMSPerHour
// codes in any hour, whatever the ticket (SendTooSoon, with the wait). A
// ticket that is unknown, expired or not waiting for a code gets
// SendLimit. An error means the SMS could not be sent; nothing is then
// changed.
func (p *Portal) SendCode(ctx context.Context, id string) (actions.CodeDelivery, error) {
	var out actions.CodeDelivery
	err := p.update(ctx, api.OpSendCode, []string{id}, &out, func(tx Tx) error {
		t, ok, err := p.liveTicket(ctx, tx, id)
		if err != nil || !ok || t.State != TicketNeedsCode {
			return err
		}
		acc, _, err := tx.Account(t.Account)
		if err != nil {
			return err
		}
		rules := p.RulesFor(acc.Country)
		if t.CodesSent >= rules.MaxCodes {
			return nil
		}
		now := p.now()
		if next := t.LastSent.Add(rules.ResendCooldown); t.CodesSent > 0 && now.Before(next) {
			out = actions.CodeDelivery{Status: actions.SendTooSoon, Wait: next.Sub(now)}
			return nil
		}
		keys := []string{"phone:" + acc.Phone, "account:" + acc.Email}
		var wait time.Duration
		for _, k := range keys {
			sent, err := tx.SMSSent(k, now.Add(-time.Hour))
			if err != nil {
				return err
			}
			if n := len(sent); n >= p.set.SMSPerHour {
				wait = max(wait, sent[n-p.set.SMSPerHour].Add(time.Hour).Sub(now))
			}
		}
		if wait > 0 {
			out = actions.CodeDelivery{Status: actions.SendTooSoon, Wait: wait}
			return nil
		}
		digits := make([]byte, p.set.CodeLength)
		for i := range digits {
			digits[i] = byte('0' + p.rng.IntN(10))
		}
		code := string(digits)
		if err := p.sms.Send(ctx, acc.Phone, "Your account portal code is "+code); err != nil {
			return fmt.Errorf("send code to %s: %w", actions.MaskPhone(acc.Phone), err)
		}
		t.CodeHash, t.CodeExpires = hashOf(t.Hash+code), now.Add(rules.CodeTTL)
		t.CodesSent++
		t.LastSent = now
		out = actions.CodeDelivery{Status: actions.SendSent, PhoneMasked: actions.MaskPhone(acc.Phone), ExpiresIn: rules.CodeTTL}
		if err := tx.AddSMS(keys, now); err != nil {
			return err
		}
		return tx.PutTicket(t)
	})
	if err != nil {
		return actions.CodeDelivery{}, fmt.Errorf("send code: %w", err)
	}
	return out, nil
}

// CheckCode checks a code for the ticket. The right code authorises the
// ticket and is used up. MaxCodeAttempts wrong codes block the ticket for
// good; MaxWrongCodes wrong codes for one account, every ticket together,
// lock the account for LockoutFor. An expired, used or never sent code
// gives CheckExpired; an unknown, expired or blocked ticket, or a locked
// account, gives CheckBlocked.
func (p *Portal) CheckCode(ctx context.Context, id, code string) (actions.CodeCheck, error) {
	out := actions.CodeCheck{Status: actions.CheckBlocked}
	err := p.update(ctx, api.OpCheckCode, []string{id, code}, &out, func(tx Tx) error {
		t, ok, err := p.liveTicket(ctx, tx, id)
		if err != nil || !ok || t.State == TicketBlocked {
			return err
		}
		g, _, err := tx.Guard(t.Account)
		now := p.now()
		if err != nil || now.Before(g.LockedUntil) {
			return err
		}
		if t.State != TicketNeedsCode || t.CodeHash == "" || !now.Before(t.CodeExpires) {
			out = actions.CodeCheck{Status: actions.CheckExpired}
			return nil
		}
		if subtle.ConstantTimeCompare([]byte(hashOf(t.Hash+code)), []byte(t.CodeHash)) == 1 {
			t.State, t.CodeHash, g.WrongCodes = TicketAuthorised, "", 0
			out = actions.CodeCheck{Status: actions.CheckOK}
		} else {
			t.Wrong++
			g.WrongCodes++
			switch {
			case g.WrongCodes >= p.set.MaxWrongCodes:
				g.WrongCodes, g.LockedUntil = 0, now.Add(p.set.LockoutFor)
				t.State, t.CodeHash = TicketBlocked, ""
			case t.Wrong >= p.set.MaxCodeAttempts:
				t.State, t.CodeHash = TicketBlocked, ""
			default:
				left := min(p.set.MaxCodeAttempts-t.Wrong, p.set.MaxWrongCodes-g.WrongCodes)
				out = actions.CodeCheck{Status: actions.CheckWrong, AttemptsLeft: left}
			}
		}
		if err := tx.PutGuard(t.Account, g); err != nil {
			return err
		}
		return tx.PutTicket(t)
	})
	if err != nil {
		return actions.CodeCheck{}, fmt.Errorf("check code: %w", err)
	}
	return out, nil
}

// ticketRefusal says why a ticket cannot be used for what needs an
// authorised one, in words and as a message, or "" when it can.
func (p *Portal) ticketRefusal(t TicketRecord, ok bool) (string, actions.PortalText) {
	msg := func(id string) actions.PortalText { return actions.PortalText{ID: "sign_in." + id} }
	switch {
	case !ok:
		return "the sign-in is unknown", msg("unknown")
	case !p.now().Before(t.Expires):
		return "the sign-in has expired", msg("expired")
	case t.State == TicketNeedsCode:
		return "the sign-in is not authorised yet", msg("not_authorised")
	case t.State == TicketBlocked:
		return "the sign-in was blocked", msg("blocked")
	case t.State == TicketConnected:
		return "the sign-in was already used to connect a device", msg("used")
	}
	return "", actions.PortalText{}
}

// NewChallenge hands out a CAPTCHA challenge signed with the portal's
// CAPTCHA key; the answer goes with the next PasswordSignIn, which checks
// the signature and that the challenge was not used before.
func (p *Portal) NewChallenge(ctx context.Context) (actions.Challenge, error) {
	var out actions.Challenge
	err := p.update(ctx, api.OpNewCaptcha, nil, &out, func(Tx) error {
		if p.captchas == nil {
			r := p.captchaR
			if r == nil {
				// Split off at the first challenge, so that a portal that
				// hands out none draws its codes as it always did.
				r = rand.New(rand.NewPCG(p.rng.Uint64(), p.rng.Uint64()))
			}
			p.captchas = captcha.New(r, p.captchaKey())
		}
		var answer string
		out, answer = p.captchas.Draw()
		if p.notice != nil {
			p.notice(out.ID, answer)
		}
		return nil
	})
	if err != nil {
		return actions.Challenge{}, fmt.Errorf("new captcha: %w", err)
	}
	return out, nil
}
