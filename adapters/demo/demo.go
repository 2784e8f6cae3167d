// Package demo is the world a flow connects in when no real portal is
// given: the demo portal loaded from a fixture, with its CAPTCHA, its SMS
// gateway (which shows the codes it sends), and the devices' credential
// stores. The portal is the same authorization server tether portal serve
// runs, served in process (portalserver, reached by portalhttp without a
// socket), so that a run here and a run over HTTP give the same answers.
// Actions are bound per session, to the session's device:
//
//	w, err := demo.New(fx, demo.Options{Now: clock, Seed: 1, SMS: os.Stderr,
//		Store: func(device string) actions.CredentialStore { return credstore.New(device) }})
//	reg, err := w.Actions(ctx, ".tether/credentials.json")
//
// The world lives as long as its process: accounts created, codes sent and
// sessions opened are forgotten when it ends. The portal's keys are the
// ones Options.Keys gives (a key file kept next to the device's store), so
// that the tokens an earlier run issued still verify.
package demo

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/engine"
)

// Options configures a World. Store is required.
type Options struct {
	// Now is the clock of the portal and the actions; nil means time.Now.
	Now func() time.Time
	// Seed seeds the codes, sessions, CAPTCHAs and keys (a demo's are
	// predictable by design).
	Seed uint64
	// SMS is where the SMS gateway shows the texts it sends; nil discards.
	SMS io.Writer
	// Store returns the credential store of a device.
	Store func(device string) actions.CredentialStore
	// State keeps the portal's state; nil means in memory, for the
	// process's life. A state that outlives the process (a
	// demoportal.FileState) lets a restarted server go on with the
	// sign-ins its sessions are in.
	State demoportal.State
	// Gateway sends the portal's texts instead of the SMS outbox (which
	// writes to SMS): a FileState's, which commits each text with the
	// code it carries. Lookup and LastCode then know no code.
	Gateway demoportal.SMSSender
	// Keys are the portal's keys; nil means the state's, or new ones
	// drawn from Seed.
	Keys *demoportal.Keys
	// KeySeal seals the portal's keys where State keeps them.
	KeySeal demoportal.Sealer
}

// World is the demo portal and what surrounds it. It is safe for
// concurrent use.
type World struct {
	now    func() time.Time
	portal *demoportal.Portal
	client *portalhttp.Client
	outbox *smsoutbox.Outbox
	store  func(device string) actions.CredentialStore

	mu      sync.Mutex
	captcha string // the answer to the last CAPTCHA challenge
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
	w := &World{now: opts.Now, store: opts.Store, outbox: smsoutbox.New(opts.SMS)}
	var gateway demoportal.SMSSender = w.outbox
	if opts.Gateway != nil {
		gateway = opts.Gateway
	}
	popts := []demoportal.Option{demoportal.WithIssuer(demoportal.DemoIssuer),
		demoportal.WithCaptchaRand(rand.New(rand.NewPCG(opts.Seed, 2))),
		demoportal.WithCaptchaNotice(w.noteCaptcha)}
	if opts.State != nil {
		popts = append(popts, demoportal.WithState(opts.State))
	}
	if opts.Keys != nil {
		popts = append(popts, demoportal.WithKeys(*opts.Keys))
	}
	if opts.KeySeal != nil {
		popts = append(popts, demoportal.WithKeySeal(opts.KeySeal))
	}
	var err error
	if w.portal, err = demoportal.New(fx, opts.Now, rand.New(rand.NewPCG(opts.Seed, 1)), gateway, popts...); err != nil {
		return nil, err
	}
	srv := portalserver.New(w.portal, portalserver.Options{Now: opts.Now})
	w.client, err = portalhttp.New(demoportal.DemoIssuer, portalhttp.Options{
		Transport: portalhttp.InProcess(srv), Clock: opts.Now,
		Rand: &lockedRand{r: rand.New(rand.NewPCG(opts.Seed, 4))},
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// lockedRand reads random bytes from a seeded source, one reader at a
// time.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) Read(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range b {
		b[i] = byte(l.r.Uint32())
	}
	return len(b), nil
}

// noteCaptcha remembers the answer to the portal's last CAPTCHA challenge,
// for Lookup.
func (w *World) noteCaptcha(_, answer string) {
	w.mu.Lock()
	w.captcha = answer
	w.mu.Unlock()
}

// Actions returns the action library bound to device: its credential
// store, and the world's portal (with its CAPTCHA) as the device reaches
// it, and its clock.
func (w *World) Actions(ctx context.Context, device string) (*engine.Registry, error) {
	store := w.store(device)
	d := w.client.ForDevice(store)
	return actions.Registry(actions.Ports{
		Portal: d, Licences: d, Accounts: d, Consent: d,
		Captcha: d, Credentials: store, Now: w.now,
	})
}

// Portal returns the demo portal.
func (w *World) Portal() *demoportal.Portal { return w.portal }

// Device returns the portal as device reaches it.
func (w *World) Device(device string) *portalhttp.Device {
	return w.client.ForDevice(w.store(device))
}

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
// fixture has no Native SSO session of.
var ErrNoSuchApp = demoportal.ErrNoSuchApp

// SaveOtherApp saves, in device's credential store, the Native SSO sign-in
// the fixture gives the vendor application app: an ID token and a device
// secret the portal issues it, as that application would have saved them
// when it signed in there.
func (w *World) SaveOtherApp(ctx context.Context, device, app string) error {
	c, err := w.portal.OtherApp(ctx, app)
	if err != nil {
		return err
	}
	return w.store(device).Save(ctx, c)
}
