package cli

import (
	"context"
	"flag"
	"time"

	"github.com/tetherflow/tether/internal/seal"
)

var serveCommand = &Command{
	Name:  "serve",
	Args:  "[--flows DIR] [--store URL] [--addr ADDR] [--web-country CC] [flags]",
	Short: "serve flow sessions over HTTP",
	Long: `
Serve hosts sessions of the flows in --flows DIR for client applications
over HTTP (docs/api.md; the OpenAPI document is at /openapi.json): POST
/v1/sessions starts one, and its prompts are answered until it ends.
People get the same sessions as web pages at / (docs/web.md): open
http://ADDR/ in a browser; --web-country CC (ISO 3166-1 alpha-2, e.g. DE)
picks the country they start in, whose regional policy applies. Every step
is saved in the session store before it is answered, with the portal calls
it made; due timers fire without a client; sessions idle for --idle-timeout
expire.

--store is sqlite:PATH (the default, sqlite:tether.db), a postgres:// URL
(several instances may share one database; docs/stores.md), or memory:
(nothing survives the process).

Everything a later step may need is kept in the store: the sessions, the
requests they answered, the flow versions they run on, each device's saved
connection and, with PostgreSQL, the rate limits' counters. Instances
sharing a PostgreSQL store can each take any step; --data is not shared.

The portal is the embedded demo portal, its accounts in its fixture
(DIR/demo/portal.yaml, or --portal-fixture FILE; docs/portal-fixture.md),
which is read at the start, and its state kept in --data so that a
restarted server goes on with its sessions' sign-ins: it is this
instance's own. Its SMS gateway prints the texts it "sends" on stdout, as
the phones would show them; the log (JSON lines, secrets redacted) goes to
stderr. With --portal URL the sessions reach the portal over HTTP instead
(tether portal serve, or a vendor's; docs/portal-protocol.md): what
several instances sharing a store need, and --data then holds nothing.

A device is what a client names in POST /v1/sessions: an id it keeps for
the device it runs on. Its saved connection (the credential store the flow
reads and writes) is kept in the store, under a hash of the id.

What a thief of the store could use is sealed (AES-256-GCM) with keys kept
outside it: the values a flow marks sensitive (the sign-in ticket) in every
session's record, and the devices' saved connections (tokens, keys). The
keys are those of --seal-key-file FILE, or of TETHER_SEAL_KEYS (a key
file's text): a line per key, its id and its secret in base64, the last
one sealing, every one opening (add a line to rotate; docs/stores.md). Without either, serve makes a key
in --data/seal.keys (mode 0600) at its first start and says so: back it
up apart from the store. Instances sharing a PostgreSQL store must all be
given the same keys, which serve requires there.

--admin-addr serves /metrics on an address of its own, for the holder of
TETHER_ADMIN_TOKEN only, and not on --addr.

SIGTERM or SIGINT stops the server gracefully: /readyz answers 503, no new
connection is taken, steps in flight are saved and answered, then it exits.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &ServeOptions{}
		fs.StringVar(&o.Flows, "flows", "flows", "the flows directory `DIR`")
		fs.StringVar(&o.Store, "store", "sqlite:tether.db", "the session store `URL`: sqlite:PATH, postgres://..., memory:")
		fs.StringVar(&o.Portal, "portal", "", "the account portal's `URL` (default: the embedded demo portal)")
		fs.StringVar(&o.PortalCA, "portal-ca", "", "with --portal: trust only the CA certificates in this PEM `FILE`")
		fs.StringVar(&o.Fixture, "portal-fixture", "", "the embedded demo portal's fixture `FILE` (default: demo/portal.yaml in the flows directory)")
		fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "the `ADDR` to listen on (host:port)")
		fs.StringVar(&o.AdminAddr, "admin-addr", "", "serve /metrics on this `ADDR` (host:port), behind TETHER_ADMIN_TOKEN, instead of on --addr")
		fs.StringVar(&o.Data, "data", ".tether-server", "the `DIR` of the embedded demo portal's state (unused with --portal), and of the seal key made when none is given")
		fs.StringVar(&o.SealKeyFile, "seal-key-file", "", "the seal keys' `FILE` (mode 0600; a line per key, the last one sealing): instead of "+seal.EnvVar+" or --data/seal.keys")
		fs.DurationVar(&o.Idle, "idle-timeout", 30*time.Minute, "how long (a `DURATION`) a session lives without a step")
		fs.DurationVar(&o.Timers, "timer-interval", time.Second, "how often (a `DURATION`) due timers are looked for")
		fs.IntVar(&o.Batch, "timer-batch", 100, "how many (`N`) due sessions one instance claims at a time")
		fs.DurationVar(&o.Grace, "shutdown-timeout", 30*time.Second, "how long (a `DURATION`) steps in flight may take to finish at shutdown")
		fs.Float64Var(&o.CreateRate, "create-rate", 1, "the sessions a client address may create per second, a `RATE` (bursts of 20); 0: no limit")
		fs.Float64Var(&o.AnswerRate, "answer-rate", 10, "the requests about sessions a client address may make per second, a `RATE` (bursts of 50); 0: no limit")
		fs.StringVar(&o.WebCountry, "web-country", "", "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) the web pages start sessions for unless the person picks another (default: the flow's defaults)")
		oldName(fs, "web-region", "web-country")
		fs.StringVar(&o.Proxies, "trusted-proxies", "", "the `CIDRS` of the proxies in front of the server (comma-separated): their X-Forwarded-For names the client, for rate limits and logs")
		fs.BoolVar(&o.SecureCookies, "secure-cookies", false, "mark the web pages' cookies Secure on plain HTTP too (behind a proxy that terminates TLS)")
		return func(ctx context.Context, env *Env, args []string) error {
			return env.backends.Serve(ctx, env, o, args)
		}
	},
	Backends: true,
}

// ServeOptions are tether serve's flags, as its help describes them:
// what Backends.Serve runs with.
type ServeOptions struct {
	Flows, Store, Portal, Addr, Data string
	PortalCA, WebCountry, Proxies    string
	Fixture, AdminAddr, SealKeyFile  string
	Idle, Timers, Grace              time.Duration
	CreateRate, AnswerRate           float64
	Batch                            int
	SecureCookies                    bool
}
