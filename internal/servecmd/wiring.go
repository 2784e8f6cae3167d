package servecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
	"github.com/tetherflow/tether/internal/sqlstores"
)

// serveActions returns the actions sessions run: over HTTP to the portal
// at --portal, or to the embedded demo portal on its fixture
// (--portal-fixture, or demo/portal.yaml in the flows directory dir), its
// state kept in data so that a restarted server's portal remembers what it
// did. Devices' saved connections are kept in recs, the session store,
// sealed with keys, either way: every instance sharing the store sees
// them. One registry serves every session: the credential store, and the
// portal as a device reaches it (DPoP), serve the device of the step that
// calls them (host.Device), so no step builds a registry of its own.
func (o *serveOptions) serveActions(env *cli.Env, dir, data string, recs devices.Records, keys *seal.Keys) (func(context.Context, string) (*engine.Registry, error), error) {
	creds := devices.PerStep(recs, host.Device, keys)
	var reg *engine.Registry
	if o.Portal != "" {
		popts := portalhttp.Options{}
		if o.PortalCA != "" {
			ca, err := os.ReadFile(env.Path(o.PortalCA))
			if err != nil {
				return nil, cli.Exit(cli.ExitUsage, fmt.Errorf("--portal-ca: %w", err))
			}
			popts.CA = ca
		}
		c, err := portalhttp.New(o.Portal, popts)
		if err != nil {
			return nil, cli.Usagef("--portal: %v", err)
		}
		d := c.ForDevice(creds)
		if reg, err = actions.Registry(actions.Ports{
			Portal: d, Licences: d, Accounts: d, Consent: d, Captcha: d,
			Credentials: creds, Now: time.Now,
		}); err != nil {
			return nil, err
		}
	} else {
		world, err := o.demoWorld(env, dir, data, creds, keys)
		if err != nil {
			return nil, err
		}
		if reg, err = world.Actions(context.Background(), ""); err != nil {
			return nil, err
		}
	}
	return func(context.Context, string) (*engine.Registry, error) { return reg, nil }, nil
}

// demoWorld returns the embedded demo portal on its fixture, its state
// kept in data, its keys sealed with keys, every device's credential
// store creds.
func (o *serveOptions) demoWorld(env *cli.Env, dir, data string, creds actions.CredentialStore, keys *seal.Keys) (*demo.World, error) {
	file := demo.FixtureFile(dir)
	if o.Fixture != "" {
		file = env.Path(o.Fixture)
	}
	fx, err := demo.LoadFixture(file)
	switch {
	case errors.Is(err, demo.ErrNoFixture):
		return nil, cli.Exit(cli.ExitUsage, fmt.Errorf("%w (--portal-fixture FILE names one; --portal URL reaches a portal over HTTP)", err))
	case err != nil:
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			cli.PrintErrors(env.Stderr, list)
			return nil, cli.Exit(cli.ExitFail, nil)
		}
		return nil, cli.Exit(cli.ExitFail, err)
	}
	cli.PrintErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
	phone := &lockedWriter{w: env.Stdout}
	state, err := demoportal.OpenFileState(filepath.Join(data, "portal.json"), time.Now, func(m demoportal.Message) {
		fmt.Fprintf(phone, "demo SMS to %s: %s\n", actions.MaskPhone(m.Phone), m.Text)
	})
	if err != nil {
		return nil, cli.Exit(cli.ExitFail, err)
	}
	// A seed of its own each start: a restarted portal must not hand out
	// the tickets it handed out before.
	world, err := demo.New(fx, demo.Options{Seed: rand.Uint64(), State: state, Gateway: state.SMS(),
		Store: func(string) actions.CredentialStore { return creds }, KeySeal: keys})
	if err != nil {
		return nil, cli.Exit(cli.ExitFail, err)
	}
	return world, nil
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

// openStore opens the session store a URL names.
func openStore(ctx context.Context, url string, env *cli.Env) (host.ServerStore, error) {
	switch {
	case url == "memory:":
		return memory.New(), nil
	case strings.HasPrefix(url, "sqlite:"):
		path, query, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"), "?")
		if query != "" {
			query = "?" + query
		}
		return sqlstores.SessionStore(ctx, "sqlite:"+env.Path(path)+query)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return sqlstores.SessionStore(ctx, url)
	}
	return nil, cli.Usagef("--store %q: want sqlite:PATH, postgres://... or memory:", redactURL(url))
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

// importDevices moves the devices' saved connections an older tether
// serve kept in dir (a file per device, named by devices.Key of its id,
// sealed with dir's keys) into the store, sealed with keys, where every
// instance sees them; an entry, or a device key, the store has already is
// kept. The directory is renamed DIR.imported once all are in, so that it
// is read once. It returns how many devices it imported.
func importDevices(ctx context.Context, env *cli.Env, dir string, recs devices.Records, keys *seal.Keys) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return 0, err
	}
	open, err := env.CredentialStores(dir)
	if err != nil {
		return 0, fmt.Errorf("import saved connections: %w", err)
	}
	for _, f := range files {
		from := open(f)
		saved, err := from.Credentials(ctx)
		if err != nil {
			return 0, fmt.Errorf("import saved connections: %w", err)
		}
		to := devices.Keyed(recs, strings.TrimSuffix(filepath.Base(f), ".json"), keys)
		have, err := to.Credentials(ctx)
		if err != nil {
			return 0, fmt.Errorf("import saved connections: %w", err)
		}
		for _, c := range saved {
			if !slices.ContainsFunc(have, func(h actions.Credential) bool { return h.App == c.App }) {
				if err := to.Save(ctx, c); err != nil {
					return 0, fmt.Errorf("import saved connections: %w", err)
				}
			}
		}
		key, err := from.DeviceKey(ctx, func() (string, error) { return "", errNoKey })
		if errors.Is(err, errNoKey) {
			continue
		}
		if err == nil {
			_, err = to.DeviceKey(ctx, func() (string, error) { return key, nil })
		}
		if err != nil {
			return 0, fmt.Errorf("import saved connections: %w", err)
		}
	}
	if err := os.Rename(dir, dir+".imported"); err != nil {
		return 0, fmt.Errorf("import saved connections: %w", err)
	}
	return len(files), nil
}

// errNoKey is a device key asked for and not made: an import takes the
// keys there are.
var errNoKey = errors.New("no device key")

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
