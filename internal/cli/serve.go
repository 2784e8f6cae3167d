package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/adapters/web"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

var serveCommand = &Command{
	Name:  "serve",
	Args:  "[--flows DIR] [--store URL] [--addr ADDR] [flags]",
	Short: "serve flow sessions over HTTP",
	Long: `
Serve hosts sessions of the flows in DIR for client applications over HTTP
(docs/api.md; the OpenAPI document is at /openapi.json): POST /v1/sessions
starts one, and its prompts are answered until it ends. People get the
same sessions as web pages at / (docs/web.md): open http://ADDR/ in a
browser; --web-region picks the country they start in. Every step is saved
in the session store before it is answered, with the portal calls it made;
due timers fire without a client; sessions idle for --idle-timeout expire.

--store is sqlite:PATH (the default, sqlite:tether.db), a postgres:// URL
(several instances may share one database; docs/stores.md), or memory:
(nothing survives the process).

The portal is the embedded demo portal (accounts in DIR/demo/portal.yaml,
docs/portal-fixture.md), its state kept in --data so that a restarted
server goes on with its sessions' sign-ins. Its SMS gateway prints the
texts it "sends" on stdout, as the phones would show them; the log (JSON
lines, secrets redacted) goes to stderr. With --portal URL the sessions
reach the portal over HTTP instead (tether portal serve, or a vendor's;
docs/portal-protocol.md), and several servers can share it.

A device is what a client names in POST /v1/sessions: an id it keeps for
the device it runs on. The server keeps each device's saved connection
(the credential store the flow reads and writes) in --data/devices.

SIGTERM or SIGINT stops the server gracefully: /readyz answers 503, no new
connection is taken, steps in flight are saved and answered, then it exits.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &serveOptions{}
		fs.StringVar(&o.flows, "flows", "flows", "the flows `directory`")
		fs.StringVar(&o.store, "store", "sqlite:tether.db", "the session store `URL`: sqlite:PATH, postgres://..., memory:")
		fs.StringVar(&o.portal, "portal", "", "the account portal's `URL` (default: the embedded demo portal)")
		fs.StringVar(&o.portalCA, "portal-ca", "", "with --portal: trust only the CA certificates in this PEM `file`")
		fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "the `address` to listen on")
		fs.StringVar(&o.data, "data", ".tether-server", "`directory` of the devices' saved connections and the demo portal's state")
		fs.DurationVar(&o.idle, "idle-timeout", 30*time.Minute, "how long a session lives without a step")
		fs.DurationVar(&o.timers, "timer-interval", time.Second, "how often due timers are looked for")
		fs.IntVar(&o.batch, "timer-batch", 100, "how many due sessions one instance claims at a time")
		fs.DurationVar(&o.grace, "shutdown-timeout", 30*time.Second, "how long steps in flight may take to finish at shutdown")
		fs.Float64Var(&o.createRate, "create-rate", 1, "sessions a client address may create per second (bursts of 20); 0: no limit")
		fs.Float64Var(&o.answerRate, "answer-rate", 10, "requests about sessions a client address may make per second (bursts of 50); 0: no limit")
		fs.StringVar(&o.webRegion, "web-region", "", "the `country` (ISO 3166-1 alpha-2) the web pages start sessions for unless the person picks another (default: the flow's defaults)")
		fs.BoolVar(&o.secureCookies, "secure-cookies", false, "mark the web pages' cookies Secure on plain HTTP too (behind a proxy that terminates TLS)")
		return o.run
	},
}

type serveOptions struct {
	flows, store, portal, addr, data string
	portalCA, webRegion              string
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
	if o.webRegion != "" {
		if err := catalog.CheckCountry(o.webRegion); err != nil {
			return usagef("--web-region: %v", err)
		}
	}
	log := httpapi.NewLogger(env.Stderr, slog.LevelInfo)
	data := env.path(o.data)
	archive, err := catalog.NewDirArchive(filepath.Join(data, "versions"))
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	cat, fx, err := serveCatalog(env, env.path(o.flows), archive)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, o.store, env)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	defer store.Close()
	actionsFor, err := o.serveActions(env, fx, data)
	if err != nil {
		return err
	}
	metrics := httpapi.NewMetrics()
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: actionsFor, IdleTimeout: o.idle, Secrets: true, Observe: metrics.Observe})
	if err != nil {
		return err
	}
	srv, err := httpapi.New(httpapi.Config{Host: h, Log: log, Metrics: metrics,
		CreateRate: limit(o.createRate), CreateBurst: 20, AnswerRate: limit(o.answerRate), AnswerBurst: 50,
		Reload: cat.Reload, AdminToken: env.Getenv("TETHER_ADMIN_TOKEN"),
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
	pages, err := web.New(web.Config{Host: h, Country: o.webRegion, Log: log, SecureCookies: o.secureCookies,
		StartRate: limit(o.createRate), StartBurst: 20, AnswerRate: limit(o.answerRate), AnswerBurst: 50})
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
			logReload(ctx, log, cat)
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
	stopSweep()
	wg.Wait()
	log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return &exitError{code: exitFail, err: serveErr}
	}
	return nil
}

// serveActions returns how a session's actions are bound to its device:
// over HTTP to the portal at --portal, or to the embedded demo portal,
// its state kept in data so that a restarted server's portal remembers
// what it did. Devices' saved connections are kept in data either way.
func (o *serveOptions) serveActions(env *Env, fx demoportal.Fixture, data string) (func(context.Context, string) (*engine.Registry, error), error) {
	stores := deviceStores(filepath.Join(data, "devices"))
	if o.portal != "" {
		popts := portalhttp.Options{}
		if o.portalCA != "" {
			ca, err := os.ReadFile(env.path(o.portalCA))
			if err != nil {
				return nil, &exitError{code: exitUsage, err: fmt.Errorf("--portal-ca: %w", err)}
			}
			popts.CA = ca
		}
		c, err := portalhttp.New(o.portal, popts)
		if err != nil {
			return nil, usagef("--portal: %v", err)
		}
		return func(ctx context.Context, device string) (*engine.Registry, error) {
			return actions.Registry(actions.Ports{
				Portal: c, Licences: c, Accounts: c, Consent: c, Captcha: c,
				Credentials: stores(device), Now: time.Now,
			})
		}, nil
	}
	phone := &lockedWriter{w: env.Stdout}
	state, err := demoportal.OpenFileState(filepath.Join(data, "portal.json"), time.Now, func(m demoportal.Message) {
		fmt.Fprintf(phone, "demo SMS to %s: %s\n", actions.MaskPhone(m.Phone), m.Text)
	})
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	// A seed of its own each start: a restarted portal must not hand out
	// the tickets it handed out before.
	world, err := demo.New(fx, demo.Options{Seed: rand.Uint64(), State: state, Gateway: state.SMS(), Store: stores})
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	return world.Actions, nil
}

// logReload reloads the flows and logs what changed, or why the new set
// was refused (the old one keeps serving).
func logReload(ctx context.Context, log *slog.Logger, cat *catalog.Catalog) {
	ch, err := cat.Reload(ctx)
	switch {
	case ch != nil && !ch.Applied:
		log.Error("reload refused: the flows have problems; the ones loaded before keep serving", "errors", ch.Errors)
	case err != nil:
		log.Error("reload", "err", err)
	default:
		log.Info("reloaded", "flows", ch.Flows, "dropped", ch.Dropped)
	}
}

// limit is a rate flag as a limit: 0 is none.
func limit(perSecond float64) rate.Limit {
	if perSecond == 0 {
		return rate.Inf
	}
	return rate.Limit(perSecond)
}

// serveCatalog loads the flows directory and its demo portal fixture;
// every problem is printed.
// archive, when not nil, keeps the versions sessions run on across
// restarts (docs/flow-evolution.md).
func serveCatalog(env *Env, dir string, archive catalog.Archive) (*catalog.Catalog, demoportal.Fixture, error) {
	var fx demoportal.Fixture
	reg, err := flowRegistry()
	if err != nil {
		return nil, fx, err
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Archive: archive, CheckFixture: func(path string) (err error) {
		fx, err = demoportal.LoadFixture(path)
		return err
	}})
	if err != nil {
		return nil, fx, &exitError{code: exitUsage, err: fmt.Errorf("--flows: %w", err)}
	}
	if err := cat.Err(); err != nil {
		printErrors(env.Stderr, listOf(dir, err))
		return nil, fx, &exitError{code: exitFail}
	}
	if cat.Fixture() == "" {
		return nil, fx, &exitError{code: exitUsage, err: fmt.Errorf("no demo portal fixture: want %s", filepath.Join(dir, "demo", "portal.yaml"))}
	}
	return cat, fx, nil
}

// openStore opens the session store a URL names.
func openStore(ctx context.Context, url string, env *Env) (host.ServerStore, error) {
	switch {
	case url == "memory:":
		return memory.New(), nil
	case strings.HasPrefix(url, "sqlite:"):
		path, query, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"), "?")
		if query != "" {
			query = "?" + query
		}
		return sqlite.Open(ctx, "sqlite:"+env.path(path)+query)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	}
	return nil, usagef("--store %q: want sqlite:PATH, postgres://... or memory:", redactURL(url))
}

// redactURL drops a URL's password, for logs and messages.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	auth, hostPart, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if user, _, hasPw := strings.Cut(auth, ":"); hasPw {
		return scheme + "://" + user + ":***@" + hostPart
	}
	return u
}

// deviceStores keeps each device's credential store in dir, in a file
// named by a hash of the device id: the id comes from a client.
func deviceStores(dir string) func(device string) *credstore.Store {
	return func(device string) *credstore.Store {
		h := sha256.Sum256([]byte(device))
		return credstore.New(filepath.Join(dir, hex.EncodeToString(h[:16])+".json"))
	}
}

// lockedWriter serialises writes: texts are delivered from many steps.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
