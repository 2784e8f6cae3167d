package cli

import (
	"context"
	"flag"
)

// defaultPortalAddr is where portal serve listens unless --addr says.
const defaultPortalAddr = "127.0.0.1:8470"

var portalCommand = &Command{
	Name:  "portal",
	Args:  "serve --fixture FILE --state FILE [--addr ADDR] [--keys FILE] [--rotate-keys] [--faults SPEC | --fault-schedule FILE] [--seed N]",
	Short: "run the demo portal as an HTTP server",
	Long: `
Portal serve runs the demo account portal as a real HTTP server: an OAuth
2.0 authorization server for first-party apps (api/portal.openapi.yaml,
docs/portal-protocol.md) — metadata at /.well-known/oauth-authorization-server
and /.well-known/openid-configuration, its keys at /jwks.json, the
authorization challenge, token, revocation and introspection endpoints,
and the licence, activation and account APIs — with the accounts, licences
and other applications' sign-ins of the fixture (docs/portal-fixture.md), its rules
enforced on the server, its state kept in the SQLite file --state, which
survives restarts (accounts created, failure counters and locks, codes and
SMS counts, consents, grants, its keys). --keys FILE keeps its keys in
that file instead (the embedded demo portal's demo-portal-keys.json, say),
so that both portals sign alike. --rotate-keys adds new signing and
sealing keys at start and keeps only those before them too: the tokens
and device secrets the previous keys issued still verify, older ones no
longer do; /jwks.json names both signing keys.

The first line on stdout is the URL it listens on (--addr 127.0.0.1:0
picks a free port), so that a script can start it and read the port:

	http://127.0.0.1:8470

Then stdout shows the texts the demo SMS gateway "sends", as the phone
would; --outbox FILE also appends each code, each CAPTCHA answer, and at
the start the sign-ins of the fixture's other applications (OpenID Connect
Native single sign-on), to that file as JSON lines, which tether run
--portal URL --outbox FILE reads for an answers file's {{sms}} and
{{captcha}} and for --other-app. Stderr has one JSON log record per
request (slog), with no password, code, session or token.

Faults for testing clients: --faults takes rates with a seed,

	--faults 5xx=0.2,reset=0.1,latency=200ms@0.3,slow=2s@0.05,truncate=0.05,seed=7

and --fault-schedule a YAML or JSON list of the requests that get one:

	- {op: sendCode, request: 1, fault: reset}
	- {op: signInPassword, request: 2, fault: latency, delay: 3s}

--clock TIME runs the portal on a fake clock at that time, which each request's
Tether-Client-Clock header moves: for scripted runs on a fake clock (tether
run --clock), never for a portal a real device uses. SIGINT or SIGTERM
stops it gracefully: requests under way finish, the state is closed.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &PortalServeOptions{}
		fs.StringVar(&o.Fixture, "fixture", "", "the demo portal's fixture `FILE` (required)")
		fs.StringVar(&o.State, "state", "", "the SQLite `FILE` the portal keeps its state in (required; created if missing)")
		fs.StringVar(&o.Addr, "addr", defaultPortalAddr, "the `ADDR` to listen on (host:port); port 0 picks a free one")
		fs.StringVar(&o.Faults, "faults", "", "inject faults at these rates: `SPEC` like 5xx=0.2,reset=0.1,latency=200ms@0.3,seed=7")
		fs.StringVar(&o.Schedule, "fault-schedule", "", "inject the faults this schedule `FILE` lists")
		fs.Uint64Var(&o.Seed, "seed", 0, "seed `N` of the portal's codes, tickets and CAPTCHAs (0: random)")
		fs.StringVar(&o.Outbox, "outbox", "", "append the codes texted and the CAPTCHA answers to this `FILE` as JSON lines")
		fs.StringVar(&o.Clock, "clock", "", "run on a fake clock at this RFC 3339 `TIME`, moved by the requests' Tether-Client-Clock")
		fs.StringVar(&o.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM; with --tls-key)")
		fs.StringVar(&o.TLSKey, "tls-key", "", "the certificate's private key `FILE` (PEM)")
		fs.StringVar(&o.Keys, "keys", "", "keep the portal's signing and sealing keys in this `FILE` (created if missing) instead of --state")
		fs.BoolVar(&o.RotateKeys, "rotate-keys", false, "at start, add new signing and sealing keys and retire all but the previous ones")
		return func(ctx context.Context, env *Env, args []string) error {
			return env.backends.PortalServe(ctx, env, o, args)
		}
	},
	Backends: true,
}

// PortalServeOptions are tether portal serve's flags, as its help
// describes them: what Backends.PortalServe runs with.
type PortalServeOptions struct {
	Fixture, State, Addr, Faults, Schedule string
	Seed                                   uint64
	Outbox, Clock, TLSCert, TLSKey, Keys   string
	RotateKeys                             bool
}
