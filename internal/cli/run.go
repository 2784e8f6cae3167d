package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/answers"
	"github.com/tetherflow/tether/adapters/captcha"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/adapters/terminal"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/host"
)

// Exit codes of tether run beyond Main's.
const exitUnfinished = 3 // the run could not finish: portal failure, answers exhausted

// defaultCredentials is where the device credential store lives unless
// --credentials says otherwise.
const defaultCredentials = ".tether/credentials.json"

var runCommand = &Command{
	Name:  "run",
	Args:  "FLOW [flags]",
	Short: "run a flow on the embedded demo portal",
	Long: `
Run checks the flow FILE and runs it as a client application would, against
the demo portal embedded in tether (accounts, licences and tokens from the
fixture flows/demo/portal.yaml), asking its prompts at the terminal or
answering them from an answers file (see docs/answers.md). On a terminal
the prompts are forms (menus, masked passwords and codes); with --plain, or
when stdin is not a terminal, they are plain line prompts.

The demo SMS gateway prints the codes it "sends" on stderr, as the phone
would show them; they never reach stdout, the transcript or the JSON log.

With --answers, stdout shows the transcript as the run goes; with --json it
shows the event log as JSON lines. Either way the last line is the result:
"connected: ..." or "not connected: ...".

Exit status: 0 when the flow ends in a success outcome, 1 for any other
outcome, 2 for usage or flow errors, 3 when the run could not finish (the
portal failed, the answers ran out, input ended).`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &runOptions{}
		fs.StringVar(&o.region, "region", "", "country (ISO 3166-1 alpha-2) whose regional policy applies")
		fs.StringVar(&o.regions, "regions", "", "directory of regional policy overlays (default: regions/ next to the flow)")
		fs.StringVar(&o.answers, "answers", "", "answer the prompts from this answers `file` instead of the terminal")
		fs.StringVar(&o.fixture, "portal-fixture", "", "demo portal fixture `file` (default: demo/portal.yaml next to the flow)")
		fs.StringVar(&o.credentials, "credentials", defaultCredentials, "device credential store `file`")
		fs.Uint64Var(&o.seed, "seed", 0, "seed for the demo portal's codes, tickets and CAPTCHAs (0: random)")
		fs.StringVar(&o.clock, "clock", "", "run on a fake clock starting at this RFC 3339 `time`; answers' wait advances it")
		fs.BoolVar(&o.json, "json", false, "print the event log as JSON lines, the last one the result")
		fs.StringVar(&o.transcript, "transcript", "", "also write the transcript to `file`")
		fs.StringVar(&o.otherApp, "other-app", "", "first save the fixture's token of this vendor `app` on the device, as if it had signed in here")
		fs.BoolVar(&o.plain, "plain", false, "ask with plain line prompts even on a terminal (no forms)")
		return o.run
	},
}

type runOptions struct {
	region, regions, answers, fixture, credentials string
	seed                                           uint64
	clock                                          string
	json                                           bool
	transcript                                     string
	otherApp                                       string
	plain                                          bool
}

// fakeClock is the session clock of a scripted run: it moves only when the
// answers say to wait.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// randReader reads bytes from a seeded generator, for session IDs.
type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

