package demoportal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
)

func TestParseFixtureUnknownKeys(t *testing.T) {
	const data = `portal:
  lockout_after: 3
  lockout_fro: 10m
accounts:
  - email: a@example.com
    password: pw
    country: DE
    licences:
      - {id: L1, plan: Personal, expiry: 2030-01-01T00:00:00Z}
    phnoe: "+49 1"
sso:
  - app: mail
    acount: a@example.com
extra: 1
`
	_, err := ParseFixture("fx.yaml", []byte(data))
	if err == nil {
		t.Fatal("ParseFixture() error = nil, want unknown keys")
	}
	want := []string{
		`fx.yaml:3:3: unknown key "lockout_fro"`,
		`fx.yaml:9:34: unknown key "expiry"`,
		`fx.yaml:10:5: unknown key "phnoe"`,
		`fx.yaml:13:5: unknown key "acount"`,
		`fx.yaml:14:1: unknown key "extra" (want one of accounts, outages, portal, sso)`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("ParseFixture() error =\n%v\nwant it to contain %q", err, w)
		}
	}
}

// An account's country by its old key, region, is taken until the next
// release, with a positioned warning; both keys at once is an error.
func TestParseFixtureOldRegion(t *testing.T) {
	const old = `accounts:
  - email: a@example.com
    password: Secret-pw-1
    region: DE
  - {email: b@example.com, password: pw, country: FR}
`
	fx, err := ParseFixture("fx.yaml", []byte(old))
	if err != nil {
		t.Fatalf("ParseFixture(region:) error = %v, want none", err)
	}
	if got := []string{fx.Accounts[0].Country, fx.Accounts[1].Country}; got[0] != "DE" || got[1] != "FR" {
		t.Errorf("countries = %q, want [DE FR]", got)
	}
	want := "fx.yaml:4:5: deprecated: region is the old name of country and goes in the next release; write country"
	if got := fx.Warnings.Error(); len(fx.Warnings) != 1 || got != want {
		t.Errorf("Warnings = %q, want %q", got, want)
	}
	p, err := New(fx, newClock().Now, newRand(1), &fakeSMS{})
	if err != nil {
		t.Fatalf("New(region:) error = %v", err)
	}
	if info, _, _ := p.Account(context.Background(), "a@example.com"); info.Country != "DE" {
		t.Errorf("Account(a@).Country = %q, want DE", info.Country)
	}

	both := "accounts:\n  - {email: a@example.com, password: Secret-pw-1, country: DE, region: DE}\n"
	_, err = ParseFixture("fx.yaml", []byte(both))
	if want := "fx.yaml:2:64: region is country's old name: give country only"; fmt.Sprint(err) != want {
		t.Errorf("ParseFixture(both) error = %v, want %s", err, want)
	}

	fx, err = ParseFixture("fx.yaml", []byte("accounts:\n  - {email: a@example.com, password: pw, country: DE}\n"))
	if err != nil || fx.Warnings != nil {
		t.Errorf("ParseFixture(country:) = warnings %v, error %v; want neither", fx.Warnings, err)
	}
	_, err = ParseFixture("fx.yaml", []byte("accounts:\n  - {email: a@example.com, colour: DE}\n"))
	if msg := fmt.Sprint(err); !strings.Contains(msg, "want one of country, email,") || strings.Contains(msg, "region") {
		t.Errorf("unknown key error = %v, want the keys listed without region", err)
	}
}

