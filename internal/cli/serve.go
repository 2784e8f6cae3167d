package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/web"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/internal/seal"
	"github.com/tetherflow/tether/ui"
)

var serveCommand = &Command{
	Name:  "serve",
	Args:  "[--flows DIR] [--store URL] [--addr ADDR] [--web-country CC] [flags]",
	Short: "serve flow sessions over HTTP",
	Long: `
Serve hosts sessions of the flows in --flows DIR for client applications
over HTTP (docs/api.md; the OpenAPI document is at /openapi.json): POST
/v1/sessions starts one, and its prompts are answered until it ends.
People get the same sessions as web pages at / (docs/web.md): open
http://ADDR/ in a browser; --web-country CC (ISO 3166-1 alpha-2, e.g. DE)
picks the country they start in, whose regional policy applies. Every step
is saved in the session store before it is answered, with the portal calls
it made; due timers fire without a client; sessions idle for --idle-timeout
expire.

--store is sqlite:PATH (the default, sqlite:tether.db), a postgres:// URL
(several instances may share one database; docs/stores.md), or memory:
(nothing survives the process).

Everything a later step may need is kept in the store: the sessions, the
requests they answered, the flow versions they run on, each device's saved
connection and, with PostgreSQL, the rate limits' counters. Instances
sharing a PostgreSQL store can each take any step; --data is not shared.

The portal is the embedded demo portal, its accounts in its fixture
(DIR/demo/portal.yaml, or --portal-fixture FILE; docs/portal-fixture.md),
which is read at the start, and its state kept in --data so that a
restarted server goes on with its sessions' sign-ins: it is this
instance's own. Its SMS gateway prints the texts it "sends" on stdout, as
the phones would show them; the log (JSON lines, secrets redacted) goes to
stderr. With --portal URL the sessions reach the portal over HTTP instead
(tether portal serve, or a vendor's; docs/portal-protocol.md): what
several instances sharing a store need, and --data then holds nothing.

A device is what a client names in POST /v1/sessions: an id it keeps for
the device it runs on. Its saved connection (the credential store the flow
reads and writes) is kept in the store, under a hash of the id.

What a thief of the store could use is sealed (AES-256-GCM) with keys kept
outside it: the values a flow marks sensitive (the sign-in ticket) in every
session's record, and the devices' saved connections (tokens, keys). The
keys are those of --seal-key-file FILE, or of TETHER_SEAL_KEYS (a key
file's text): a line per key, its id and its secret in base64, the last
one sealing, every one opening (add a line to rotate; docs/stores.md). Without either, serve makes a key
in --data/seal.keys (mode 0600) at its first start and says so: back it
up apart from the store. Instances sharing a PostgreSQL store must all be
given the same keys, which serve requires there.

--admin-addr serves /metrics on an address of its own, for the holder of
TETHER_ADMIN_TOKEN only, and not on --addr.

SIGTERM or SIGINT stops the server gracefully: /readyz answers 503, no new
connection is taken, steps in flight are saved and answered, then it exits.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &serveOptions{}
		fs.StringVar(&o.flows, "flows", "flows", "the flows directory `DIR`")
		fs.StringVar(&o.store, "store", "sqlite:tether.db", "the session store `URL`: sqlite:PATH, postgres://..., memory:")
		fs.StringVar(&o.portal, "portal", "", "the account portal's `URL` (default: the embedded demo portal)")
		fs.StringVar(&o.portalCA, "portal-ca", "", "with --portal: trust only the CA certificates in this PEM `FILE`")
		fs.StringVar(&o.fixture, "portal-fixture", "", "the embedded demo portal's fixture `FILE` (default: demo/portal.yaml in the flows directory)")
		fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "the `ADDR` to listen on (host:port)")
		fs.StringVar(&o.adminAddr, "admin-addr", "", "serve /metrics on this `ADDR` (host:port), behind TETHER_ADMIN_TOKEN, instead of on --addr")
		fs.StringVar(&o.data, "data", ".tether-server", "the `DIR` of the embedded demo portal's state (unused with --portal), and of the seal key made when none is given")
		fs.StringVar(&o.sealKeyFile, "seal-key-file", "", "the seal keys' `FILE` (mode 0600; a line per key, the last one sealing): instead of "+seal.EnvVar+" or --data/seal.keys")
		fs.DurationVar(&o.idle, "idle-timeout", 30*time.Minute, "how long (a `DURATION`) a session lives without a step")
		fs.DurationVar(&o.timers, "timer-interval", time.Second, "how often (a `DURATION`) due timers are looked for")
		fs.IntVar(&o.batch, "timer-batch", 100, "how many (`N`) due sessions one instance claims at a time")
		fs.DurationVar(&o.grace, "shutdown-timeout", 30*time.Second, "how long (a `DURATION`) steps in flight may take to finish at shutdown")
		fs.Float64Var(&o.createRate, "create-rate", 1, "the sessions a client address may create per second, a `RATE` (bursts of 20); 0: no limit")
		fs.Float64Var(&o.answerRate, "answer-rate", 10, "the requests about sessions a client address may make per second, a `RATE` (bursts of 50); 0: no limit")
		fs.StringVar(&o.webCountry, "web-country", "", "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) the web pages start sessions for unless the person picks another (default: the flow's defaults)")
		oldName(fs, "web-region", "web-country")
		fs.StringVar(&o.proxies, "trusted-proxies", "", "the `CIDRS` of the proxies in front of the server (comma-separated): their X-Forwarded-For names the client, for rate limits and logs")
		fs.BoolVar(&o.secureCookies, "secure-cookies", false, "mark the web pages' cookies Secure on plain HTTP too (behind a proxy that terminates TLS)")
		return o.run
	},
	Backends: true,
}

type serveOptions struct {
	flows, store, portal, addr, data string
	portalCA, webCountry, proxies    string
	fixture, adminAddr, sealKeyFile  string
	idle, timers, grace              time.Duration
	createRate, answerRate           float64
	batch                            int
	secureCookies                    bool
}

func (o *serveOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 0 {
		return usagef("serve takes no arguments")
	}
	if o.idle <= 0 || o.timers <= 0 || o.grace <= 0 || o.batch <= 0 {
		return usagef("--idle-timeout, --timer-interval, --timer-batch and --shutdown-timeout must be positive")
	}
	if o.createRate < 0 || o.answerRate < 0 {
		return usagef("--create-rate and --answer-rate must not be negative")
	}
	if o.webCountry != "" {
		if err := country.Check(o.webCountry); err != nil {
			return usagef("--web-country: %v", err)
		}
	}
	proxies, err := httpapi.ParseProxies(o.proxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	if o.fleet() && env.getenv(seal.EnvVar) == "" && o.sealKeyFile == "" {
		// A key file of this instance's own would seal what no other
		// instance can open.
		return usagef("--store %s: the sessions' tickets and the devices' saved connections, which every instance sharing the store reads, are sealed: give every instance the same keys with --seal-key-file FILE or %s (docs/stores.md)", redactURL(o.store), seal.EnvVar)
	}
	adminToken := env.Getenv("TETHER_ADMIN_TOKEN")
	if o.adminAddr != "" && adminToken == "" {
		return usagef("--admin-addr needs TETHER_ADMIN_TOKEN: the admin port serves its holder only")
	}
	log := httpapi.NewLogger(env.Stderr, slog.LevelInfo)
	data := env.path(o.data)
	store, err := openStore(ctx, o.store, env)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	defer store.Close()
	shared, err := o.sharedState(ctx, env, log, store, data)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	cat, err := serveCatalog(env, env.path(o.flows), shared.archive)
	if err != nil {
		return err
	}
	cats, err := catalogsFor(env, cat)
	if err != nil {
		return err
	}
	var locales atomic.Pointer[ui.Catalogs]
	locales.Store(cats)
	actionsFor, err := o.serveActions(env, cat.Dir(), data, shared.devices, shared.keys)
	if err != nil {
		return err
	}
	metrics := httpapi.NewMetrics()
	logFailure := httpapi.LogFailures(log)
	observe := func(ctx context.Context, e host.Event) {
		metrics.Observe(ctx, e)
		logFailure(ctx, e)
	}
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: actionsFor, IdleTimeout: o.idle, Secrets: true,
		Observe: observe, RecentSessions: shared.recent, Seal: shared.keys,
		DeviceKeys: devices.NewAccess(shared.devices, shared.keys, rand.Reader)})
	if err != nil {
		return err
	}
	// An archive of this process's own (SQLite) is pruned at start and
	// after every reload of the versions no session needs; a shared one
	// (PostgreSQL) is not: see host.Host.PruneVersions.
	prune := func(ctx context.Context) {
		if !shared.ownArchive {
			return
		}
		if gone, err := h.PruneVersions(ctx); err != nil {
			log.Error("prune the version archive", "err", err)
		} else if len(gone) > 0 {
			log.Info("pruned the version archive", "versions", gone)
		}
	}
	prune(ctx)
	reload := func(ctx context.Context) (*catalog.Changes, error) {
		ch, err := cat.Reload(ctx)
		if err == nil && ch != nil && ch.Applied {
			prune(ctx)
			// The flows' texts are the source locale: their catalogs
			// follow them. Broken catalogs keep the ones before.
			if cats, err := ui.Load(filepath.Join(cat.Dir(), localesDir), flowFiles(cat)); err == nil {
				locales.Store(cats)
			} else {
				log.Error("reload: the catalogs have problems; the ones loaded before keep serving", "err", err)
			}
		}
		return ch, err
	}
	srv, err := httpapi.New(httpapi.Config{Host: h, Log: log, Metrics: metrics,
		CreateRate: limit(o.createRate), CreateBurst: 20, AnswerRate: limit(o.answerRate), AnswerBurst: 50,
		Counter: shared.counter, TrustedProxies: proxies, Reload: relativeErrors(reload, cat.Dir()),
		AdminToken: adminToken, SeparateAdmin: o.adminAddr != "", Catalogs: locales.Load,
		Ready: func(ctx context.Context) error {
			_, err := store.Load(ctx, "readyz")
			if errors.Is(err, host.ErrNotFound) {
				return nil
			}
			return err
		}})
	if err != nil {
		return err
	}
	pages, err := web.New(web.Config{Host: h, Country: o.webCountry, Log: log, SecureCookies: o.secureCookies,
		StartRate: limit(o.createRate), StartBurst: 20, AnswerRate: limit(o.answerRate), AnswerBurst: 50,
		TrustedProxies: proxies, Catalogs: locales.Load})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	hs := &http.Server{
		Handler: serveHandler(srv, pages), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var admin *http.Server
	if o.adminAddr != "" {
		aln, err := net.Listen("tcp", o.adminAddr)
		if err != nil {
			ln.Close()
			return &exitError{code: exitFail, err: fmt.Errorf("--admin-addr: %w", err)}
		}
		admin = &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: time.Minute, MaxHeaderBytes: 16 << 10, ErrorLog: hs.ErrorLog}
		go admin.Serve(aln)
		log.Info("admin listening", "addr", aln.Addr().String())
	}
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		h.Sweep(sweepCtx, host.SweepOptions{Every: o.timers, Batch: o.batch, OnError: func(err error) {
			log.Error("timers", "err", err)
		}})
	})
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "flows", cat.Dir(), "store", redactURL(o.store), "data", data)
	// SIGHUP reloads the flows, as POST /v1/admin/reload does.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var serveErr error
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case serveErr = <-served:
			break wait
		case <-hup:
			logReload(ctx, log, reload)
		}
	}
	// Shut down: no new requests; steps in flight finish and are saved.
	srv.Drain()
	log.Info("shutting down")
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.grace)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		log.Error("shutdown", "err", err)
	}
	if admin != nil {
		admin.Shutdown(grace)
	}
	stopSweep()
	wg.Wait()
	log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return &exitError{code: exitFail, err: serveErr}
	}
	return nil
}
