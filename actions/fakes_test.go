package actions

import (
	"context"
	"fmt"
	"slices"
)

// fakePortal answers with canned results and records what it was asked.
type fakePortal struct {
	tokens  map[string]SignIn // device secret -> answer; missing means denied
	signIn  SignIn
	send    CodeDelivery
	check   CodeCheck
	conn    Connection
	err     error
	calls   []string
	licence []Licence
	created AccountCreation
	got     []any
}

func (f *fakePortal) SSOSignIn(ctx context.Context, idToken, deviceSecret string) (SignIn, error) {
	f.calls = append(f.calls, "SSOSignIn "+deviceSecret)
	if f.err != nil {
		return SignIn{}, f.err
	}
	if idToken != "id-"+deviceSecret {
		return SignIn{}, nil
	}
	return f.tokens[deviceSecret], nil
}

func (f *fakePortal) PasswordSignIn(ctx context.Context, email, password string, answer CaptchaAnswer) (SignIn, error) {
	f.calls = append(f.calls, "PasswordSignIn "+email+" "+password)
	if answer != (CaptchaAnswer{}) {
		f.calls = append(f.calls, "captcha "+answer.ID+" "+answer.Answer)
	}
	return f.signIn, f.err
}

func (f *fakePortal) SendCode(ctx context.Context, ticket string) (CodeDelivery, error) {
	f.calls = append(f.calls, "SendCode "+ticket)
	return f.send, f.err
}

func (f *fakePortal) CheckCode(ctx context.Context, ticket, code string) (CodeCheck, error) {
	f.calls = append(f.calls, "CheckCode "+ticket+" "+code)
	return f.check, f.err
}

func (f *fakePortal) Connect(ctx context.Context, ticket string) (Connection, error) {
	f.calls = append(f.calls, "Connect "+ticket)
	return f.conn, f.err
}

func (f *fakePortal) Licences(ctx context.Context, token string) ([]Licence, error) {
	f.calls = append(f.calls, "Licences "+token)
	return f.licence, f.err
}

// Activate activates a licence of f.licence that has not expired at the
// tests' now, or Free for "".
func (f *fakePortal) Activate(ctx context.Context, token, licence string) (Activation, error) {
	f.calls = append(f.calls, "Activate "+token+" "+licence)
	if f.err != nil {
		return Activation{}, f.err
	}
	if licence == "" {
		return Activation{Status: ActivateActivated, Plan: FreePlan}, nil
	}
	for _, l := range f.licence {
		if l.ID == licence && (l.Expires.IsZero() || l.Expires.After(now)) {
			return Activation{Status: ActivateActivated, Plan: l.Plan, Licence: l.ID}, nil
		}
	}
	return Activation{}, nil
}

func (f *fakePortal) CreateAccount(ctx context.Context, a NewAccount) (AccountCreation, error) {
	f.got = append(f.got, a)
	return f.created, f.err
}

func (f *fakePortal) RecordConsent(ctx context.Context, ticket string, c Consent) (ConsentRecord, error) {
	f.got = append(f.got, c)
	f.calls = append(f.calls, "RecordConsent "+ticket)
	if f.err != nil {
		return ConsentRecord{}, f.err
	}
	if ticket == "" {
		return ConsentRecord{Reason: "the sign-in is unknown"}, nil
	}
	return ConsentRecord{Recorded: true, ID: "consent-1"}, nil
}

// fakeStore is an in-memory CredentialStore.
type fakeStore struct {
	entries []Credential
	err     error // returned by every call
	saveErr error // returned by Save
	key     string
}

func (s *fakeStore) Credentials(ctx context.Context) ([]Credential, error) {
	if s.err != nil {
		return nil, s.err
	}
	return slices.Clone(s.entries), nil
}

func (s *fakeStore) Save(ctx context.Context, c Credential) error {
	if s.err != nil {
		return s.err
	}
	if s.saveErr != nil {
		return s.saveErr
	}
	for i := range s.entries {
		if s.entries[i].App == c.App {
			s.entries[i] = c
			return nil
		}
	}
	s.entries = append(s.entries, c)
	return nil
}

func (s *fakeStore) DeviceKey(ctx context.Context, create func() (string, error)) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	if s.key == "" {
		k, err := create()
		if err != nil {
			return "", err
		}
		s.key = k
	}
	return s.key, nil
}

func (s *fakeStore) entry(app string) (Credential, bool) {
	for _, c := range s.entries {
		if c.App == app {
			return c, true
		}
	}
	return Credential{}, false
}

// fakeCaptcha has one challenge, "c1", whose answer is "12".
type fakeCaptcha struct {
	used bool
	err  error
}

func (f *fakeCaptcha) NewChallenge(ctx context.Context) (Challenge, error) {
	return Challenge{ID: "c1", Text: "What is 7 plus 5?"}, f.err
}

// leaky is a port that puts everything it is given into its errors and its
// answers, to prove the actions redact secrets.
type leaky struct {
	fail bool
	sign SignInStatus
}

func (l *leaky) out(args ...string) (string, error) {
	s := fmt.Sprint(args)
	if l.fail {
		return s, fmt.Errorf("portal said no to %s", s)
	}
	return s, nil
}

func (l *leaky) SSOSignIn(ctx context.Context, idToken, deviceSecret string) (SignIn, error) {
	s, err := l.out(idToken, deviceSecret)
	return SignIn{Status: l.sign, Account: s, Ticket: s, PhoneMasked: s}, err
}

func (l *leaky) PasswordSignIn(ctx context.Context, email, password string, _ CaptchaAnswer) (SignIn, error) {
	s, err := l.out(email, password)
	return SignIn{Status: l.sign, Account: s, Ticket: s, PhoneMasked: s}, err
}

func (l *leaky) SendCode(ctx context.Context, ticket string) (CodeDelivery, error) {
	s, err := l.out(ticket)
	return CodeDelivery{Status: SendSent, PhoneMasked: s}, err
}

func (l *leaky) CheckCode(ctx context.Context, ticket, code string) (CodeCheck, error) {
	_, err := l.out(ticket, code)
	return CodeCheck{Status: CheckWrong}, err
}

func (l *leaky) Connect(ctx context.Context, ticket string) (Connection, error) {
	// The token leaks into the reason and the account.
	s, err := l.out(ticket, "tok-LEAKED-1")
	return Connection{Connected: !l.fail, Account: s, Tokens: Tokens{AccessToken: "tok-LEAKED-1", RefreshToken: "rt-LEAKED-1"}, Reason: s}, err
}

func (l *leaky) CreateAccount(ctx context.Context, a NewAccount) (AccountCreation, error) {
	s, err := l.out(a.Email, a.Password)
	return AccountCreation{Status: CreateInvalid, Reason: s}, err
}

// tokens returns a credential's tokens in the fakes' convention: the
// access token and the device secret are tok, the ID token "id-"+tok.
func tokens(tok string) Tokens {
	return Tokens{AccessToken: tok, IDToken: "id-" + tok, DeviceSecret: tok}
}
