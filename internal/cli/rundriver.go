package cli

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/tetherflow/tether/adapters/answers"
	"github.com/tetherflow/tether/adapters/terminal"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/ui"
)

// sessionClock returns the session clock: the system's, or with --clock a
// fake one that moves only when the answers say to wait.
func (o *runOptions) sessionClock() (func() time.Time, *fakeClock, error) {
	if o.clock == "" {
		return time.Now, nil, nil
	}
	start, err := time.Parse(time.RFC3339, o.clock)
	if err != nil {
		return nil, nil, usagef("--clock: %q is not an RFC 3339 time (like 2026-01-05T09:00:00Z)", o.clock)
	}
	c := &fakeClock{now: start}
	return c.Now, c, nil
}

// driver returns how prompts get answered: from the answers file, or from
// the person at the terminal. restore puts the terminal back as it was
// (echo on), however the run ends: Ctrl-C may come while a password is
// read without echo.
func (o *runOptions) driver(env *Env, world runWorld, loc *ui.Localizer, now func() time.Time) (d host.Driver, restore func(), err error) {
	restore = func() {}
	if o.answers != "" {
		list, err := answers.Load(env.path(o.answers))
		if err != nil {
			return nil, restore, err
		}
		lookup := func(string) (string, bool) { return "", false }
		if world != nil {
			lookup = world.Lookup
		}
		return answers.New(o.answers, list, lookup), restore, nil
	}
	shown := []terminal.Option{terminal.WithLocalizer(loc), terminal.WithClock(now)}
	in, isFile := env.Stdin.(*os.File)
	if !isFile || !term.IsTerminal(int(in.Fd())) {
		return terminal.New(env.Stdin, env.Stdout, append(shown, terminal.Piped())...), restore, nil
	}
	fd := int(in.Fd())
	if state, err := term.GetState(fd); err == nil {
		restore = func() { term.Restore(fd, state) }
	}
	if out, ok := env.Stdout.(*os.File); ok && term.IsTerminal(int(out.Fd())) && !o.plain {
		return terminal.NewForm(env.Stdin, env.Stdout, shown...), restore, nil
	}
	return terminal.New(env.Stdin, env.Stdout, append(shown, terminal.WithSecretReader(func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	}))...), restore, nil
}

// fakeClock is the session clock of a scripted run.
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

// Sleep lets d pass on the fake clock at once: a scripted run's retries
// wait no real time.
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// seededRand reads bytes from a seeded generator, for session ids.
type seededRand struct{ r *rand.Rand }

func (r seededRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}