func (o *runOptions) run(ctx context.Context, env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("run takes one flow file")
	}
	path := env.path(args[0])
	if o.json && o.answers == "" {
		return usagef("--json needs --answers: prompts and JSON cannot share stdout")
	}
	fl, region, regionName, err := loadRegional(env, path, o.region, env.path(o.regions))
	if err != nil {
		return err
	}

	now := time.Now
	var clock *fakeClock
	if o.clock != "" {
		start, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", o.clock)
		}
		clock = &fakeClock{now: start}
		now = clock.Now
	}
	seed := o.seed
	if seed == 0 {
		seed = rand.Uint64()
	}

	fixturePath := o.fixture
	if fixturePath == "" {
		fixturePath = filepath.Join(filepath.Dir(path), "demo", "portal.yaml")
	}
	fixturePath = env.path(fixturePath)
	fx, err := demoportal.LoadFixture(fixturePath)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	world, err := newDemo(fx, now, seed, env.Stderr, env.path(o.credentials))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	reg := world.reg
	next, err := o.driver(env, world.outbox, world.captchas)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if o.answers == "" {
		fmt.Fprintf(env.Stderr, "demo portal: its accounts and their passwords are in %s (see docs/portal-fixture.md); SMS codes appear here\n", fixturePath)
	}
	// The transcript file is created before anything runs, so that a path
	// that cannot be written stops the run before the device is connected.
	var transcriptFile *os.File
	if o.transcript != "" {
		if transcriptFile, err = os.Create(env.path(o.transcript)); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		defer transcriptFile.Close()
	}
	// Only once everything checked out does the run write to the device.
	if o.otherApp != "" {
		if err := saveOtherApp(ctx, world.store, fx, o.otherApp); err != nil {
			code := exitUnfinished // the store could not be written
			if errors.Is(err, errNoSuchApp) {
				code = exitUsage
			}
			return &exitError{code: code, err: err}
		}
	}
	var out io.Writer = io.Discard
	if o.answers != "" {
		out = env.Stdout
	}
	var transcript strings.Builder
	header := fmt.Sprintf("# flow %s: %s\n# region %s\n", fl.Name(), fl.Title(), region)
	if !o.json {
		io.WriteString(out, header)
	}
	transcript.WriteString(header)

	sess, err := fl.Start(ctx, engine.Ports{Actions: reg, Now: now, Rand: randReader{rand.New(rand.NewPCG(seed, 3))}})
	printed := 0
	flush := func() {
		entries := sess.Log()[printed:]
		printed = len(sess.Log())
		if o.json {
			engine.WriteJSONLines(env.Stdout, entries)
		} else {
			engine.WriteTranscript(out, entries)
		}
		engine.WriteTranscript(&transcript, entries)
	}
	finish := func(err error) error {
		if sess != nil {
			if rerr := env.recordSession(regionName, fl, sess.Log()); rerr != nil && err == nil {
				err = rerr
			}
		}
		if transcriptFile != nil {
			if _, werr := transcriptFile.WriteString(transcript.String()); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}
	if sess == nil {
		return finish(&exitError{code: exitUnfinished, err: err})
	}
	flush()
	if err != nil {
		return finish(&exitError{code: exitUnfinished, err: err})
	}

	var problem error
	for !sess.Done() {
		r, err := next.Next(ctx, sess.Current(), problem)
		if err != nil {
			return finish(&exitError{code: exitUnfinished, err: err})
		}
		if r.Wait > 0 {
			if clock != nil {
				clock.Advance(r.Wait)
			} else {
				select {
				case <-time.After(r.Wait):
				case <-ctx.Done():
					return finish(&exitError{code: exitUnfinished, err: ctx.Err()})
				}
			}
			_, err := sess.Tick(ctx)
			flush()
			if err != nil {
				return finish(&exitError{code: exitUnfinished, err: err})
			}
			problem = nil
			continue
		}
		err = sess.Send(ctx, r.Choice, r.Input)
		flush()
		var ierr *engine.InputError
		switch {
		case err == nil:
			problem = nil
		case errors.As(err, &ierr), errors.Is(err, engine.ErrPromptGone):
			// The answer was refused, or came too late for its prompt: the
			// person sees why and the prompt now shown; a script stops.
			problem = err
		default:
			return finish(&exitError{code: exitUnfinished, err: err})
		}
	}
	if err := sess.Err(); err != nil {
		return finish(&exitError{code: exitUnfinished, err: err})
	}
	outcome := sess.Current().Outcome
	line := resultLine(outcome)
	if o.json {
		fmt.Fprintf(env.Stdout, "{\"result\":%s}\n", mustJSON(outcome))
	} else {
		fmt.Fprintln(env.Stdout, line)
	}
	transcript.WriteString(line + "\n")
	if err := finish(nil); err != nil {
		return err
	}
	if !outcome.Success {
		return &exitError{code: exitFail}
	}
	return nil
}

