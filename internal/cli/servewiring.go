package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// serveActions returns how a session's actions are bound to its device:
// over HTTP to the portal at --portal, or to the embedded demo portal on
// its fixture (--portal-fixture, or demo/portal.yaml in the flows
// directory dir), its state kept in data so that a restarted server's
// portal remembers what it did. Devices' saved connections are kept in
// data either way.
func (o *serveOptions) serveActions(env *Env, dir, data string) (func(context.Context, string) (*engine.Registry, error), error) {
	stores, err := env.deviceStores(filepath.Join(data, "devices"))
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
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
			store := stores(device)
			d := c.ForDevice(store)
			return actions.Registry(actions.Ports{
				Portal: d, Licences: d, Accounts: d, Consent: d, Captcha: d,
				Credentials: store, Now: time.Now,
			})
		}, nil
	}
	file := demo.FixtureFile(dir)
	if o.fixture != "" {
		file = env.path(o.fixture)
	}
	fx, err := demo.LoadFixture(file)
	switch {
	case errors.Is(err, demo.ErrNoFixture):
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%w (--portal-fixture FILE names one; --portal URL reaches a portal over HTTP)", err)}
	case err != nil:
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			printErrors(env.Stderr, list)
			return nil, errReported
		}
		return nil, &exitError{code: exitFail, err: err}
	}
	printErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
	phone := &lockedWriter{w: env.Stdout}
	state, err := demoportal.OpenFileState(filepath.Join(data, "portal.json"), time.Now, func(m demoportal.Message) {
		fmt.Fprintf(phone, "demo SMS to %s: %s\n", actions.MaskPhone(m.Phone), m.Text)
	})
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	// A seed of its own each start: a restarted portal must not hand out
	// the tickets it handed out before.
	sealKeys, err := env.sealKeys(data)
	if err != nil {
		return nil, &exitError{code: exitFail, err: fmt.Errorf("seal keys: %w", err)}
	}
	world, err := demo.New(fx, demo.Options{Seed: rand.Uint64(), State: state, Gateway: state.SMS(), Store: stores, KeySeal: sealKeys})
	if err != nil {
		return nil, &exitError{code: exitFail, err: err}
	}
	return world.Actions, nil
}

// logReload reloads the flows with reload and logs what changed, or why
// the new set was refused (the old one keeps serving).
func logReload(ctx context.Context, log *slog.Logger, reload func(context.Context) (*catalog.Changes, error)) {
	ch, err := reload(ctx)
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

// serveCatalog loads the flows directory, its flows and overlays; every
// problem is printed. archive, when not nil, keeps the versions sessions
// run on across restarts (docs/flow-evolution.md).
func serveCatalog(env *Env, dir string, archive catalog.Archive) (*catalog.Catalog, error) {
	reg, err := flowRegistry()
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(dir, catalog.Options{Registry: reg, Archive: archive})
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--flows: %w", err)}
	}
	if err := cat.Err(); err != nil {
		printErrors(env.Stderr, listOf(dir, err))
		return nil, &exitError{code: exitFail}
	}
	return cat, nil
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
		return env.backends.SessionStore(ctx, "sqlite:"+env.path(path)+query)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return env.backends.SessionStore(ctx, url)
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
func (env *Env) deviceStores(dir string) (func(device string) actions.CredentialStore, error) {
	open, err := env.stores(dir)
	if err != nil {
		return nil, err
	}
	return func(device string) actions.CredentialStore {
		h := sha256.Sum256([]byte(device))
		return open(filepath.Join(dir, hex.EncodeToString(h[:16])+".json"))
	}, nil
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
