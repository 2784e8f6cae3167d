package demoportal

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine/yamlfile"
)

// Fixture is the content of a demo portal fixture file: the portal's
// settings, its accounts, and the Native SSO sessions other applications
// of the vendor hold on the device. The format is documented in
// docs/portal-fixture.md.
type Fixture struct {
	Name     string       `yaml:"-"` // the file it was read from, for messages
	Portal   Settings     `yaml:"portal"`
	Accounts []Account    `yaml:"accounts"`
	SSO      []SSOSession `yaml:"sso"`
	// Outages make the in-process portal fail calls as an unreachable
	// one would, for transcripts of what a client does then.
	Outages []Outage `yaml:"outages"`
	// Regional is the policy named by Portal.Policy, read by LoadFixture;
	// nil when the fixture names none.
	Regional *Regional `yaml:"-"`
	// Warnings are what the file still does but should not, each at its
	// position: a key by its old name (region for country). They do not
	// stop the fixture loading; the commands print them on stderr.
	Warnings yamlfile.ErrorList `yaml:"-"`
}

// Settings are the portal's rules. A zero value means the default given in
// DefaultSettings.
type Settings struct {
	LockoutAfter    int           `yaml:"lockout_after"`     // failed passwords in a row that lock an account
	LockoutFor      time.Duration `yaml:"lockout_for"`       // how long a lockout lasts
	CodeLength      int           `yaml:"code_length"`       // digits in an SMS code
	CodeTTL         time.Duration `yaml:"code_ttl"`          // how long a code is valid
	ResendCooldown  time.Duration `yaml:"resend_cooldown"`   // minimum time between two codes for a ticket
	MaxCodes        int           `yaml:"max_codes"`         // codes a ticket may be sent
	MaxCodeAttempts int           `yaml:"max_code_attempts"` // wrong codes that block a ticket
	TicketTTL       time.Duration `yaml:"ticket_ttl"`        // how long a sign-in session (auth_session) lives
	TokenTTL        time.Duration `yaml:"token_ttl"`         // how long a connection (its refresh token, its device secret) lives
	AccessTokenTTL  time.Duration `yaml:"access_token_ttl"`  // how long an access token (and an ID token) lives
	CaptchaAfter    int           `yaml:"captcha_after"`     // failed passwords after which a CAPTCHA answer is required
	MaxWrongCodes   int           `yaml:"max_wrong_codes"`   // wrong codes, every sign-in together, that lock an account
	SMSPerHour      int           `yaml:"sms_per_hour"`      // codes sent in an hour, per phone and per account
	// Policy is a flow file, relative to the fixture, whose policy (with
	// the regional overlays in regions/ next to it) gives each account the
	// thresholds of its country, overriding lockout_after, captcha_after,
	// code_ttl, resend_cooldown and max_codes.
	Policy string `yaml:"policy"`
}

// DefaultSettings returns the settings a fixture gets for the values it
// leaves out.
func DefaultSettings() Settings {
	return Settings{
		LockoutAfter:    5,
		LockoutFor:      15 * time.Minute,
		CodeLength:      6,
		CodeTTL:         5 * time.Minute,
		ResendCooldown:  30 * time.Second,
		MaxCodes:        3,
		MaxCodeAttempts: 3,
		TicketTTL:       15 * time.Minute,
		TokenTTL:        90 * 24 * time.Hour,
		AccessTokenTTL:  time.Hour,
		CaptchaAfter:    3,
		MaxWrongCodes:   10,
		SMSPerHour:      5,
	}
}

// Account is an account of the demo portal.
type Account struct {
	Email    string    `yaml:"email"`
	Password string    `yaml:"password"` // plain text in the fixture; only its hash is kept
	Country  string    `yaml:"country"`  // ISO 3166-1 alpha-2
	Phone    string    `yaml:"phone"`    // optional; set means SMS authorisation
	Licences []Licence `yaml:"licences"`
	// Failures are failed sign-ins already counted against the account.
	Failures int `yaml:"failures"`
	// Locked locks the account from the moment the portal starts, for the
	// lockout duration.
	Locked bool `yaml:"locked"`
	// OldRegion is country's name before this release, read until the
	// next one with a warning; UnmarshalYAML moves it to Country.
	OldRegion string `yaml:"region" deprecated:"country"`
	Pos       Pos    `yaml:"-"`
}