// demo is the world a run connects in: the demo portal, its SMS outbox
// (codes shown on sms) and CAPTCHA, the device's credential store, and
// the action library over them.
type demo struct {
	portal   *demoportal.Portal
	outbox   *smsoutbox.Outbox
	captchas *captcha.Captcha
	store    *credstore.Store
	reg      *engine.Registry
}

// newDemo builds the demo world from a portal fixture, on the clock now,
// with codes, tickets and CAPTCHAs drawn from seed.
func newDemo(fx demoportal.Fixture, now func() time.Time, seed uint64, sms io.Writer, credentials string) (*demo, error) {
	d := &demo{outbox: smsoutbox.New(sms), captchas: captcha.New(rand.New(rand.NewPCG(seed, 2))), store: credstore.New(credentials)}
	var err error
	if d.portal, err = demoportal.New(fx, now, rand.New(rand.NewPCG(seed, 1)), d.outbox); err != nil {
		return nil, err
	}
	// The demo portal lives for one run; the device's own connection,
	// saved by an earlier run, is a token it issued then.
	if saved, ok, err := d.store.Load(context.Background(), actions.DefaultApp); err == nil && ok {
		d.portal.Remember(saved)
	}
	d.reg, err = actions.Registry(actions.Ports{
		Portal: d.portal, Licences: d.portal, Accounts: d.portal, Consent: d.portal,
		Captcha: d.captchas, Credentials: d.store, Now: now,
	})
	return d, err
}

// resultLine is the run's last line: "connected: ..." for a success,
// "not connected: ..." otherwise.
func resultLine(o *engine.Outcome) string {
	if o.Success {
		if o.Message == "" {
			return o.Name
		}
		return o.Name + ": " + o.Message
	}
	if o.Message == "" {
		return "not connected: " + o.Name
	}
	return fmt.Sprintf("not connected: %s (%s)", o.Message, o.Name)
}

// driver returns how prompts get answered: from the answers file, or from
// the person at the terminal.
func (o *runOptions) driver(env *Env, outbox *smsoutbox.Outbox, captchas *captcha.Captcha) (host.Driver, error) {
	if o.answers != "" {
		list, err := answers.Load(env.path(o.answers))
		if err != nil {
			return nil, err
		}
		return answers.New(o.answers, list, func(name string) (string, bool) {
			switch name {
			case "sms":
				c := outbox.LastCode()
				return c, c != ""
			case "captcha":
				c := captchas.LastAnswer()
				return c, c != ""
			}
			return "", false
		}), nil
	}
	var opts []terminal.Option
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if out, ok := env.Stdout.(*os.File); ok && term.IsTerminal(int(out.Fd())) && !o.plain {
			return terminal.NewForm(env.Stdin, env.Stdout), nil
		}
		fd := int(f.Fd())
		opts = append(opts, terminal.WithSecretReader(func() (string, error) {
			b, err := term.ReadPassword(fd)
			return string(b), err
		}))
	}
	return terminal.New(env.Stdin, env.Stdout, opts...), nil
}

// saveOtherApp saves the fixture's token of the vendor application app in
// the store, as that application would have when it signed in here.
func saveOtherApp(ctx context.Context, store *credstore.Store, fx demoportal.Fixture, app string) error {
	var apps []string
	for _, c := range fx.DeviceCredentials() {
		if c.App == app {
			return store.Save(ctx, c)
		}
		apps = append(apps, c.App)
	}
	return fmt.Errorf("--other-app: %w %q (it has: %s)", errNoSuchApp, app, strings.Join(apps, ", "))
}

var errNoSuchApp = errors.New("the fixture has no token saved by")
