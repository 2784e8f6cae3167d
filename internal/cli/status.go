package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/smsoutbox"
)

var statusCommand = &Command{
	Name:  "status",
	Args:  "[--credentials FILE] [--portal URL [--portal-ca FILE] | --offline]",
	Short: "report whether this device is connected",
	Long: `
Status reads the device credential store and asks the portal whether it
still accepts the saved connection's token: the embedded demo portal (its
fixture, --portal-fixture, is flows/demo/portal.yaml unless said
otherwise), or with --portal URL a portal over HTTP. It prints the
account this device is connected to, with its plan and licence, and says
how it knows:

	connected: family@example.com, plan Family, licence LIC-FAM-F (confirmed by the demo portal)
	connected: family@example.com, plan Family, licence LIC-FAM-F (confirmed by the portal at https://portal.example.com)
	connected: family@example.com, plan Family, licence LIC-FAM-F (local store only: --offline)
	connected: family@example.com, plan Family, licence LIC-FAM-F (local store only: the portal at https://portal.example.com can't be reached)

The application does not operate while the device is not connected: status
then prints "not connected" — with the reason when the portal refused the
token (expired, revoked, or never issued) — and exits 1. With --offline the
local store alone decides.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &statusOptions{}
		fs.StringVar(&o.credentials, "credentials", defaultCredentials, "the device credential store `FILE`")
		fs.BoolVar(&o.offline, "offline", false, "read the local store only; do not ask the portal")
		fs.StringVar(&o.portal, "portal", "", "ask the portal at this `URL` instead of the embedded demo portal")
		fs.StringVar(&o.portalCA, "portal-ca", "", "with --portal: trust only the CA certificates in this PEM `FILE`")
		fs.StringVar(&o.fixture, "portal-fixture", "flows/demo/portal.yaml", "the embedded demo portal's fixture `FILE`")
		fs.StringVar(&o.clock, "clock", "", "judge the token at this RFC 3339 `TIME` instead of now (scripts)")
		return o.run
	},
}

type statusOptions struct {
	credentials, portal, portalCA, fixture, clock string
	offline                                       bool
}

// tokenChecker is what status asks: a portal's token check.
type tokenChecker interface {
	CheckToken(ctx context.Context, token string) (actions.TokenCheck, error)
}

func (o *statusOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("status takes no arguments")
	}
	if o.offline && (o.portal != "" || o.portalCA != "") {
		return usagef("--offline asks no portal: it does not go with --portal")
	}
	saved, ok, err := credstore.New(env.path(o.credentials)).Load(ctx, actions.DefaultApp)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(env.Stdout, "not connected")
		return &exitError{code: exitFail}
	}
	local := statusLine(credstore.Status{Account: saved.Account, Plan: saved.Plan, Licence: saved.Licence})
	if o.offline {
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: --offline)\n", local)
		return nil
	}
	now := time.Now
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", o.clock)
		}
		now = func() time.Time { return t }
	}
	checker, who, err := o.checker(env, saved, now)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if checker == nil {
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: %s)\n", local, who)
		return nil
	}
	chk, err := checker.CheckToken(ctx, saved.Token)
	switch {
	case errors.Is(err, actions.ErrUnavailable):
		fmt.Fprintf(env.Stdout, "connected: %s (local store only: %s can't be reached)\n", local, who)
		return nil
	case err != nil:
		return actions.Redact(err, saved.Token)
	case !chk.Valid || !strings.EqualFold(chk.Account, saved.Account):
		fmt.Fprintf(env.Stdout, "not connected: %s no longer accepts this device's connection to %s (expired, revoked or never issued; tether run connects again)\n", who, saved.Account)
		return &exitError{code: exitFail}
	}
	line := statusLine(credstore.Status{Account: chk.Account, Plan: chk.Plan, Licence: chk.Licence})
	fmt.Fprintf(env.Stdout, "connected: %s (confirmed by %s)\n", line, who)
	return nil
}

// checker returns what to ask about saved, and how to name it; a nil
// checker when there is nothing to ask, and why.
func (o *statusOptions) checker(env *Env, saved actions.Credential, now func() time.Time) (tokenChecker, string, error) {
	if o.portal != "" {
		opts := portalhttp.Options{Clock: now}
		if o.clock == "" {
			opts.Clock = nil
		}
		if o.portalCA != "" {
			ca, err := os.ReadFile(env.path(o.portalCA))
			if err != nil {
				return nil, "", fmt.Errorf("--portal-ca: %w", err)
			}
			opts.CA = ca
		}
		c, err := portalhttp.New(o.portal, opts)
		if err != nil {
			return nil, "", fmt.Errorf("--portal: %w", err)
		}
		return c, "the portal at " + c.URL(), nil
	}
	path := env.path(o.fixture)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Sprintf("no demo portal fixture at %s to ask; --portal URL asks a portal over HTTP", o.fixture), nil
	}
	fx, err := demoportal.LoadFixture(path)
	if err != nil {
		return nil, "", err
	}
	// The embedded portal lives for this command: it takes the token as
	// issued when its MAC shows a portal with its secret issued it.
	p, err := demoportal.New(fx, now, rand.New(rand.NewPCG(1, 1)), smsoutbox.New(io.Discard))
	if err != nil {
		return nil, "", err
	}
	p.Remember(saved)
	return p, "the demo portal", nil
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
	Args:  "[--credentials FILE]",
	Short: "remove this device's connection",
	Long: `
Disconnect removes this application's connection (its token, account, plan
and licence) from the device credential store. Tokens other applications of
the vendor saved stay. It prints "disconnected", or "not connected" when
there was nothing to remove; both exit 0.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		path := fs.String("credentials", defaultCredentials, "the device credential store `FILE`")
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("disconnect takes no arguments")
			}
			removed, err := credstore.New(*path).Delete(ctx, actions.DefaultApp)
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
