package testscripts_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/credstore"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/demoportal/sqlite"
	"github.com/tetherflow/tether/internal/cli"
)

// overHTTPEnv, set in a script's environment, makes the tether the script
// runs take every `tether run` with a seed and a fake clock over HTTP: it
// starts `tether portal serve` in process on 127.0.0.1:0 — the run's
// fixture, seed and clock, a fresh SQLite state — and runs the command
// with --portal and --outbox added (tetherOverHTTP).
const overHTTPEnv = "TETHER_TEST_OVER_HTTP"

// TestScriptsOverHTTP runs every connect transcript of testdata/ again,
// each run against the demo portal over HTTP, and holds it to the same
// golden output: the transcript, the result line and the exit status are
// the portal's, wherever it runs.
func TestScriptsOverHTTP(t *testing.T) {
	var files []string
	names, _ := filepath.Glob("testdata/run-*.txtar")
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		// The credential store's own checks, the in-process fixture's
		// errors and the country's happen before any portal is reached.
		local := strings.HasSuffix(n, "run-insecure-store.txtar") || strings.HasSuffix(n, "run-fixture-errors.txtar") ||
			strings.HasSuffix(n, "run-country-errors.txtar")
		if strings.Contains(string(data), "tether run flows/connect.yaml") && !local {
			files = append(files, n)
		}
	}
	if len(files) < 20 {
		t.Fatalf("found %d connect transcripts, want them all", len(files))
	}
	p := params()
	p.Dir, p.Files, p.UpdateScripts = "", files, false
	base := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := base(env); err != nil {
			return err
		}
		env.Setenv(overHTTPEnv, "1")
		// Every script runs at least one `tether run` over HTTP.
		env.Defer(func() {
			data, _ := os.ReadFile(filepath.Join(env.WorkDir, ".over-http"))
			if len(data) == 0 {
				env.T().Fatal("no tether run of the script went over HTTP")
			}
		})
		return nil
	}
	testscript.Run(t, p)
}