func TestParseFixtureBadValues(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"duration", "portal:\n  code_ttl: soon\n", `fx.yaml:2:13: code_ttl: "soon" is not a duration (want e.g. 90s, 15m or 2h)`},
		{"int", "portal:\n  max_codes: many\n", `fx.yaml:2:14: max_codes: "many" is not a whole number`},
		{"bool", "accounts:\n  - {email: a@b.c, locked: maybe}\n", `fx.yaml:2:28: locked: "maybe" is not true or false`},
		{"time", "accounts:\n  - licences:\n      - {id: L, expires: someday}\n", `fx.yaml:3:26: expires: "someday" is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`},
		{"list for a mapping", "portal: [1, 2]\n", "fx.yaml:1:9: portal must be a mapping, not a list"},
		{"mapping for a list", "accounts: {email: a@b.c}\n", "fx.yaml:1:11: accounts must be a list, not a mapping"},
		{"list for a value", "portal:\n  code_ttl: [5m]\n", "fx.yaml:2:13: code_ttl must be a single value, not a list"},
		{"not a mapping", "- portal\n", "fx.yaml:1:1: fixture must be a mapping, not a list"},
		{"syntax", "portal: [\n", "fx.yaml:1:9: a value was expected here"},
		{"empty", "", "fx.yaml:1:1: the portal fixture is empty; it holds accounts, outages, portal, sso"},
		{"comments only", "# to do\n", "fx.yaml:1:1: the portal fixture is empty; it holds accounts, outages, portal, sso"},
		{"two documents", "portal: {}\n---\naccounts: []\n", "fx.yaml:2:1: a second YAML document starts here: the file must hold exactly one"},
		{"repeated key", "portal: {max_codes: 3, max_codes: 4}\n", `fx.yaml:1:24: duplicate key "max_codes" (first at fx.yaml:1:10)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFixture("fx.yaml", []byte(tt.data))
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseFixture() error = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestParseFixtureReportsEveryError: one bad time used to hide every other
// error in the file.
func TestParseFixtureReportsEveryError(t *testing.T) {
	const data = `portal:
  code_ttl: soon
  max_codes: many
accounts:
  - email: a@example.com
    password: {Secret-pw-1: x}
    licences:
      - {id: L1, plan: Personal, expires: someday}
      - {id: L2, plan: Family, expires: never}
    locked: perhaps
sso:
  - {app: mail, account: a@example.com, expires: 2030-01-01, saved_at: yesterday}
`
	_, err := ParseFixture("fx.yaml", []byte(data))
	want := []string{
		`fx.yaml:2:13: code_ttl: "soon" is not a duration (want e.g. 90s, 15m or 2h)`,
		`fx.yaml:3:14: max_codes: "many" is not a whole number`,
		`fx.yaml:6:15: password must be a single value, not a mapping`,
		`fx.yaml:8:43: expires: "someday" is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`,
		`fx.yaml:9:41: expires: "never" is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`,
		`fx.yaml:10:13: locked: "perhaps" is not true or false`,
		`fx.yaml:12:72: saved_at: "yesterday" is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`,
	}
	if got := strings.Split(fmt.Sprint(err), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ParseFixture() errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(fmt.Sprint(err), "Secret-pw") {
		t.Errorf("ParseFixture() error quotes a password:\n%v", err)
	}
}

func TestNewChecksFixture(t *testing.T) {
	const data = `portal:
  code_length: 2
  code_ttl: -1m
accounts:
  - email: a@example.com
    password: pw
    country: DE
  - email: A@example.com
    password: pw
    country: DE
  - email: b@example.com
    password: pw
    country: Germany
    licences:
      - {id: L1, plan: Personal, expires: 2030-01-01T00:00:00Z}
      - {id: L1, plan: Family, expires: 2030-01-01T00:00:00Z}
      - {id: L2, plan: Family}
  - email: c@example.com
    country: DE
    phone: "12"
sso:
  - {app: mail, account: nobody@example.com, expires: 2030-01-01T00:00:00Z}
  - {account: a@example.com, expires: 2030-01-01T00:00:00Z}
  - {app: photos, account: a@example.com}
  - {app: photos, account: a@example.com, expires: 2030-01-01T00:00:00Z}
`
	fx, err := ParseFixture("fx.yaml", []byte(data))
	if err != nil {
		t.Fatalf("ParseFixture() error = %v", err)
	}
	_, err = New(fx, newClock().Now, newRand(1), &fakeSMS{})
	if err == nil {
		t.Fatal("New() error = nil, want the fixture's problems")
	}
	want := []string{
		"fx.yaml: portal.code_ttl is negative",
		"fx.yaml: portal.code_length must be between 4 and 12",
		"fx.yaml:8:5: account 2 (A@example.com): email repeats an earlier account",
		`fx.yaml:11:5: account 3 (b@example.com): country "Germany" is not an ISO 3166-1 alpha-2 code`,
		"account 3 (b@example.com): licence 2 repeats id L1",
		"account 3 (b@example.com): licence L2 has no expires",
		"fx.yaml:18:5: account 4 (c@example.com): password is empty",
		`account 4 (c@example.com): phone "12" has too few digits`,
		`fx.yaml:22:5: sso 1: account "nobody@example.com" is not in the fixture`,
		"fx.yaml:23:5: sso 2: app must name another application of the vendor than tether",
		"fx.yaml:24:5: sso 3: expires is missing",
		"fx.yaml:25:5: sso 4: app photos repeats an earlier one",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("New() error =\n%v\nwant it to contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "pw") {
		t.Errorf("New() error quotes a password:\n%v", err)
	}
}

func TestNewDefaults(t *testing.T) {
	p, err := New(Fixture{}, newClock().Now, newRand(1), &fakeSMS{})
	if err != nil {
		t.Fatalf("New(empty fixture) error = %v", err)
	}
	if got, want := p.Settings(), DefaultSettings(); got != want {
		t.Errorf("Settings() = %+v, want the defaults %+v", got, want)
	}
	if _, err := New(Fixture{}, nil, newRand(1), &fakeSMS{}); err == nil {
		t.Errorf("New() without a clock error = nil, want one")
	}
}

// TestShippedFixture checks that flows/demo/portal.yaml covers every path
// of the connect flow.
func TestShippedFixture(t *testing.T) {
	fx, err := LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatalf("LoadFixture() error = %v", err)
	}
	clock, sms := newClock(), &fakeSMS{}
	answers := map[string]string{}
	p, err := New(fx, clock.Now, newRand(1), sms, WithCaptchaNotice(func(id, answer string) { answers[id] = answer }))
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	ctx := bound(context.Background())
	active := func(account string) int {
		info, _, err := p.Account(ctx, account)
		if err != nil {
			t.Fatalf("Account(%s) error = %v", account, err)
		}
		ls := info.Licences
		n := 0
		for _, l := range ls {
			if clock.Now().Before(l.Expires) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		email, password string
		want            actions.SignInStatus
		phone           string
		country         string
		licences        int
	}{
		{"solo@example.com", "Solo-pass-2024", actions.SignInOK, "", "FR", 1},
		{"family@example.com", "Family-pass-2024", actions.SignInNeedsCode, "+49 *** *** 12 34", "DE", 2},
		{"free@example.com", "Free-pass-2024", actions.SignInOK, "", "US", 0},
		{"lapsed@example.com", "Lapsed-pass-2024", actions.SignInOK, "", "JP", 0},
		{"brasil@example.com", "Brasil-pass-2024", actions.SignInNeedsCode, "+55 *** *** 43 21", "BR", 1},
		{"locked@example.com", "Locked-pass-2024", actions.SignInDenied, "", "DE", 0},
	}
	for _, tt := range tests {
		s, err := p.PasswordSignIn(ctx, tt.email, tt.password, actions.CaptchaAnswer{})
		if err != nil || s.Status != tt.want || s.PhoneMasked != tt.phone {
			t.Errorf("PasswordSignIn(%s) = %+v, %v, want status %d phone %q", tt.email, s, err, tt.want, tt.phone)
		}
		if info, _, _ := p.Account(ctx, tt.email); info.Country != tt.country {
			t.Errorf("Account(%s).Country = %q, want %q", tt.email, info.Country, tt.country)
		}
		if got := active(tt.email); got != tt.licences {
			t.Errorf("%s has %d active licences, want %d", tt.email, got, tt.licences)
		}
	}
	// almost@example.com has failed four times: the portal wants a
	// CAPTCHA answer first, and locks on the next wrong password.
	if s, _ := p.PasswordSignIn(ctx, "almost@example.com", "Almost-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInCaptcha {
		t.Errorf("almost@example.com without a CAPTCHA answer: status = %d, want captcha", s.Status)
	}
	ch, _ := p.NewChallenge(ctx)
	p.PasswordSignIn(ctx, "almost@example.com", "wrong", actions.CaptchaAnswer{ID: ch.ID, Answer: answers[ch.ID]})
	if s, _ := p.PasswordSignIn(ctx, "almost@example.com", "Almost-pass-2024", actions.CaptchaAnswer{}); s.Status != actions.SignInDenied {
		t.Errorf("almost@example.com after one wrong password: status = %d, want denied (locked)", s.Status)
	}
	if len(fx.SSO) != 2 {
		t.Fatalf("the fixture has %d Native SSO sessions, want 2", len(fx.SSO))
	}
	wantSSO := map[string]actions.SignInStatus{"vendor-mail": actions.SignInOK, "vendor-photos": actions.SignInDenied}
	for _, x := range fx.SSO {
		c, err := p.OtherApp(ctx, x.App)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := p.SSOSignIn(ctx, c.IDToken, c.DeviceSecret)
		if s.Status != wantSSO[c.App] {
			t.Errorf("SSOSignIn(sign-in of %s) = %d, want %d", c.App, s.Status, wantSSO[c.App])
		}
		if c.Country == "" || c.SavedAt.IsZero() || c.Account == "" || c.Issuer != DemoIssuer {
			t.Errorf("OtherApp(%s) = %+v: it lacks account, country, saved_at or issuer", x.App, c)
		}
	}
	clock.Advance(time.Hour)
}
