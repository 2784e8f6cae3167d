package portaltest_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/demoportal/sqlite"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/portaltest"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
)

// benchPortal is a portal under benchmark: the portal, and a device's
// client of it.
type benchPortal struct {
	portal *demoportal.Portal
	client func(store actions.CredentialStore) portaltest.Portal
}

// benchPortals returns the portals a benchmark compares: in process (on
// memory, reached without a socket, as tether run does), and over
// loopback HTTP with the state in memory and in SQLite, so that the
// transport's cost and the state's show apart.
func benchPortals(b *testing.B) map[string]func(b *testing.B) benchPortal {
	now := func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }
	start := func(b *testing.B, st demoportal.State, issuer string) *demoportal.Portal {
		fx, err := demoportal.LoadFixture(shippedFixture)
		if err != nil {
			b.Fatal(err)
		}
		p, err := demoportal.New(fx, now, rand.New(rand.NewPCG(1, 1)), discard{}, demoportal.WithState(st), demoportal.WithIssuer(issuer))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	device := func(url string, rt http.RoundTripper) func(actions.CredentialStore) portaltest.Portal {
		c, err := portalhttp.New(url, portalhttp.Options{Transport: rt, Clock: now})
		if err != nil {
			b.Fatal(err)
		}
		return func(s actions.CredentialStore) portaltest.Portal { return c.ForDevice(s) }
	}
	overHTTP := func(b *testing.B, st demoportal.State) benchPortal {
		var h atomic.Value
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
		b.Cleanup(srv.Close)
		p := start(b, st, srv.URL)
		h.Store(http.Handler(portalserver.New(p, portalserver.Options{Now: now})))
		return benchPortal{p, device(srv.URL, nil)}
	}
	return map[string]func(b *testing.B) benchPortal{
		"in-process": func(b *testing.B) benchPortal {
			p := start(b, demoportal.NewMemoryState(), demoportal.DemoIssuer)
			return benchPortal{p, device(demoportal.DemoIssuer, portalhttp.InProcess(portalserver.New(p, portalserver.Options{Now: now})))}
		},
		"http-memory": func(b *testing.B) benchPortal { return overHTTP(b, demoportal.NewMemoryState()) },
		"http-sqlite": func(b *testing.B) benchPortal {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "portal.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return overHTTP(b, st)
		},
	}
}

type discard struct{}

func (discard) Send(context.Context, string, string) error { return nil }

// BenchmarkPortalCall is one call of the portal: a CAPTCHA challenge and
// a Native SSO token exchange, each a POST with a DPoP proof, kept under
// its idempotency key.
func BenchmarkPortalCall(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"in-process", "http-memory", "http-sqlite"} {
		b.Run("newCaptcha/"+name, func(b *testing.B) {
			p := benchPortals(b)[name](b).client(&portaltest.MemoryStore{})
			for b.Loop() {
				if _, err := p.NewChallenge(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("ssoSignIn/"+name, func(b *testing.B) {
			bp := benchPortals(b)[name](b)
			mail, err := bp.portal.OtherApp(ctx, "vendor-mail")
			if err != nil {
				b.Fatal(err)
			}
			p := bp.client(&portaltest.MemoryStore{})
			for b.Loop() {
				if s, err := p.SSOSignIn(ctx, mail.IDToken, mail.DeviceSecret); err != nil || s.Status != actions.SignInOK {
					b.Fatal(s, err)
				}
			}
		})
	}
}

// BenchmarkConnectSession is a whole connect session of solo@example.com
// (sign in, accept the regulation, connect, list the licences, activate
// one: eight portal calls) through the shipped connect flow.
func BenchmarkConnectSession(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"in-process", "http-memory", "http-sqlite"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			store := credstore.New(filepath.Join(dir, "creds.json"))
			p := benchPortals(b)[name](b).client(store)
			reg, err := actions.Registry(actions.Ports{Portal: p, Licences: p, Accounts: p, Consent: p, Captcha: p,
				Credentials: store})
			if err != nil {
				b.Fatal(err)
			}
			cat, err := catalog.Load("../../flows", catalog.Options{Registry: reg})
			if err != nil {
				b.Fatal(err)
			}
			c, err := cat.Compiled("connect", "")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				os.Remove(filepath.Join(dir, "creds.json")) // sign in by password every time
				s, err := c.Flow.Start(ctx, engineports(reg))
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Send(ctx, "continue", map[string]any{"email": "solo@example.com", "password": "Solo-pass-2024"}); err != nil {
					b.Fatal(err)
				}
				if err := s.Send(ctx, "accept", nil); err != nil {
					b.Fatal(err)
				}
				if out := s.Current().Outcome; out == nil || out.Name != "connected" {
					b.Fatalf("the session ended %+v at %s", out, s.Current().State)
				}
			}
		})
	}
}

func engineports(reg *engine.Registry) engine.Ports { return engine.Ports{Actions: reg} }
