package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
)

var statusCommand = &Command{
	Name:  "status",
	Args:  "[--credentials FILE] [--portal URL [--portal-ca FILE] | --offline]",
	Short: "report whether this device is connected",
	Long: `
Status reads the device credential store and checks the saved connection:
offline first, its access token's signature against the portal's keys,
its issuer, audience and type, and the device key it is bound to; then
with the portal that issued it, which renews the access token when it has
expired (the refresh token is spent and replaced) and says whether it
still takes it (introspection). The embedded demo portal (its fixture,
--portal-fixture, is flows/demo/portal.yaml unless said otherwise, its
keys in demo-portal-keys.json next to the store) answers for the
connections it issued; a portal over HTTP for its own, or the one --portal
names. It prints the account this device is connected to, with its plan
and licence, and says how it knows:

	connected: family@example.com, plan Family, licence LIC-FAM-F (confirmed by the demo portal)
	connected: family@example.com, plan Family, licence LIC-FAM-F (confirmed by the portal at https://portal.example.com)
	connected: family@example.com, plan Family, licence LIC-FAM-F (local store only: --offline)
	connected: family@example.com, plan Family, licence LIC-FAM-F (local store only: the portal at https://portal.example.com can't be reached)

The application does not operate while the device is not connected: status
then prints "not connected" — with the reason when the token does not
verify (forged or altered) or the portal refused it (expired, revoked, or
never issued) — and exits 1. With --offline the local checks alone decide.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &statusOptions{}
		fs.StringVar(&o.credentials, "credentials", defaultCredentials, "the device credential store: a `FILE`, or keyring:[PROFILE] for the OS keyring")
		fs.BoolVar(&o.offline, "offline", false, "check the local store only; do not ask the portal")
		fs.StringVar(&o.portal, "portal", "", "ask the portal at this `URL` instead of the one that issued the connection")
		fs.StringVar(&o.portalCA, "portal-ca", "", "with a portal over HTTPS: trust only the CA certificates in this PEM `FILE`")
		fs.StringVar(&o.fixture, "portal-fixture", "flows/demo/portal.yaml", "the embedded demo portal's fixture `FILE`")
		fs.StringVar(&o.clock, "clock", "", "judge the token at this RFC 3339 `TIME` instead of now (scripts)")
		return o.run
	},
}

type statusOptions struct {
	credentials, portal, portalCA, fixture, clock string
	offline                                       bool
}

func (o *statusOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("status takes no arguments")
	}
	if o.offline && o.portal != "" {
		return usagef("--offline asks no portal: it does not go with --portal")
	}
	now, err := scriptClock(o.clock)
	if err != nil {
		return err
	}
	device := env.path(o.credentials)
	store, err := env.store(device)
	if err != nil {
		return err
	}
	saved, ok, err := store.Load(ctx, actions.DefaultApp)
	if err != nil {
		return err
	}
	if !ok || saved.AccessToken == "" {
		fmt.Fprintln(env.Stdout, "not connected")
		return &exitError{code: exitFail}
	}
	if saved.Issuer == "" {
		// A store of a tether before the portal spoke OAuth: its device
		// token is no portal's any more.
		fmt.Fprintln(env.Stdout, "not connected: the saved connection names no portal that issued it (an older tether saved it); tether run connects again")
		return &exitError{code: exitFail}
	}
	p, err := issuerOf(env, saved, device, o.portal, o.portalCA, o.fixture, now, o.clock != "")
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	local := statusLine(credstore.Status{Account: saved.Account, Plan: saved.Plan, Licence: saved.Licence})
	chk, err := p.dev.CheckOffline(ctx, saved, p.keys)
	if err != nil {
		return actions.Redact(err, saved.Secrets()...)
	}
	if !chk.Valid {
		fmt.Fprintf(env.Stdout, "not connected: %s; tether run connects again\n", chk.Why)
		return &exitError{code: exitFail}
	}
	if o.offline {
		note := "--offline"
		if !now().Before(chk.Expires) {
			note += fmt.Sprintf("; the access token expired at %s and is renewed when the device next reaches the portal", chk.Expires.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: %s)\n", local, note)
		return nil
	}
	notAccepted := func() error {
		fmt.Fprintf(env.Stdout, "not connected: %s no longer accepts this device's connection to %s (expired, revoked or never issued; tether run connects again)\n", p.who, saved.Account)
		return &exitError{code: exitFail}
	}
	renewed, changed, err := p.dev.Renew(ctx, saved)
	switch {
	case errors.Is(err, actions.ErrUnavailable):
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: %s can't be reached)\n", local, p.who)
		return nil
	case errors.Is(err, actions.ErrTokenRejected):
		return notAccepted()
	case err != nil:
		return actions.Redact(err, saved.Secrets()...)
	case changed:
		if err := store.Save(ctx, renewed); err != nil {
			return actions.Redact(err, renewed.Secrets()...)
		}
	}
	in, err := p.dev.Introspect(ctx, renewed.AccessToken, renewed.AccessToken)
	switch {
	case errors.Is(err, actions.ErrUnavailable):
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: %s can't be reached)\n", local, p.who)
		return nil
	case errors.Is(err, actions.ErrTokenRejected):
		// The token no longer authorises even asking about itself.
		return notAccepted()
	case err != nil:
		return actions.Redact(err, renewed.Secrets()...)
	case !in.Active || !strings.EqualFold(in.Sub, saved.Account):
		return notAccepted()
	}
	st := credstore.Status{Account: in.Sub, Plan: saved.Plan, Licence: saved.Licence}
	if in.Plan != "" {
		st.Plan, st.Licence = in.Plan, in.Licence
	}
	fmt.Fprintf(env.Stdout, "connected: %s (confirmed by %s)\n", statusLine(st), p.who)
	return nil
}

// scriptClock returns the clock a command judges tokens at: now, or the
// time --clock names.
func scriptClock(clock string) (func() time.Time, error) {
	if clock == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, clock)
	if err != nil {
		return nil, usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", clock)
	}
	return func() time.Time { return t }, nil
}

// issuer is the portal a saved connection is checked with.
type issuer struct {
	dev  *portalhttp.Device
	who  string // how to name it: "the demo portal", "the portal at URL"
	keys string // the JWKS to check the token offline with
}

// issuerOf returns the portal that answers for saved: the one portalURL
// names, else the one that issued it — the embedded demo portal, on its
// fixture and key file, or a portal over HTTP.
func issuerOf(env *Env, saved actions.Credential, device, portalURL, portalCA, fixture string, now func() time.Time, fake bool) (issuer, error) {
	if portalURL == "" && saved.Issuer == demoportal.DemoIssuer {
		path := env.path(fixture)
		fx, err := demoportal.LoadFixture(path)
		if err != nil {
			return issuer{}, fmt.Errorf("the demo portal that issued this device's connection: %w", err)
		}
		printErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
		keys, err := env.demoKeys(device, rand.Uint64())
		if err != nil {
			return issuer{}, err
		}
		stores, err := env.stores(env.deviceDir(device))
		if err != nil {
			return issuer{}, err
		}
		w, err := demo.New(fx, demo.Options{Now: now, Seed: rand.Uint64(), Store: stores, Keys: keys})
		if err != nil {
			return issuer{}, err
		}
		jwks, err := json.Marshal(keys.Public())
		return issuer{dev: w.Device(device), who: "the demo portal", keys: string(jwks)}, err
	}
	url := portalURL
	if url == "" {
		url = saved.Issuer
	}
	opts := portalhttp.Options{}
	if fake {
		opts.Clock = now
	}
	if portalCA != "" {
		ca, err := os.ReadFile(env.path(portalCA))
		if err != nil {
			return issuer{}, fmt.Errorf("--portal-ca: %w", err)
		}
		opts.CA = ca
	}
	c, err := portalhttp.New(url, opts)
	if err != nil {
		return issuer{}, fmt.Errorf("--portal: %w", err)
	}
	store, err := env.store(device)
	if err != nil {
		return issuer{}, err
	}
	return issuer{dev: c.ForDevice(store), who: "the portal at " + c.URL(), keys: saved.JWKS}, nil
}

// statusLine describes a saved connection: "family@example.com, plan
// Family, licence LIC-FAM-F".
func statusLine(st credstore.Status) string {
	plan := st.Plan
	if plan == "" {
		plan = "none activated"
	}
	line := fmt.Sprintf("%s, plan %s", st.Account, plan)
	if st.Licence != "" {
		line += ", licence " + st.Licence
	}
	return line
}

var disconnectCommand = &Command{
	Name:  "disconnect",
	Args:  "[--credentials FILE] [--portal-ca FILE] [--clock TIME]",
	Short: "remove this device's connection",
	Long: `
Disconnect revokes this application's connection at the portal that issued
it (its refresh token, and with it every token of the connection) and
removes it (its tokens, account, plan and licence) from the device
credential store. The sign-ins other applications of the vendor saved
stay. It prints "disconnected", or "not connected" when there was nothing
to remove; both exit 0. A portal that cannot be reached is named on
stderr: the connection is removed from the device all the same.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		path := fs.String("credentials", defaultCredentials, "the device credential store: a `FILE`, or keyring:[PROFILE] for the OS keyring")
		portalCA := fs.String("portal-ca", "", "with a portal over HTTPS: trust only the CA certificates in this PEM `FILE`")
		fixture := fs.String("portal-fixture", "flows/demo/portal.yaml", "the embedded demo portal's fixture `FILE`")
		clock := fs.String("clock", "", "revoke at this RFC 3339 `TIME` instead of now (scripts)")
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("disconnect takes no arguments")
			}
			now, err := scriptClock(*clock)
			if err != nil {
				return err
			}
			device := env.path(*path)
			store, err := env.store(device)
			if err != nil {
				return err
			}
			saved, ok, err := store.Load(ctx, actions.DefaultApp)
			if err != nil {
				return err
			}
			if ok && saved.RefreshToken != "" {
				p, err := issuerOf(env, saved, device, "", *portalCA, *fixture, now, *clock != "")
				if err == nil {
					err = p.dev.Revoke(ctx, saved.RefreshToken)
				}
				if err != nil {
					fmt.Fprintf(env.Stderr, "tether: the connection could not be revoked at the portal (%v); it is removed from this device\n", actions.Redact(err, saved.Secrets()...))
				}
			}
			removed, err := store.Delete(ctx, actions.DefaultApp)
			if err != nil {
				return err
			}
			if removed {
				fmt.Fprintln(env.Stdout, "disconnected")
			} else {
				fmt.Fprintln(env.Stdout, "not connected")
			}
			return nil
		}
	},
}
