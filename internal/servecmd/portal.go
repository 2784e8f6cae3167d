package servecmd

import (
	"context"
	"errors"
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
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/sqlstores"
)

// PortalServe runs tether portal serve: cli.Backends.PortalServe.
func PortalServe(ctx context.Context, env *cli.Env, o *cli.PortalServeOptions, args []string) error {
	switch {
	case len(args) == 0:
		return cli.Usagef("want a subcommand: serve")
	case args[0] != "serve":
		return cli.Usagef("unknown subcommand %q: want serve", args[0])
	case len(args) > 1:
		return cli.Usagef("portal serve takes no arguments, only flags")
	case o.Fixture == "" || o.State == "":
		return cli.Usagef("portal serve needs --fixture and --state")
	case o.Faults != "" && o.Schedule != "":
		return cli.Usagef("--faults and --fault-schedule do not go together")
	case (o.TLSCert == "") != (o.TLSKey == ""):
		return cli.Usagef("--tls-cert and --tls-key go together")
	}
	bad := func(err error) error { return cli.Exit(cli.ExitUsage, err) }
	now, follow := time.Now, false
	if o.Clock != "" {
		start, err := time.Parse(time.RFC3339, o.Clock)
		if err != nil {
			return cli.Usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", o.Clock)
		}
		now, follow = func() time.Time { return start }, true
	}
	var faults *portalserver.Faults
	var err error
	switch {
	case o.Faults != "":
		faults, err = portalserver.ParseFaults(o.Faults)
	case o.Schedule != "":
		faults, err = portalserver.LoadSchedule(env.Path(o.Schedule))
	}
	if err != nil {
		return bad(err)
	}
	fx, err := demoportal.LoadFixture(env.Path(o.Fixture))
	if err != nil {
		return bad(err)
	}
	cli.PrintErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	var outboxOpts []smsoutbox.Option
	if o.Outbox != "" {
		f, err := os.OpenFile(env.Path(o.Outbox), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return bad(fmt.Errorf("--outbox: %w", err))
		}
		defer f.Close()
		outboxOpts = append(outboxOpts, smsoutbox.WithJournal(f, now))
	}
	outbox := smsoutbox.New(env.Stdout, outboxOpts...)
	st, err := sqlstores.PortalState(ctx, env.Path(o.State))
	if err != nil {
		return bad(err)
	}
	defer st.Close()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return cli.Exit(cli.ExitFail, err)
	}
	defer ln.Close()
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	sk, err := sealKeys(env, filepath.Dir(env.Path(o.State)))
	if err != nil {
		return bad(fmt.Errorf("seal keys: %w", err))
	}
	popts := []demoportal.Option{demoportal.WithState(st), demoportal.WithIssuer(url), demoportal.WithKeySeal(sk),
		demoportal.WithCaptchaRand(rand.New(rand.NewPCG(seed, 2))),
		demoportal.WithCaptchaNotice(outbox.NoteCaptcha)}
	if o.Keys != "" {
		keys, err := env.DemoKeys(env.Path(o.Keys), seed, o.RotateKeys)
		if err != nil {
			return bad(fmt.Errorf("--keys: %w", err))
		}
		popts = append(popts, demoportal.WithKeys(*keys))
	}
	portal, err := demoportal.New(fx, now, rand.New(rand.NewPCG(seed, 1)), outbox, popts...)
	if err != nil {
		return bad(err)
	}
	if o.RotateKeys && o.Keys == "" {
		if err := portal.RotateKeys(ctx, nil, cli.KeptKeys); err != nil {
			return cli.Exit(cli.ExitFail, fmt.Errorf("--rotate-keys: %w", err))
		}
	}
	logger := slog.New(slog.NewJSONHandler(env.Stderr, nil))
	if o.Outbox != "" {
		for _, s := range fx.SSO {
			c, err := portal.OtherApp(ctx, s.App)
			if err == nil {
				err = outbox.NoteSignIn(c)
			}
			if err != nil {
				return cli.Exit(cli.ExitFail, fmt.Errorf("--outbox: %w", err))
			}
		}
	}
	fmt.Fprintln(env.Stdout, url)
	logger.Info("portal serving", "url", url, "fixture", o.Fixture, "state", o.State, "faults", faults.String(), "client_clock", follow)
	hs := &http.Server{
		Handler:           portalserver.New(portal, portalserver.Options{Logger: logger, Faults: faults, FollowClientClock: follow, Now: now}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() {
		if o.TLSCert != "" {
			done <- hs.ServeTLS(ln, env.Path(o.TLSCert), env.Path(o.TLSKey))
		} else {
			done <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return cli.Exit(cli.ExitFail, err)
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
		return cli.Exit(cli.ExitFail, fmt.Errorf("shut down: %w", err))
	}
	return nil
}