// Licence is a subscription registered to an account.
type Licence struct {
	ID      string    `yaml:"id"`
	Plan    string    `yaml:"plan"`
	Name    string    `yaml:"name"`
	Expires time.Time `yaml:"expires"`
}

// SSOSession is a Native SSO session another application of the vendor,
// App, holds on the device: the portal issues it an ID token and a device
// secret (Portal.OtherApp), which tether may exchange to connect without
// a password. One that Expires before the portal's clock is refused.
type SSOSession struct {
	App     string    `yaml:"app"`
	Account string    `yaml:"account"`
	Expires time.Time `yaml:"expires"`
	SavedAt time.Time `yaml:"saved_at"` // optional: when App signed in on the device
	Pos     Pos       `yaml:"-"`
}

// Outage makes the first Times calls of the operation Op fail with an
// error wrapping actions.ErrUnavailable, as if the portal could not be
// reached. Op is an operation of the portal protocol (docs/portal-
// protocol.md): signInPassword, newCaptcha, sendCode, checkCode,
// recordConsent, authorize, tokenCode, tokenRefresh, tokenExchange,
// revoke, introspect, listLicences, activate, createAccount.
type Outage struct {
	Op    string `yaml:"op"`
	Times int    `yaml:"times"`
}

// Pos is a position in a fixture file; the zero value means unknown.
type Pos struct{ Line, Column int }

// UnmarshalYAML decodes an account and notes where it is.
func (a *Account) UnmarshalYAML(n *yaml.Node) error {
	type plain Account
	if err := n.Decode((*plain)(a)); err != nil {
		return err
	}
	if a.Country == "" {
		a.Country, a.OldRegion = a.OldRegion, ""
	}
	a.Pos = Pos{n.Line, n.Column}
	return nil
}

// UnmarshalYAML decodes an SSO session and notes where it is.
func (t *SSOSession) UnmarshalYAML(n *yaml.Node) error {
	type plain SSOSession
	if err := n.Decode((*plain)(t)); err != nil {
		return err
	}
	t.Pos = Pos{n.Line, n.Column}
	return nil
}

// LoadFixture reads and parses the fixture file at path, within the YAML
// budgets of yamlfile.Decode.
func LoadFixture(path string) (Fixture, error) {
	data, err := yamlfile.ReadFile(path, yamlfile.Limits{})
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		return Fixture{}, list
	}
	if err != nil {
		return Fixture{}, fmt.Errorf("load portal fixture: %w", err)
	}
	fx, err := ParseFixture(path, data)
	if err != nil || fx.Portal.Policy == "" {
		return fx, err
	}
	flow := fx.Portal.Policy
	if !filepath.IsAbs(flow) {
		flow = filepath.Join(filepath.Dir(path), flow)
	}
	if fx.Regional, err = LoadRegional(flow); err != nil {
		return Fixture{}, fmt.Errorf("%s: portal.policy: %w", path, err)
	}
	return fx, nil
}

