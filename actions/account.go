package actions

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/country"
)

// MinPasswordLength is the shortest password account.create accepts.
const MinPasswordLength = 10

func accountCreate(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "account.create",
			Doc:    "Creates an account on the portal.",
			Remote: true,
			Params: []engine.Param{
				param("email", value.String, "the new account's email address"),
				secret("password", "the new account's password"),
				renamed(param("country", value.String, "the account holder's country, ISO 3166-1 alpha-2 (e.g. DE)"), "region"),
			},
			Outputs: []engine.Param{
				output("account", value.String, "the new account (created)"),
				output("reason", value.String, "what is wrong with the data, in words (invalid)"),
				output("refusal", value.Map, "the same as a message, for a {{ }} or a message's parameter: a refusal of the portal's is its message id and parameters, said in the person's language (invalid)"),
				output("problem", value.String, "names what is wrong, for a message: email_malformed, password_short, password_letters_digits, password_has_name, country_invalid, or refused (the portal's reason) (invalid)"),
			},
			Outcomes: []string{"created", "exists", "invalid"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Accounts == nil, "Accounts"); err != nil {
				return engine.Result{}, err
			}
			email := strings.TrimSpace(c.str("email", ""))
			password := c.str("password", "")
			cc := strings.ToUpper(strings.TrimSpace(c.str("country", "")))
			if problem, reason := CheckNewAccount(email, password, cc); reason != "" {
				return result("invalid", "reason", reason, "problem", problem, "refusal", PortalText{}.Value(reason)), nil
			}
			a, err := p.Accounts.CreateAccount(ctx, NewAccount{Email: email, Password: password, Country: cc})
			if err != nil {
				return engine.Result{}, fmt.Errorf("create account: %w", err)
			}
			switch a.Status {
			case CreateOK:
				return result("created", "account", a.Account), nil
			case CreateExists:
				return result("exists"), nil
			}
			reason, msg := a.Reason, a.ReasonMessage
			if reason == "" {
				reason, msg = "the portal refused the account", PortalText{ID: "account.refused"}
			}
			return result("invalid", "reason", reason, "problem", "refused", "refusal", msg.Value(reason)), nil
		},
	}
}

// CheckNewAccount returns why an account cannot be created with these
// details — a name for the problem and its reason in words — or "", ""
// when they are acceptable. The reason never quotes the password. The
// rules: the email is a bare address with a dotted domain; the password
// has at least MinPasswordLength characters, a letter and a
// digit, and does not contain the email's local part; the country is an
// assigned ISO 3166-1 alpha-2 code.
func CheckNewAccount(email, password, cc string) (problem, reason string) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "email_malformed", "the email address is malformed"
	}
	local, domain, _ := strings.Cut(email, "@")
	if !strings.Contains(strings.Trim(domain, "."), ".") {
		return "email_malformed", "the email address is malformed"
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return "password_short", fmt.Sprintf("the password must be at least %d characters long", MinPasswordLength)
	}
	if !strings.ContainsFunc(password, unicode.IsLetter) || !strings.ContainsFunc(password, unicode.IsDigit) {
		return "password_letters_digits", "the password must contain at least a letter and a digit"
	}
	if len(local) >= 3 && strings.Contains(strings.ToLower(password), strings.ToLower(local)) {
		return "password_has_name", "the password must not contain the email address's name"
	}
	if !country.Valid(cc) {
		return "country_invalid", "the country is not an ISO 3166-1 alpha-2 code"
	}
	return "", ""
}
