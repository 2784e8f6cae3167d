package portaltest_test

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/demoportal/sqlite"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/api"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
)

// benchPortals returns the portals a benchmark compares: in process (on
// memory), and over loopback HTTP with the state in memory and in SQLite,
// so that the transport's cost and the state's show apart.
func benchPortals(b *testing.B) map[string]func(b *testing.B) api.Portal {
	start := func(b *testing.B, st demoportal.State) *demoportal.Portal {
		fx, err := demoportal.LoadFixture(shippedFixture)
		if err != nil {
			b.Fatal(err)
		}
		now := func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) }
		p, err := demoportal.New(fx, now, rand.New(rand.NewPCG(1, 1)), discard{}, demoportal.WithState(st))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	overHTTP := func(b *testing.B, p *demoportal.Portal) api.Portal {
		srv := httptest.NewServer(portalserver.New(p, portalserver.Options{}))
		b.Cleanup(srv.Close)
		c, err := portalhttp.New(srv.URL, portalhttp.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	return map[string]func(b *testing.B) api.Portal{
		"in-process": func(b *testing.B) api.Portal { return start(b, demoportal.NewMemoryState()) },
		"http-memory": func(b *testing.B) api.Portal {
			return overHTTP(b, start(b, demoportal.NewMemoryState()))
		},
		"http-sqlite": func(b *testing.B) api.Portal {
			st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "portal.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return overHTTP(b, start(b, st))
		},
	}
}

type discard struct{}

func (discard) Send(context.Context, string, string) error { return nil }

// BenchmarkPortalCall is one call of the portal: a CAPTCHA challenge (a
// POST, kept under its idempotency key) and a token check (a GET).
func BenchmarkPortalCall(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"in-process", "http-memory", "http-sqlite"} {
		b.Run("newCaptcha/"+name, func(b *testing.B) {
			p := benchPortals(b)[name](b)
			for b.Loop() {
				if _, err := p.NewChallenge(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("checkToken/"+name, func(b *testing.B) {
			p := benchPortals(b)[name](b)
			for b.Loop() {
				if c, err := p.CheckToken(ctx, "tok-demo-mail-valid-0001"); err != nil || !c.Valid {
					b.Fatal(c, err)
				}
			}
		})
	}
}

// BenchmarkConnectSession is a whole connect session of solo@example.com
// (sign in, accept the regulation, connect, list the licences, activate
// one: seven portal calls) through the shipped connect flow.
func BenchmarkConnectSession(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"in-process", "http-memory", "http-sqlite"} {
		b.Run(name, func(b *testing.B) {
			p := benchPortals(b)[name](b)
			dir := b.TempDir()
			reg, err := actions.Registry(actions.Ports{Portal: p, Licences: p, Accounts: p, Consent: p, Captcha: p,
				Credentials: credstore.New(filepath.Join(dir, "creds.json"))})
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
