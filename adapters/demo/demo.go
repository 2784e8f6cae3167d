// Package demo is the world a flow connects in when no real portal is
// given: the demo portal loaded from a fixture, with its CAPTCHA, its SMS
// gateway (which shows the codes it sends), and the devices' credential
// stores. Actions are bound per session, to the session's device:
//
//	w, err := demo.New(fx, demo.Options{Now: clock, Seed: 1, SMS: os.Stderr,
//		Store: func(device string) *credstore.Store { return credstore.New(device) }})
//	reg, err := w.Actions(ctx, ".tether/credentials.json")
//
// The world lives as long as its process: accounts created, codes sent and
// tokens issued are forgotten when it ends.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// Options configures a World. Store is required.
type Options struct {
	// Now is the clock of the portal and the actions; nil means time.Now.
	Now func() time.Time
	// Seed seeds the codes, tickets and CAPTCHAs (a demo's are predictable
	// by design).
	Seed uint64
	// SMS is where the SMS gateway shows the texts it sends; nil discards.
	SMS io.Writer
	// Store returns the credential store of a device.
	Store func(device string) *credstore.Store
	// State keeps the portal's state; nil means in memory, for the
	// process's life. A state that outlives the process (a
	// demoportal.FileState) lets a restarted server go on with the
	// sign-ins its sessions are in.
	State demoportal.State
	// Gateway sends the portal's texts instead of the SMS outbox (which
	// writes to SMS): a FileState's, which commits each text with the
	// code it carries. Lookup and LastCode then know no code.
	Gateway demoportal.SMSSender
}

// World is the demo portal and what surrounds it. It is safe for
// concurrent use.
type World struct {
	fx     demoportal.Fixture
	now    func() time.Time
	portal *demoportal.Portal
	outbox *smsoutbox.Outbox
	store  func(device string) *credstore.Store

	mu      sync.Mutex
	known   map[string]bool // devices whose own connection the portal knows
	captcha string          // the answer to the last CAPTCHA challenge
}

// New builds the world from a portal fixture.
func New(fx demoportal.Fixture, opts Options) (*World, error) {
	if opts.Store == nil {
		return nil, errors.New("demo: no credential store")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SMS == nil {
		opts.SMS = io.Discard
	}
	w := &World{
		fx: fx, now: opts.Now, store: opts.Store, known: map[string]bool{},
		outbox: smsoutbox.New(opts.SMS),
	}
	var gateway demoportal.SMSSender = w.outbox
	if opts.Gateway != nil {
		gateway = opts.Gateway
	}
	popts := []demoportal.Option{demoportal.WithCallNotice(recordCall)}
	if opts.State != nil {
		popts = append(popts, demoportal.WithState(opts.State))
	}
	var err error
	popts = append(popts, demoportal.WithCaptchaRand(rand.New(rand.NewPCG(opts.Seed, 2))),
		demoportal.WithCaptchaNotice(w.noteCaptcha))
	if w.portal, err = demoportal.New(fx, opts.Now, rand.New(rand.NewPCG(opts.Seed, 1)), gateway, popts...); err != nil {
		return nil, err
	}
	return w, nil
}

// recordCall records a portal call a session's step made, with the
// idempotency key it carried, as one of the step's effects: the host
// commits it with the step.
func recordCall(ctx context.Context, c demoportal.Call) {
	data, _ := json.Marshal(struct {
		Replayed bool `json:"replayed,omitempty"`
	}{c.Replayed})
	host.RecordEffect(ctx, host.Effect{Key: c.Key, Kind: "portal." + c.Op, Data: data})
}

// noteCaptcha remembers the answer to the portal's last CAPTCHA challenge,
// for Lookup.
func (w *World) noteCaptcha(_, answer string) {
	w.mu.Lock()
	w.captcha = answer
	w.mu.Unlock()
}

// Actions returns the action library bound to device: its credential
// store, and the world's portal (with its CAPTCHA) and clock.
func (w *World) Actions(ctx context.Context, device string) (*engine.Registry, error) {
	store := w.store(device)
	if err := w.remember(ctx, device, store); err != nil {
		return nil, err
	}
	return actions.Registry(actions.Ports{
		Portal: w.portal, Licences: w.portal, Accounts: w.portal, Consent: w.portal,
		Captcha: w.portal, Credentials: store, Now: w.now,
	})
}

// remember tells the portal, once per device, of the device's own saved
// connection: a token an earlier run's portal issued, which this one takes
// as its own.
func (w *World) remember(ctx context.Context, device string, store *credstore.Store) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known[device] {
		return nil
	}
	saved, ok, err := store.Load(ctx, actions.DefaultApp)
	if err != nil {
		return err
	}
	if ok {
		w.portal.Remember(saved)
	}
	w.known[device] = true
	return nil
}

// Portal returns the demo portal.
func (w *World) Portal() *demoportal.Portal { return w.portal }

// LastCode returns the last SMS code the gateway sent, or "".
func (w *World) LastCode() string { return w.outbox.LastCode() }

// Lookup resolves the placeholders answers files use: {{sms}}, the last
// SMS code sent, and {{captcha}}, the answer to the last CAPTCHA.
func (w *World) Lookup(name string) (string, bool) {
	var v string
	switch name {
	case "sms":
		v = w.outbox.LastCode()
	case "captcha":
		w.mu.Lock()
		v = w.captcha
		w.mu.Unlock()
	}
	return v, v != ""
}

// ErrNoSuchApp is wrapped by SaveOtherApp's error for an application the
// fixture saved no token for.
var ErrNoSuchApp = errors.New("the fixture has no token saved by")

// SaveOtherApp saves the fixture's token of the vendor application app in
// device's credential store, as that application would have when it
// signed in there.
func (w *World) SaveOtherApp(ctx context.Context, device, app string) error {
	return SaveOtherApp(ctx, w.fx, w.store(device), app)
}

// SaveOtherApp saves fx's token of the vendor application app in store:
// the demo's way of putting another application's sign-in on a device,
// whichever portal the run then reaches.
func SaveOtherApp(ctx context.Context, fx demoportal.Fixture, store actions.CredentialStore, app string) error {
	var apps []string
	for _, c := range fx.DeviceCredentials() {
		if c.App == app {
			return store.Save(ctx, c)
		}
		apps = append(apps, c.App)
	}
	return fmt.Errorf("%w %q (it has: %s)", ErrNoSuchApp, app, strings.Join(apps, ", "))
}
