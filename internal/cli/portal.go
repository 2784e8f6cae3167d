package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/smsoutbox"
)

// defaultPortalAddr is where portal serve listens unless --addr says.
const defaultPortalAddr = "127.0.0.1:8470"

var portalCommand = &Command{
	Name:  "portal",
	Args:  "serve --fixture FILE --state FILE [--addr ADDR] [--keys FILE] [--rotate-keys] [--faults SPEC | --fault-schedule FILE] [--seed N]",
	Short: "run the demo portal as an HTTP server",
	Long: `
Portal serve runs the demo account portal as a real HTTP server: an OAuth
2.0 authorization server for first-party apps (api/portal.openapi.yaml,
docs/portal-protocol.md) — metadata at /.well-known/oauth-authorization-server
and /.well-known/openid-configuration, its keys at /jwks.json, the
authorization challenge, token, revocation and introspection endpoints,
and the licence, activation and account APIs — with the accounts, licences
and other applications' sign-ins of the fixture (docs/portal-fixture.md), its rules
enforced on the server, its state kept in the SQLite file --state, which
survives restarts (accounts created, failure counters and locks, codes and
SMS counts, consents, grants, its keys). --keys FILE keeps its keys in
that file instead (the embedded demo portal's demo-portal-keys.json, say),
so that both portals sign alike. --rotate-keys adds new signing and
sealing keys at start and keeps only those before them too: the tokens
and device secrets the previous keys issued still verify, older ones no
longer do; /jwks.json names both signing keys.

The first line on stdout is the URL it listens on (--addr 127.0.0.1:0
picks a free port), so that a script can start it and read the port:

	http://127.0.0.1:8470

Then stdout shows the texts the demo SMS gateway "sends", as the phone
would; --outbox FILE also appends each code, each CAPTCHA answer, and at
the start the sign-ins of the fixture's other applications (OpenID Connect
Native single sign-on), to that file as JSON lines, which tether run
--portal URL --outbox FILE reads for an answers file's {{sms}} and
{{captcha}} and for --other-app. Stderr has one JSON log record per
request (slog), with no password, code, session or token.

Faults for testing clients: --faults takes rates with a seed,

	--faults 5xx=0.2,reset=0.1,latency=200ms@0.3,slow=2s@0.05,truncate=0.05,seed=7

and --fault-schedule a YAML or JSON list of the requests that get one:

	- {op: sendCode, request: 1, fault: reset}
	- {op: signInPassword, request: 2, fault: latency, delay: 3s}

--clock TIME runs the portal on a fake clock at that time, which each request's
Tether-Client-Clock header moves: for scripted runs on a fake clock (tether
run --clock), never for a portal a real device uses. SIGINT or SIGTERM
stops it gracefully: requests under way finish, the state is closed.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &portalServeOptions{}
		fs.StringVar(&o.fixture, "fixture", "", "the demo portal's fixture `FILE` (required)")
		fs.StringVar(&o.state, "state", "", "the SQLite `FILE` the portal keeps its state in (required; created if missing)")
		fs.StringVar(&o.addr, "addr", defaultPortalAddr, "the `ADDR` to listen on (host:port); port 0 picks a free one")
		fs.StringVar(&o.faults, "faults", "", "inject faults at these rates: `SPEC` like 5xx=0.2,reset=0.1,latency=200ms@0.3,seed=7")
		fs.StringVar(&o.schedule, "fault-schedule", "", "inject the faults this schedule `FILE` lists")
		fs.Uint64Var(&o.seed, "seed", 0, "seed `N` of the portal's codes, tickets and CAPTCHAs (0: random)")
		fs.StringVar(&o.outbox, "outbox", "", "append the codes texted and the CAPTCHA answers to this `FILE` as JSON lines")
		fs.StringVar(&o.clock, "clock", "", "run on a fake clock at this RFC 3339 `TIME`, moved by the requests' Tether-Client-Clock")
		fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM; with --tls-key)")
		fs.StringVar(&o.tlsKey, "tls-key", "", "the certificate's private key `FILE` (PEM)")
		fs.StringVar(&o.keys, "keys", "", "keep the portal's signing and sealing keys in this `FILE` (created if missing) instead of --state")
		fs.BoolVar(&o.rotateKeys, "rotate-keys", false, "at start, add new signing and sealing keys and retire all but the previous ones")
		return o.run
	},
	Backends: true,
}

type portalServeOptions struct {
	fixture, state, addr, faults, schedule string
	seed                                   uint64
	outbox, clock, tlsCert, tlsKey, keys   string
	rotateKeys                             bool
}

func (o *portalServeOptions) run(ctx context.Context, env *Env, args []string) error {
	switch {
	case len(args) == 0:
		return usagef("want a subcommand: serve")
	case args[0] != "serve":
		return usagef("unknown subcommand %q: want serve", args[0])
	case len(args) > 1:
		return usagef("portal serve takes no arguments, only flags")
	case o.fixture == "" || o.state == "":
		return usagef("portal serve needs --fixture and --state")
	case o.faults != "" && o.schedule != "":
		return usagef("--faults and --fault-schedule do not go together")
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return usagef("--tls-cert and --tls-key go together")
	}
	bad := func(err error) error { return &exitError{code: exitUsage, err: err} }
	now, follow := time.Now, false
	if o.clock != "" {
		start, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", o.clock)
		}
		now, follow = func() time.Time { return start }, true
	}
	var faults *portalserver.Faults
	var err error
	switch {
	case o.faults != "":
		faults, err = portalserver.ParseFaults(o.faults)
	case o.schedule != "":
		faults, err = portalserver.LoadSchedule(env.path(o.schedule))
	}
	if err != nil {
		return bad(err)
	}
	fx, err := demoportal.LoadFixture(env.path(o.fixture))
	if err != nil {
		return bad(err)
	}
	printErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
	seed := o.seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	var outboxOpts []smsoutbox.Option
	if o.outbox != "" {
		f, err := os.OpenFile(env.path(o.outbox), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return bad(fmt.Errorf("--outbox: %w", err))
		}
		defer f.Close()
		outboxOpts = append(outboxOpts, smsoutbox.WithJournal(f, now))
	}
	outbox := smsoutbox.New(env.Stdout, outboxOpts...)
	st, err := env.backends.PortalState(ctx, env.path(o.state))
	if err != nil {
		return bad(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	defer ln.Close()
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	sealKeys, err := env.sealKeys(filepath.Dir(env.path(o.state)))
	if err != nil {
		return bad(fmt.Errorf("seal keys: %w", err))
	}
	popts := []demoportal.Option{demoportal.WithState(st), demoportal.WithIssuer(url), demoportal.WithKeySeal(sealKeys),
		demoportal.WithCaptchaRand(rand.New(rand.NewPCG(seed, 2))),
		demoportal.WithCaptchaNotice(outbox.NoteCaptcha)}
	if o.keys != "" {
		keysAt := env.demoKeysAt
		if o.rotateKeys {
			keysAt = env.rotateDemoKeys
		}
		keys, err := keysAt(env.path(o.keys), seed)
		if err != nil {
			return bad(fmt.Errorf("--keys: %w", err))
		}
		popts = append(popts, demoportal.WithKeys(*keys))
	}
	portal, err := demoportal.New(fx, now, rand.New(rand.NewPCG(seed, 1)), outbox, popts...)
	if err != nil {
		return bad(err)
	}
	if o.rotateKeys && o.keys == "" {
		if err := portal.RotateKeys(ctx, nil, keptKeys); err != nil {
			return &exitError{code: exitFail, err: fmt.Errorf("--rotate-keys: %w", err)}
		}
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, nil))
	if o.outbox != "" {
		for _, s := range fx.SSO {
			c, err := portal.OtherApp(ctx, s.App)
			if err == nil {
				err = outbox.NoteSignIn(c)
			}
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("--outbox: %w", err)}
			}
		}
	}
	fmt.Fprintln(env.Stdout, url)
	logger.Info("portal serving", "url", url, "fixture", o.fixture, "state", o.state, "faults", faults.String(), "client_clock", follow)
	hs := &http.Server{
		Handler:           portalserver.New(portal, portalserver.Options{Logger: logger, Faults: faults, FollowClientClock: follow, Now: now}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			done <- hs.ServeTLS(ln, env.path(o.tlsCert), env.path(o.tlsKey))
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return &exitError{code: exitFail, err: err}
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(stop)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	logger.Info("portal stopped")
	if err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("shut down: %w", err)}
	}
	return nil
}