// ParseFixture parses a fixture; name is used in messages. Every problem
// is reported at once, as an yamlfile.ErrorList of name:line:col messages:
// YAML syntax, the budgets of yamlfile.Decode, repeated keys, unknown
// keys, and values that do not have their key's type (a duration, a
// time, a number). The fixture's content is checked further by New.
func ParseFixture(name string, data []byte) (Fixture, error) {
	root, err := yamlfile.Decode(name, data, yamlfile.Limits{})
	var errs yamlfile.ErrorList
	errors.As(err, &errs) // repeated keys: the tree holds the first of each
	if root == nil {
		if err != nil {
			return Fixture{}, err
		}
		errs.Add(yamlfile.Pos{File: name, Line: 1, Col: 1}, "the portal fixture is empty; it holds %s", strings.Join(keysOf(reflect.TypeFor[Fixture]()), ", "))
		return Fixture{}, errs
	}
	var warns yamlfile.ErrorList
	check(name, root, reflect.TypeFor[Fixture](), "fixture", &errs, &warns)
	var fx Fixture
	if len(errs) == 0 {
		// check has held every value to its type: what yaml.v3 could
		// still refuse has no position of its own.
		if err := root.Decode(&fx); err != nil {
			errs.Add(yamlfile.Pos{File: name, Line: root.Line, Col: root.Column}, "%v", err)
		}
	}
	errs.Sort()
	if err := errs.Err(); err != nil {
		return Fixture{}, err
	}
	fx.Name = name
	warns.Sort()
	fx.Warnings = warns
	return fx, nil
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// check reports, at its position, every node under n that the type t it
// decodes into cannot take: a key t has no field for, a list or mapping
// where a value belongs, a value that does not parse as t. what names n
// for messages (its key). A key by its old name (a field tagged
// deprecated:"NEW") goes in warns. It never quotes a string value: the
// fixture holds passwords.
func check(name string, n *yaml.Node, t reflect.Type, what string, errs, warns *yamlfile.ErrorList) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias // yamlfile.Decode has refused cycles and bombs
	}
	pos := yamlfile.Pos{File: name, Line: n.Line, Col: n.Column}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // left out: the zero value
	}
	switch {
	case t.Kind() == reflect.Struct && t != timeType:
		if n.Kind != yaml.MappingNode {
			errs.Add(pos, "%s must be a mapping, not %s", what, yamlfile.Shape(n))
			return
		}
		fields := map[string]reflect.StructField{}
		for f := range t.Fields() {
			if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				fields[tag] = f
			}
		}
		given := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			given[n.Content[i].Value] = true
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kpos := yamlfile.Pos{File: name, Line: k.Line, Col: k.Column}
			f, ok := fields[k.Value]
			if !ok {
				keys := keysOf(t)
				errs.Add(kpos, "unknown key %q%s", k.Value, yamlfile.KeyHint(k.Value, keys, "one of "+strings.Join(keys, ", ")))
				continue
			}
			if now := f.Tag.Get("deprecated"); now != "" {
				if given[now] {
					errs.Add(kpos, "%s is %s's old name: give %s only", k.Value, now, now)
					continue
				}
				warns.Add(kpos, "deprecated: %s is the old name of %s and goes in the next release; write %s", k.Value, now, now)
			}
			check(name, v, f.Type, k.Value, errs, warns)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			errs.Add(pos, "%s must be a list, not %s", what, yamlfile.Shape(n))
			return
		}
		for _, e := range n.Content {
			check(name, e, t.Elem(), "an item of "+what, errs, warns)
		}
	case n.Kind != yaml.ScalarNode:
		errs.Add(pos, "%s must be a single value, not %s", what, yamlfile.Shape(n))
	default:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			errs.Add(pos, "%s: %s", what, badValue(n, t))
		}
	}
}

// badValue says what is wrong with a scalar that does not decode into t.
func badValue(n *yaml.Node, t reflect.Type) string {
	switch {
	case t == timeType:
		return fmt.Sprintf("%q is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)", n.Value)
	case t == durationType:
		return fmt.Sprintf("%q is not a duration (want e.g. 90s, 15m or 2h)", n.Value)
	case t.Kind() == reflect.Int:
		return fmt.Sprintf("%q is not a whole number", n.Value)
	case t.Kind() == reflect.Bool:
		return fmt.Sprintf("%q is not true or false", n.Value)
	}
	return fmt.Sprintf("not a %s", t)
}

// keysOf returns the YAML keys of struct type t, sorted, old names left
// out.
func keysOf(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" && f.Tag.Get("deprecated") == "" {
			keys = append(keys, tag)
		}
	}
	slices.Sort(keys)
	return keys
}

// where names an item of the fixture for messages.
func (fx *Fixture) where(p Pos, what string) string {
	name := fx.Name
	if name == "" {
		name = "fixture"
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", name, p.Line, p.Column, what)
	}
	return fmt.Sprintf("%s: %s", name, what)
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
