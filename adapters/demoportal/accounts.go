package demoportal

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/tetherflow/tether/actions"
)

// Licences returns every licence of the account, expired ones included. It
// returns an error wrapping ErrUnknownAccount for an account it does not
// have.
func (p *Portal) Licences(ctx context.Context, account string) ([]actions.Licence, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	acc := p.accounts[normEmail(account)]
	if acc == nil {
		return nil, fmt.Errorf("licences of %s: %w", account, ErrUnknownAccount)
	}
	return slices.Clone(acc.licences), nil
}

// CreateAccount creates an account without SMS authorisation or licences.
// An email already registered gives CreateExists; an email without "@", an
// empty password or an unknown region gives CreateInvalid. It fails only
// when ctx is done or the password cannot be hashed.
func (p *Portal) CreateAccount(ctx context.Context, a actions.NewAccount) (actions.AccountCreation, error) {
	if err := ctx.Err(); err != nil {
		return actions.AccountCreation{}, fmt.Errorf("create account: %w", err)
	}
	email := normEmail(a.Email)
	switch {
	case !strings.Contains(email, "@"):
		return actions.AccountCreation{Reason: "the email address is malformed"}, nil
	case a.Password == "":
		return actions.AccountCreation{Reason: "the password is empty"}, nil
	case !actions.IsRegion(a.Region):
		return actions.AccountCreation{Reason: "the region is not an ISO 3166-1 alpha-2 country code"}, nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(a.Password), bcryptCost)
	if err != nil {
		return actions.AccountCreation{Reason: "the password cannot be used"}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.accounts[email] != nil {
		return actions.AccountCreation{Status: actions.CreateExists}, nil
	}
	p.accounts[email] = &account{email: email, region: a.Region, hash: hash}
	return actions.AccountCreation{Status: actions.CreateOK, Account: email}, nil
}

// RecordConsent records an acceptance and returns its identifier,
// "consent-1", "consent-2", ... It returns an error wrapping
// ErrUnknownAccount for an account it does not have.
func (p *Portal) RecordConsent(ctx context.Context, c actions.Consent) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("record consent: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.accounts[normEmail(c.Account)] == nil {
		return "", fmt.Errorf("record consent of %s: %w", c.Account, ErrUnknownAccount)
	}
	p.consents = append(p.consents, c)
	return fmt.Sprintf("consent-%d", len(p.consents)), nil
}

// Consents returns the acceptances recorded so far, oldest first.
func (p *Portal) Consents() []actions.Consent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.consents)
}

// AccountInfo is what the portal shows about an account; it holds no
// secret.
type AccountInfo struct {
	Email       string
	Region      string
	PhoneMasked string // "" without SMS authorisation
	Licences    []actions.Licence
}

// Account returns what the portal shows about an account; ok is false for
// an account it does not have.
func (p *Portal) Account(ctx context.Context, email string) (info AccountInfo, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	acc := p.accounts[normEmail(email)]
	if acc == nil {
		return AccountInfo{}, false
	}
	info = AccountInfo{Email: acc.email, Region: acc.region, Licences: slices.Clone(acc.licences)}
	if acc.phone != "" {
		info.PhoneMasked = actions.MaskPhone(acc.phone)
	}
	return info, true
}
