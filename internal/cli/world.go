package cli

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/internal/atomicfile"
	"github.com/tetherflow/tether/internal/seal"
)

// runWorld is where a run's actions reach: the embedded demo portal, or a
// portal over HTTP.
type runWorld interface {
	// Actions returns the action library bound to device.
	Actions(ctx context.Context, device string) (*engine.Registry, error)
	// Lookup resolves an answers file's {{sms}} and {{captcha}}.
	Lookup(name string) (string, bool)
	// SaveOtherApp saves the Native SSO sign-in of the vendor application
	// app on device, as if it had signed in there.
	SaveOtherApp(ctx context.Context, device, app string) error
}

// demoKeysFile is the file, next to a device's credential store, where
// the embedded demo portal keeps its keys between runs: the tokens an
// earlier run's portal signed still verify, and no one without the file
// can sign one.
func (env *Env) demoKeysFile(device string) string {
	return filepath.Join(env.deviceDir(device), "demo-portal-keys.json")
}

// demoKeys returns the embedded demo portal's keys from the file next to
// device's store, making them (from seed: reproducible runs) and the file
// when there is none.
func (env *Env) demoKeys(device string, seed uint64) (*demoportal.Keys, error) {
	return env.demoKeysAt(env.demoKeysFile(device), seed)
}

// demoKeysAt returns the demo portal's keys from the file at path, sealed
// with the keys of its directory, making them (from seed) and the file
// when there is none.
func (env *Env) demoKeysAt(path string, seed uint64) (*demoportal.Keys, error) {
	sk, err := env.sealKeys(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("seal keys: %w", err)
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if data, err = openFile(sk, data, "demo portal keys"); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		k, err := demoportal.UnmarshalKeys(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 5))
	k, err := demoportal.NewKeys(randBytes{r})
	if err != nil {
		return nil, err
	}
	return &k, saveDemoKeys(sk, path, k)
}

// saveDemoKeys writes the demo portal's keys to the file at path, sealed
// with sk.
func saveDemoKeys(sk *seal.Keys, path string, k demoportal.Keys) error {
	data, err := demoportal.MarshalKeys(k)
	if err != nil {
		return err
	}
	if data, err = sealFile(sk, data, "demo portal keys"); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("keep the demo portal's keys: %w", err)
	}
	return nil
}

// rotateDemoKeys rotates the keys in the file at path (making them first
// if there are none): new current ones from crypto/rand, the previous
// ones kept, older ones retired.
func (env *Env) rotateDemoKeys(path string, seed uint64) (*demoportal.Keys, error) {
	k, err := env.demoKeysAt(path, seed)
	if err != nil {
		return nil, err
	}
	sk, err := env.sealKeys(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("seal keys: %w", err)
	}
	if err := k.Rotate(crand.Reader); err != nil {
		return nil, err
	}
	k.Retire(keptKeys)
	return k, saveDemoKeys(sk, path, *k)
}

// keptKeys is how many signing and sealing keys portal serve --rotate-keys
// keeps: the new ones and those before, so that what the previous keys
// signed still verifies until the next rotation.
const keptKeys = 2

// randBytes reads bytes from a seeded source.
type randBytes struct{ r *rand.Rand }

func (b randBytes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b.r.Uint32())
	}
	return len(p), nil
}

