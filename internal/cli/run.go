package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/flowinfo"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/host"
)

// Exit codes of tether run beyond Main's.
const (
	exitUnfinished  = 3   // the run could not finish: portal failure, answers exhausted
	exitInterrupted = 130 // Ctrl-C: 128 + SIGINT, as shells report it
)

// defaultCredentials is where the device credential store lives unless
// --credentials says otherwise (docs/credentials.md).
const defaultCredentials = credstore.DefaultPath

var runCommand = &Command{
	Name:  "run",
	Args:  "FLOW [--country CC] [--answers FILE] [flags] | --server URL FLOW [--country CC]",
	Short: "run a flow on the embedded demo portal, or a portal over HTTP",
	Long: `
Run checks the flow FLOW (a flow file) and runs it as a client application
would, against the demo portal embedded in tether, asking its prompts at
the terminal or answering them from an answers file (--answers FILE; see
docs/answers.md). --country CC (ISO 3166-1 alpha-2, e.g. DE) applies the
regional policy of the overlay that lists the country (regions/ next to
the flow, or --regions DIR; docs/policy.md).

The demo portal's accounts, licences and tokens come from its fixture:
demo/portal.yaml next to the flow, or --portal-fixture FILE
(docs/portal-fixture.md). A flow that runs no action needs none.

With --portal URL it reaches the portal over HTTP instead (the protocol of
docs/portal-protocol.md; tether portal serve runs the demo portal so):
https:// with the system's roots, or --portal-ca FILE's; http:// only to
this machine. An answers file's {{sms}} and {{captcha}} then come from the
journal the portal keeps with --outbox FILE, which run reads with the same
flag. When the portal cannot be reached, the flow says so and offers to try
again.

With --server URL it drives a session of a tether serve instead, through
its API (docs/api.md): FLOW is then the flow's name in the server's flows
(flows/connect.yaml names connect), and the server's portal and SMS
gateway are used. The key of a device the run creates there is kept in
server-devices.json beside the credential store, so that a later run
with the same --device presents it (docs/api.md#device-keys).

On a terminal the prompts are forms (menus, masked passwords and codes);
with --plain, or when stdin is not a terminal, they are plain line
prompts. The demo SMS gateway prints the codes it "sends" on stderr, as
the phone would show them; they never reach stdout, the transcript or the
JSON log.

When this device is connected already (tether status), run says so and
exits 0 without signing in again; --reconnect runs the flow all the same.

With --answers, stdout shows the transcript as the run goes; with --json it
shows the event log as JSON lines. Either way the last line is the result:
"connected: ..." or "not connected: ...", in the locale's words, the
outcome's name kept in it ("verbunden: ... (connected)"). Ctrl-C cancels
the run: the last line is "not connected: cancelled" and the exit status
130.

Exit status: 0 when the flow ends in a success outcome (or the device is
connected already), 1 for any other outcome, 2 for usage or flow errors, 3
when the run could not finish (the portal failed, the answers ran out,
input ended), 130 when it was interrupted.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &runOptions{}
		countryFlag(fs, &o.country, "the country `CC` (ISO 3166-1 alpha-2, e.g. DE) whose regional policy applies")
		fs.StringVar(&o.regions, "regions", "", "`DIR` of regional policy overlays (default: regions/ next to the flow)")
		fs.StringVar(&o.answers, "answers", "", "answer the prompts from this answers `FILE` instead of the terminal")
		fs.StringVar(&o.fixture, "portal-fixture", "", "the demo portal's fixture `FILE` (default: demo/portal.yaml next to the flow)")
		fs.StringVar(&o.credentials, "credentials", defaultCredentials, "the device credential store: a `FILE`, or keyring:[PROFILE] for the OS keyring")
		fs.Uint64Var(&o.seed, "seed", 0, "seed `N` of the demo portal's codes, tickets and CAPTCHAs (0: random)")
		fs.StringVar(&o.clock, "clock", "", "run on a fake clock starting at this RFC 3339 `TIME`; answers' wait advances it")
		fs.BoolVar(&o.json, "json", false, "print the event log as JSON lines, the last one the result")
		fs.StringVar(&o.transcript, "transcript", "", "also write the transcript to `FILE`")
		fs.StringVar(&o.otherApp, "other-app", "", "first save the fixture's Native SSO sign-in of this vendor `APP` on the device, as if it had signed in here")
		fs.BoolVar(&o.plain, "plain", false, "ask with plain line prompts even on a terminal (no forms)")
		fs.BoolVar(&o.reconnect, "reconnect", false, "run the flow even when this device is connected already")
		fs.StringVar(&o.server, "server", "", "drive a session of the flow named FLOW on the tether serve at this `URL`")
		fs.StringVar(&o.device, "device", "", "with --server: the device `ID` to connect (default: one the server makes up)")
		fs.StringVar(&o.portal, "portal", "", "reach the portal over HTTP at this `URL` instead of the embedded demo portal")
		fs.StringVar(&o.portalCA, "portal-ca", "", "with --portal: trust only the CA certificates in this PEM `FILE`")
		fs.StringVar(&o.outbox, "outbox", "", "with --portal: the portal's journal `FILE` (portal serve --outbox), for {{sms}} and {{captcha}}")
		langFlag(fs, &o.lang)
		o.limits = budgetFlags(fs)
		return o.run
	},
}

type runOptions struct {
	country, regions, answers, fixture, credentials string
	seed                                            uint64
	clock                                           string
	json                                            bool
	transcript                                      string
	otherApp                                        string
	plain, reconnect                                bool
	server, device                                  string
	portal, portalCA, outbox                        string
	lang                                            string
	limits                                          *yamlfile.Limits // the flow files' YAML budgets (budgetFlags)
}

func (o *runOptions) run(ctx context.Context, env *Env, args []string) error {
	if o.server != "" {
		return o.runRemote(ctx, env, args)
	}
	if len(args) != 1 {
		return usagef("run takes one flow file")
	}
	if o.json && o.answers == "" {
		return usagef("--json needs --answers: prompts and JSON cannot share stdout")
	}
	now, clock, err := o.sessionClock()
	if err != nil {
		return err
	}
	if (o.portalCA != "" || o.outbox != "") && o.portal == "" {
		return usagef("--portal-ca and --outbox go with --portal")
	}
	path := env.path(args[0])
	c, cat, err := compiledFlow(env, path, o.country, flowSource{regions: o.regions, limits: *o.limits}, exitUsage)
	if err != nil {
		return err
	}
	cats, err := catalogsFor(env, cat)
	if err != nil {
		return err
	}
	loc, err := chooseLocale(env, o.lang, cats)
	if err != nil {
		return err
	}
	fixture, fx, err := o.loadFixture(env, path, c)
	if err != nil {
		return err
	}
	seed := o.seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	device := env.path(o.credentials)
	world, err := o.world(env, fx, now, clock, seed, device)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	// A store that cannot be used (corrupt, or open to others) stops the
	// run before it starts rather than at its first save.
	store, err := env.store(device)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	st, connected, err := store.Status(ctx, actions.DefaultApp)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if connected && !o.reconnect && o.otherApp == "" {
		fmt.Fprintln(env.Stdout, loc.Say("ui.term.already_connected", "status", statusLine(st)))
		return nil
	}
	driver, restore, err := o.driver(env, world, loc, now)
	if err != nil {
		return fileErrors(env, err)
	}
	defer restore()
	switch {
	case o.answers != "":
	case o.portal != "":
		fmt.Fprintf(env.Stderr, "portal: %s\n", o.portal)
	case fx != nil:
		fmt.Fprintln(env.Stderr, loc.Say("ui.term.demo_portal", "file", fixture))
	}
	out, err := newRunOutput(env, o, c, loc)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer out.close()
	// Only once everything checked out does the run write to the device.
	if o.otherApp != "" {
		if err := world.SaveOtherApp(ctx, device, o.otherApp); err != nil {
			code := exitUnfinished // the store could not be written
			if errors.Is(err, demo.ErrNoSuchApp) {
				code = exitUsage
			}
			return &exitError{code: code, err: fmt.Errorf("--other-app: %w", err)}
		}
	}
	cfg := host.Config{
		Catalog: cat, Store: memory.New(), Actions: world.Actions, Now: now,
		Rand: seededRand{rand.New(rand.NewPCG(seed, 3))},
	}
	if clock != nil {
		cfg.Sleep = clock.Sleep
	}
	h, err := host.New(cfg)
	if err != nil {
		return err
	}
	l := &runLoop{host: h, driver: driver, clock: clock, out: out}
	return l.run(ctx, host.StartRequest{Flow: c.Name, Country: o.country, Device: device})
}

// loadFixture loads the demo portal's fixture, the file --portal-fixture
// names or demo/portal.yaml next to the flow at path, when the run needs
// it: for the embedded demo portal when the flow runs an action (every
// action of the library reaches the portal), for --other-app, or because
// --portal-fixture asked for it. It returns the fixture's path, and the
// fixture or nil when none is needed. Its problems are printed, one a
// line; a missing fixture is named.
func (o *runOptions) loadFixture(env *Env, path string, c *catalog.Compiled) (string, *demoportal.Fixture, error) {
	file := demo.FixtureFile(filepath.Dir(path))
	if o.fixture != "" {
		file = env.path(o.fixture)
	}
	state, action := runsAction(c.Flow)
	needed := o.fixture != "" || o.otherApp != "" || o.portal == "" && action != ""
	if !needed {
		return file, nil, nil
	}
	fx, err := demo.LoadFixture(file)
	switch {
	case errors.Is(err, demo.ErrNoFixture) && o.otherApp != "":
		return "", nil, &exitError{code: exitUsage, err: fmt.Errorf("--other-app: %w (--portal-fixture FILE names one)", err)}
	case errors.Is(err, demo.ErrNoFixture) && o.fixture == "":
		return "", nil, &exitError{code: exitUsage, err: fmt.Errorf("%s: %s needs a portal: %w (--portal-fixture FILE names one; --portal URL reaches a portal over HTTP)",
			state.RunPos, action, err)}
	case err != nil:
		return "", nil, fileErrors(env, err)
	}
	printErrors(env.Stderr, fx.Warnings) // an old key name: loaded all the same
	return file, &fx, nil
}

// runsAction returns the first state of fl, or of a flow it runs, that
// runs an action, and the action's name; "" when none does.
func runsAction(fl *engine.Flow) (flowinfo.State, string) {
	seen := map[*flowinfo.Flow]bool{}
	var walk func(f *flowinfo.Flow) (flowinfo.State, string)
	walk = func(f *flowinfo.Flow) (flowinfo.State, string) {
		if seen[f] {
			return flowinfo.State{}, ""
		}
		seen[f] = true
		for _, s := range f.States {
			switch {
			case s.Subflow != nil:
				if in, action := walk(s.Subflow); action != "" {
					return in, action
				}
			case s.Kind == syntax.RunState:
				return s, s.Run
			}
		}
		return flowinfo.State{}, ""
	}
	return walk(fl.Info())
}
