package servecmd

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/web"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/internal/logbuf"
	"github.com/tetherflow/tether/internal/seal"
	"github.com/tetherflow/tether/ui"
)

// serveOptions are serve's flags, with the methods that run it.
type serveOptions cli.ServeOptions

// logWindow is how long a busy server's log lines wait to go out
// together: what a crash can lose of its log.
const logWindow = 100 * time.Millisecond

// Serve runs tether serve: cli.Backends.Serve.
func Serve(ctx context.Context, env *cli.Env, opts *cli.ServeOptions, args []string) error {
	o := (*serveOptions)(opts)
	if len(args) != 0 {
		return cli.Usagef("serve takes no arguments")
	}
	if o.Idle <= 0 || o.Timers <= 0 || o.Grace <= 0 || o.Batch <= 0 {
		return cli.Usagef("--idle-timeout, --timer-interval, --timer-batch and --shutdown-timeout must be positive")
	}
	if o.CreateRate < 0 || o.AnswerRate < 0 {
		return cli.Usagef("--create-rate and --answer-rate must not be negative")
	}
	if o.WebCountry != "" {
		if err := country.Check(o.WebCountry); err != nil {
			return cli.Usagef("--web-country: %v", err)
		}
	}
	proxies, err := httpapi.ParseProxies(o.Proxies)
	if err != nil {
		return cli.Usagef("--trusted-proxies: %v", err)
	}
	if o.fleet() && getenv(env, seal.EnvVar) == "" && o.SealKeyFile == "" {
		// A key file of this instance's own would seal what no other
		// instance can open.
		return cli.Usagef("--store %s: the sessions' tickets and the devices' saved connections, which every instance sharing the store reads, are sealed: give every instance the same keys with --seal-key-file FILE or %s (docs/stores.md)", redactURL(o.Store), seal.EnvVar)
	}
	adminToken := env.Getenv("TETHER_ADMIN_TOKEN")
	if o.AdminAddr != "" && adminToken == "" {
		return cli.Usagef("--admin-addr needs TETHER_ADMIN_TOKEN: the admin port serves its holder only")
	}
	// The log, a line a request, goes out in batches when busy
	// (logWindow): a write a request cost the server 2% of its CPU.
	stderr := logbuf.New(env.Stderr, logWindow)
	defer stderr.Close()
	e := *env
	e.Stderr = stderr
	env = &e
	log := httpapi.NewLogger(env.Stderr, slog.LevelInfo)
	data := env.Path(o.Data)
	store, err := openStore(ctx, o.Store, env)
	if err != nil {
		return cli.Exit(cli.ExitFail, err)
	}
	defer store.Close()
	shared, err := o.sharedState(ctx, env, log, store, data)
	if err != nil {
		return cli.Exit(cli.ExitFail, err)
	}
	cat, err := cli.LoadFlows(env, env.Path(o.Flows), shared.archive)
	if err != nil {
		return err
	}
	cats, err := cli.Catalogs(env, cat)
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
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: actionsFor, IdleTimeout: o.Idle, Secrets: true,
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
			if cats, err := cli.ReloadCatalogs(cat); err == nil {
				locales.Store(cats)
			} else {
				log.Error("reload: the catalogs have problems; the ones loaded before keep serving", "err", err)
			}
		}
		return ch, err
	}
	srv, err := httpapi.New(httpapi.Config{Host: h, Log: log, Metrics: metrics,
		CreateRate: limit(o.CreateRate), CreateBurst: 20, AnswerRate: limit(o.AnswerRate), AnswerBurst: 50,
		Counter: shared.counter, TrustedProxies: proxies, Reload: relativeErrors(reload, cat.Dir()),
		AdminToken: adminToken, SeparateAdmin: o.AdminAddr != "", Catalogs: locales.Load,
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
	pages, err := web.New(web.Config{Host: h, Country: o.WebCountry, Log: log, SecureCookies: o.SecureCookies,
		StartRate: limit(o.CreateRate), StartBurst: 20, AnswerRate: limit(o.AnswerRate), AnswerBurst: 50,
		TrustedProxies: proxies, Catalogs: locales.Load})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return cli.Exit(cli.ExitFail, err)
	}
	hs := &http.Server{
		Handler: serveHandler(srv, pages), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var admin *http.Server
	if o.AdminAddr != "" {
		aln, err := net.Listen("tcp", o.AdminAddr)
		if err != nil {
			ln.Close()
			return cli.Exit(cli.ExitFail, fmt.Errorf("--admin-addr: %w", err))
		}
		admin = &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: time.Minute, MaxHeaderBytes: 16 << 10, ErrorLog: hs.ErrorLog}
		go admin.Serve(aln)
		log.Info("admin listening", "addr", aln.Addr().String())
	}
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		h.Sweep(sweepCtx, host.SweepOptions{Every: o.Timers, Batch: o.Batch, OnError: func(err error) {
			log.Error("timers", "err", err)
		}})
	})
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "flows", cat.Dir(), "store", redactURL(o.Store), "data", data)
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
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Grace)
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
		return cli.Exit(cli.ExitFail, serveErr)
	}
	return nil
}