// world returns the run's world: the demo world on the fixture, or with
// --portal a client of the portal at that URL. With neither, for a flow
// that runs no action, it is a world with no portal.
func (o *runOptions) world(env *Env, fx *demoportal.Fixture, now func() time.Time, clock *fakeClock, seed uint64, device string) (runWorld, error) {
	stores, err := env.stores(env.deviceDir(device))
	if err != nil {
		return nil, err
	}
	switch {
	case o.portal == "" && fx == nil:
		return noPortal{}, nil
	case o.portal == "":
		keys, err := env.demoKeys(device, seed)
		if err != nil {
			return nil, err
		}
		w, err := demo.New(*fx, demo.Options{Now: now, Seed: seed, SMS: env.Stderr, Store: stores, Keys: keys})
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	opts := portalhttp.Options{}
	if clock != nil {
		// A simulator on a fake clock follows the run's.
		opts.Clock = clock.Now
	}
	if o.portalCA != "" {
		ca, err := os.ReadFile(env.path(o.portalCA))
		if err != nil {
			return nil, fmt.Errorf("--portal-ca: %w", err)
		}
		opts.CA = ca
	}
	c, err := portalhttp.New(o.portal, opts)
	if err != nil {
		return nil, fmt.Errorf("--portal: %w", err)
	}
	outbox := ""
	if o.outbox != "" {
		outbox = env.path(o.outbox)
	}
	return &remoteWorld{client: c, now: now, outbox: outbox, stores: stores}, nil
}

// noPortal is the world of a flow that runs no action: there is nothing
// to reach. The actions are there, with no port, because the host binds
// the library whatever the flow runs.
type noPortal struct{}

func (noPortal) Actions(context.Context, string) (*engine.Registry, error) {
	return actions.Registry(actions.Ports{})
}

func (noPortal) Lookup(string) (string, bool) { return "", false }

func (noPortal) SaveOtherApp(_ context.Context, _, app string) error {
	return fmt.Errorf("%w %q: this flow reaches no portal", demo.ErrNoSuchApp, app)
}

// remoteWorld is a portal over HTTP.
type remoteWorld struct {
	client *portalhttp.Client
	now    func() time.Time
	outbox string // the portal's journal; "" when none was given
	stores func(device string) actions.CredentialStore
}

func (w *remoteWorld) Actions(ctx context.Context, device string) (*engine.Registry, error) {
	store := w.stores(device)
	d := w.client.ForDevice(store)
	return actions.Registry(actions.Ports{
		Portal: d, Licences: d, Accounts: d, Consent: d, Captcha: d,
		Credentials: store, Now: w.now,
	})
}

// Lookup reads the last code, or CAPTCHA answer, from the portal's
// journal.
func (w *remoteWorld) Lookup(name string) (string, bool) {
	kind := map[string]string{"sms": smsoutbox.KindSMS, "captcha": smsoutbox.KindCaptcha}[name]
	if kind == "" {
		return "", false
	}
	rec, ok := w.last(kind, func(smsoutbox.Record) bool { return true })
	if !ok {
		return "", false
	}
	if kind == smsoutbox.KindSMS {
		return rec.Code, rec.Code != ""
	}
	return rec.Answer, rec.Answer != ""
}

// last returns the last record of kind in the portal's journal that keep
// takes.
func (w *remoteWorld) last(kind string, keep func(smsoutbox.Record) bool) (smsoutbox.Record, bool) {
	if w.outbox == "" {
		return smsoutbox.Record{}, false
	}
	f, err := os.Open(w.outbox)
	if err != nil {
		return smsoutbox.Record{}, false
	}
	defer f.Close()
	rec, ok, err := smsoutbox.LastWhere(f, kind, keep)
	return rec, ok && err == nil
}

// SaveOtherApp saves the sign-in of app the portal wrote to its journal
// when it started (portal serve --outbox).
func (w *remoteWorld) SaveOtherApp(ctx context.Context, device, app string) error {
	if w.outbox == "" {
		return fmt.Errorf("%w %q: with --portal, the other applications' sign-ins are in the portal's journal (--outbox FILE)", demo.ErrNoSuchApp, app)
	}
	rec, ok := w.last(smsoutbox.KindSSO, func(r smsoutbox.Record) bool { return r.SSO != nil && r.SSO.App == app })
	if !ok {
		return fmt.Errorf("%w %q (the portal's journal %s has none)", demo.ErrNoSuchApp, app, w.outbox)
	}
	return w.stores(device).Save(ctx, *rec.SSO)
}
