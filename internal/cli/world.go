package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/engine"
)

// runWorld is where a run's actions reach: the embedded demo portal, or a
// portal over HTTP.
type runWorld interface {
	// Actions returns the action library bound to device.
	Actions(ctx context.Context, device string) (*engine.Registry, error)
	// Lookup resolves an answers file's {{sms}} and {{captcha}}.
	Lookup(name string) (string, bool)
}

// world returns the run's world: the demo world on the fixture, or with
// --portal a client of the portal at that URL. With neither, for a flow
// that runs no action, it is a world with no portal.
func (o *runOptions) world(env *Env, fx *demoportal.Fixture, now func() time.Time, clock *fakeClock, seed uint64) (runWorld, error) {
	switch {
	case o.portal == "" && fx == nil:
		return noPortal{}, nil
	case o.portal == "":
		return demo.New(*fx, demo.Options{Now: now, Seed: seed, SMS: env.Stderr, Store: credstore.New})
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
	return &remoteWorld{client: c, now: now, outbox: outbox}, nil
}

// noPortal is the world of a flow that runs no action: there is nothing
// to reach. The actions are there, with no port, because the host binds
// the library whatever the flow runs.
type noPortal struct{}

func (noPortal) Actions(context.Context, string) (*engine.Registry, error) {
	return actions.Registry(actions.Ports{})
}

func (noPortal) Lookup(string) (string, bool) { return "", false }

// remoteWorld is a portal over HTTP.
type remoteWorld struct {
	client *portalhttp.Client
	now    func() time.Time
	outbox string // the portal's journal; "" when none was given
}

func (w *remoteWorld) Actions(ctx context.Context, device string) (*engine.Registry, error) {
	c := w.client
	return actions.Registry(actions.Ports{
		Portal: c, Licences: c, Accounts: c, Consent: c, Captcha: c,
		Credentials: credstore.New(device), Now: w.now,
	})
}

// Lookup reads the last code, or CAPTCHA answer, from the portal's
// journal.
func (w *remoteWorld) Lookup(name string) (string, bool) {
	kind := map[string]string{"sms": smsoutbox.KindSMS, "captcha": smsoutbox.KindCaptcha}[name]
	if w.outbox == "" || kind == "" {
		return "", false
	}
	f, err := os.Open(w.outbox)
	if err != nil {
		return "", false
	}
	defer f.Close()
	rec, ok, err := smsoutbox.Last(f, kind)
	if err != nil || !ok {
		return "", false
	}
	if kind == smsoutbox.KindSMS {
		return rec.Code, rec.Code != ""
	}
	return rec.Answer, rec.Answer != ""
}

// saveOtherApp saves the fixture's token of app on device.
func saveOtherApp(ctx context.Context, fx demoportal.Fixture, device, app string) error {
	return demo.SaveOtherApp(ctx, fx, credstore.New(device), app)
}
