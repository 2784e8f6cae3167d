package demoportal

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/internal/country"
)

// Licences returns every licence of the access token's account, expired
// ones included. It returns an error wrapping actions.ErrTokenRejected for
// a token the portal does not accept, or one presented without a proof of
// its DPoP key.
func (p *Portal) Licences(ctx context.Context, tok string) ([]actions.Licence, error) {
	var out []actions.Licence
	err := p.update(ctx, api.OpListLicences, nil, nil, func(tx Tx) error {
		_, acc, err := p.liveAccess(ctx, tx, tok)
		if err != nil {
			return err
		}
		out = slices.Clone(acc.Licences)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	return out, nil
}

// Activate activates the licence with this id on the access token's
// device, or the Free plan for the empty id, and remembers it with the
// token's grant. A licence the account does not have, or whose term is
// over, gives ActivateInactive. It returns an error wrapping
// actions.ErrTokenRejected for a token the portal does not accept, or one
// presented without a proof of its DPoP key.
func (p *Portal) Activate(ctx context.Context, tok, licence string) (actions.Activation, error) {
	var out actions.Activation
	err := p.update(ctx, api.OpActivate, []string{tok, licence}, &out, func(tx Tx) error {
		g, acc, err := p.liveAccess(ctx, tx, tok)
		if err != nil {
			return err
		}
		if licence == "" {
			out = actions.Activation{Status: actions.ActivateActivated, Plan: actions.FreePlan}
		}
		for _, l := range acc.Licences {
			if l.ID == licence && p.now().Before(l.Expires) {
				out = actions.Activation{Status: actions.ActivateActivated, Plan: l.Plan, Licence: l.ID}
			}
		}
		if out.Status != actions.ActivateActivated {
			return nil
		}
		g.Plan, g.Licence = out.Plan, out.Licence
		return p.putGrant(tx, g)
	})
	if err != nil {
		return actions.Activation{}, fmt.Errorf("activate: %w", err)
	}
	return out, nil
}

// CreateAccount creates an account without SMS authorisation or licences.
// An email already registered gives CreateExists; an email without "@", an
// empty password or an unknown country gives CreateInvalid. It fails only
// when ctx is done or the state cannot be written.
func (p *Portal) CreateAccount(ctx context.Context, a actions.NewAccount) (actions.AccountCreation, error) {
	email := normEmail(a.Email)
	switch {
	case !strings.Contains(email, "@"):
		return refuseAccount("account.email_malformed", "the email address is malformed"), nil
	case a.Password == "":
		return refuseAccount("account.password_empty", "the password is empty"), nil
	case !country.Valid(a.Country):
		return refuseAccount("account.country_invalid", "the country is not an ISO 3166-1 alpha-2 code"), nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(a.Password), bcryptCost)
	if err != nil {
		return refuseAccount("account.password_unusable", "the password cannot be used"), nil
	}
	var out actions.AccountCreation
	err = p.update(ctx, api.OpCreateAccount, []string{a.Email, a.Password, a.Country}, &out, func(tx Tx) error {
		_, exists, err := tx.Account(email)
		if err != nil || exists {
			out.Status = actions.CreateExists
			return err
		}
		out = actions.AccountCreation{Status: actions.CreateOK, Account: email}
		return tx.PutAccount(AccountRecord{Email: email, Country: a.Country, Hash: hash})
	})
	if err != nil {
		return actions.AccountCreation{}, fmt.Errorf("create account: %w", err)
	}
	return out, nil
}

// RecordConsent records an acceptance given during the sign-in ticket and
// returns its identifier, "consent-1", "consent-2", ... The ticket must be
// live, authorised and c.Account's: a consent is refused, with the reason,
// for a ticket that is unknown, expired, used, blocked, not yet authorised
// or another account's.
func (p *Portal) RecordConsent(ctx context.Context, ticket string, c actions.Consent) (actions.ConsentRecord, error) {
	var out actions.ConsentRecord
	// AcceptedAt is left out of the request: a step run again after a
	// crash accepts at another time, and is the same acceptance.
	err := p.update(ctx, api.OpRecordConsent, []string{ticket, c.Account, c.Document, c.Version, c.Region}, &out, func(tx Tx) error {
		t, ok, err := p.ticket(ctx, tx, ticket)
		if err != nil {
			return err
		}
		if out.Reason, out.ReasonMessage = p.ticketRefusal(t, ok); out.Reason != "" {
			return nil
		}
		if t.Account != normEmail(c.Account) {
			out.Reason, out.ReasonMessage = "the sign-in is not this account's", actions.PortalText{ID: "sign_in.other_account"}
			return nil
		}
		c.Account = t.Account
		n, err := tx.AddConsent(ConsentRecord{Consent: c, Ticket: t.Hash})
		if err != nil {
			return err
		}
		t.Consent = c.Document + "@" + c.Version
		out = actions.ConsentRecord{Recorded: true, ID: fmt.Sprintf("consent-%d", n)}
		return tx.PutTicket(t)
	})
	if err != nil {
		return actions.ConsentRecord{}, fmt.Errorf("record consent: %w", err)
	}
	return out, nil
}

// AccountInfo is what the portal shows about an account; it holds no
// secret.
type AccountInfo struct {
	Email       string
	Country     string // ISO 3166-1 alpha-2
	PhoneMasked string // "" without SMS authorisation
	Licences    []actions.Licence
	Guard       Guard
}

// Account returns what the portal shows about an account; ok is false for
// an account it does not have.
func (p *Portal) Account(ctx context.Context, email string) (info AccountInfo, ok bool, err error) {
	err = p.update(ctx, "", nil, nil, func(tx Tx) error {
		acc, found, err := tx.Account(normEmail(email))
		if err != nil || !found {
			return err
		}
		g, _, err := tx.Guard(acc.Email)
		ok = true
		info = AccountInfo{Email: acc.Email, Country: acc.Country, Licences: slices.Clone(acc.Licences), Guard: g}
		if acc.Phone != "" {
			info.PhoneMasked = actions.MaskPhone(acc.Phone)
		}
		return err
	})
	return info, ok, err
}

// refuseAccount is an account creation refused for the reason of message
// id, in words.
func refuseAccount(id, words string) actions.AccountCreation {
	return actions.AccountCreation{Status: actions.CreateInvalid, Reason: words, ReasonMessage: actions.PortalText{ID: id}}
}