// tetherOverHTTP is the test binary's tether when overHTTPEnv is set: a
// `tether run` with --seed and --clock reaches a demo portal over HTTP
// started for it, anything else runs as it is. The in-process portal of
// each run is new, and so is this one: a fresh state, but for the
// device's own saved connection, which the in-process portal takes too
// (demo.World remembers it). The portal's texts go to stderr, where the
// in-process SMS gateway writes them.
func tetherOverHTTP(args []string) int {
	seed, clock, fixture, flow, device := runFlags(args)
	if seed == "" || clock == "" || flow == "" {
		return cli.MainWith(sqlBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	if fixture == "" {
		fixture = filepath.Join(filepath.Dir(flow), "demo", "portal.yaml")
	}
	dir, err := os.MkdirTemp("", "tether-over-http-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 99
	}
	defer os.RemoveAll(dir)
	state, outbox := filepath.Join(dir, "portal.db"), filepath.Join(dir, "outbox.jsonl")
	if err := rememberDevice(fixture, state, device, clock); err != nil {
		// A broken fixture: the run reports it, as it would in process.
		return cli.MainWith(sqlBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	pr, pw := io.Pipe()
	go func() {
		code := cli.MainWith(sqlBackends, []string{"portal", "serve", "--fixture", fixture, "--state", state, "--addr", "127.0.0.1:0",
			"--seed", seed, "--clock", clock, "--outbox", outbox}, nil, pw, io.Discard)
		pw.CloseWithError(fmt.Errorf("portal serve exited with status %d", code))
	}()
	lines := bufio.NewReader(pr)
	url, err := lines.ReadString('\n')
	if err != nil {
		// The simulator would not start (a fixture with errors, say):
		// the run reports why, as it does in process.
		return cli.MainWith(sqlBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	go io.Copy(os.Stderr, lines)
	f, _ := os.OpenFile(".over-http", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(f, strings.Join(args, " "))
	f.Close()
	// An interactive run names the portal it reaches on stderr. This one
	// reaches a demo portal that shows its texts on this stderr, which is
	// what the embedded portal's banner says: say that instead of its URL.
	stderr := &bannerFilter{w: os.Stderr, url: strings.TrimSpace(url), banner: "demo portal: its accounts and their passwords are in " + fixture + " (see docs/portal-fixture.md); SMS codes appear here\n"}
	code := cli.MainWith(sqlBackends, append(slices.Clone(args), "--portal", strings.TrimSpace(url), "--outbox", outbox), os.Stdin, os.Stdout, stderr)
	time.Sleep(10 * time.Millisecond) // let the last texts reach stderr
	return code
}

// bannerFilter passes on what is written to it, but for the line naming
// the portal at url, which it replaces by banner.
type bannerFilter struct {
	w           io.Writer
	url, banner string
}

func (f *bannerFilter) Write(p []byte) (int, error) {
	if string(p) == "portal: "+f.url+"\n" {
		_, err := io.WriteString(f.w, f.banner)
		return len(p), err
	}
	return f.w.Write(p)
}

// runFlags returns what tetherOverHTTP needs of a tether command line:
// for `tether run`, its --seed, --clock, --portal-fixture, flow file and
// --credentials.
func runFlags(args []string) (seed, clock, fixture, flow, device string) {
	if len(args) == 0 || args[0] != "run" {
		return
	}
	device = ".tether/credentials.json"
	for i := 1; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		name, val, inline := strings.Cut(a, "=")
		if !strings.HasPrefix(args[i], "-") {
			flow = args[i]
			continue
		}
		if !inline && i+1 < len(args) && !slices.Contains([]string{"json", "plain", "reconnect"}, name) {
			val = args[i+1]
			i++
		}
		switch name {
		case "seed":
			seed = val
		case "clock":
			if _, err := time.Parse(time.RFC3339, val); err == nil {
				clock = val
			}
		case "portal-fixture":
			fixture = val
		case "credentials":
			device = val
		}
	}
	return
}

// rememberDevice puts the device's own saved connection into the portal's
// state, as the in-process portal takes it: only a token whose MAC shows
// the demo portal issued it.
func rememberDevice(fixture, state, device, clock string) error {
	saved, ok, err := credstore.New(device).Load(context.Background(), actions.DefaultApp)
	if err != nil || !ok {
		return nil
	}
	fx, err := demoportal.LoadFixture(fixture)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(context.Background(), state)
	if err != nil {
		return err
	}
	defer st.Close()
	now, _ := time.Parse(time.RFC3339, clock)
	p, err := demoportal.New(fx, func() time.Time { return now }, rand.New(rand.NewPCG(0, 0)), discardSMS{}, demoportal.WithState(st))
	if err != nil {
		return err
	}
	p.Remember(saved)
	return nil
}

type discardSMS struct{}

func (discardSMS) Send(context.Context, string, string) error { return nil }

// TestPortalScripts runs the archives of portal/: tether portal serve
// started by the script, and tether run and status against it.
func TestPortalScripts(t *testing.T) {
	p := params()
	p.Dir = "portal"
	testscript.Run(t, p)
}

// portalProcess is a `tether portal serve` a script started.
type portalProcess struct {
	cmd  *exec.Cmd
	done chan error
}

// portalServe starts `tether portal serve --addr 127.0.0.1:0 ARGS...` in
// the background, waits for the URL it prints first and sets $PORTAL to
// it; what it prints after goes to $WORK/portal.stdout, its log to
// $WORK/portal.log. The script's end, or portal-stop, stops it:
//
//	portal-serve --fixture flows/demo/portal.yaml --state portal.db
//	portal-stop
func portalServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! portal-serve")
	}
	if _, running := ts.Value(portalKey{}).(*portalProcess); running && ts.Getenv("PORTAL") != "" {
		ts.Fatalf("portal-serve: a portal is running already; portal-stop first")
	}
	bin := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "tether")); err == nil {
			bin = filepath.Join(dir, "tether")
			break
		}
	}
	if bin == "" {
		ts.Fatalf("portal-serve: tether is not on the script's PATH")
	}
	cmd := exec.Command(bin, append([]string{"portal", "serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"))
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	logf, err := os.OpenFile(ts.MkAbs("portal.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ts.Check(err)
	cmd.Stderr = logf
	ts.Check(cmd.Start())
	p := &portalProcess{cmd: cmd, done: make(chan error, 1)}
	lines := bufio.NewReader(out)
	url, err := lines.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		log, _ := os.ReadFile(ts.MkAbs("portal.log"))
		ts.Fatalf("portal-serve: it printed no URL: %v\n%s", err, log)
	}
	stdout, err := os.OpenFile(ts.MkAbs("portal.stdout"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ts.Check(err)
	go func() {
		io.Copy(stdout, lines)
		err := cmd.Wait()
		stdout.Close()
		logf.Close()
		p.done <- err
	}()
	ts.Setenv("PORTAL", strings.TrimSpace(url))
	*ts.Value(portalKey{}).(**portalProcess) = p
}

// portalStop stops the portal portal-serve started with SIGTERM, and
// checks that it stopped cleanly (exit 0) within 10 seconds.
func portalStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: portal-stop")
	}
	if err := stopPortal(ts.Value(portalKey{}).(**portalProcess)); err != nil {
		ts.Fatalf("portal-stop: %v", err)
	}
	ts.Setenv("PORTAL", "")
}

type portalKey struct{}

func stopPortal(pp **portalProcess) error {
	p := *pp
	if p == nil {
		return errors.New("no portal is running")
	}
	*pp = nil
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("it did not stop cleanly: %w", err)
		}
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		return errors.New("it did not stop within 10s of SIGTERM")
	}
}

// portalSetup gives each script a slot for its portal, and stops one still
// running at the script's end.
func portalSetup(env *testscript.Env) error {
	var p *portalProcess
	env.Values[portalKey{}] = &p
	env.Defer(func() {
		if p != nil {
			if err := stopPortal(&p); err != nil {
				env.T().Fatal("portal: ", err)
			}
		}
	})
	return nil
}
