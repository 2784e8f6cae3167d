package testscripts_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
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
// each run is new, and so is this one: a fresh state. It signs with the
// embedded portal's keys (the key file next to the device's store), and
// every portal of a script listens at one address, its issuer, so that a
// later run takes the tokens an earlier one issued, as in process. A
// `tether status` of a connection such a portal issued asks such a
// portal, started for it, and says "the demo portal" for it, as in
// process. The portal's texts go to stderr, where the in-process SMS
// gateway writes them.
func tetherOverHTTP(args []string) int {
	if len(args) > 0 && args[0] == "status" {
		return statusOverHTTP(args)
	}
	seed, clock, fixture, flow, device := runFlags(args)
	if seed == "" || clock == "" || flow == "" {
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	if fixture == "" {
		fixture = filepath.Join(filepath.Dir(flow), "demo", "portal.yaml")
	}
	if _, err := demoportal.LoadFixture(fixture); err != nil {
		// A broken fixture: the run reports it, as it would in process.
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	url, outbox, stop, err := startPortal(fixture, device, seed, clock)
	if err != nil {
		// The simulator would not start: the run reports why, as it does
		// in process.
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	defer stop()
	f, _ := os.OpenFile(".over-http", os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(f, strings.Join(args, " "))
	f.Close()
	// An interactive run names the portal it reaches on stderr. This one
	// reaches a demo portal that shows its texts on this stderr, which is
	// what the embedded portal's banner says: say that instead of its URL.
	stderr := &bannerFilter{w: os.Stderr, url: url, banner: "demo portal: its accounts and their passwords are in " + fixture + " (see docs/portal-fixture.md); SMS codes appear here\n"}
	code := cli.MainWith(serverBackends, append(slices.Clone(args), "--portal", url, "--outbox", outbox), os.Stdin, os.Stdout, stderr)
	time.Sleep(10 * time.Millisecond) // let the last texts reach stderr
	return code
}

// overHTTPAddr is the file, in a script's work directory, that names the
// address its portals listen at.
const overHTTPAddr = ".over-http-addr"

// startPortal starts `tether portal serve` in process on a fresh state,
// with the fixture, seed and clock, the keys of the embedded portal of
// device, at the script's address (a free one the first time), its texts
// to stderr. It returns the portal's URL, its journal, and how to stop it.
func startPortal(fixture, device, seed, clock string) (url, outbox string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "tether-over-http-")
	if err != nil {
		return "", "", nil, err
	}
	state, outbox := filepath.Join(dir, "portal.db"), filepath.Join(dir, "outbox.jsonl")
	addr := "127.0.0.1:0"
	if data, err := os.ReadFile(overHTTPAddr); err == nil {
		addr = strings.TrimSpace(string(data))
	}
	keys := filepath.Join(filepath.Dir(device), "demo-portal-keys.json")
	// The portal serves until this process, which runs one command,
	// exits.
	pr, pw := io.Pipe()
	go func() {
		code := cli.MainWith(serverBackends, []string{"portal", "serve", "--fixture", fixture, "--state", state, "--addr", addr,
			"--seed", seed, "--clock", clock, "--outbox", outbox, "--keys", keys}, nil, pw, io.Discard)
		pw.CloseWithError(fmt.Errorf("portal serve exited with status %d", code))
	}()
	lines := bufio.NewReader(pr)
	line, err := lines.ReadString('\n')
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	url = strings.TrimSpace(line)
	os.WriteFile(overHTTPAddr, []byte(strings.TrimPrefix(url, "http://")), 0o644)
	go io.Copy(os.Stderr, lines)
	return url, outbox, func() { os.RemoveAll(dir) }, nil
}

// statusOverHTTP runs `tether status`; for a connection a portal of the
// script issued, it first starts one at that address (with the keys and
// the clock of the command), and names it "the demo portal".
func statusOverHTTP(args []string) int {
	device, clock := ".tether/credentials.json", time.Now().UTC().Format(time.RFC3339)
	for i := 1; i < len(args); i++ {
		name, val, inline := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !inline && i+1 < len(args) && name != "offline" {
			val = args[i+1]
			i++
		}
		switch name {
		case "credentials":
			device = val
		case "clock":
			clock = val
		case "offline", "portal":
			return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
		}
	}
	addr, err := os.ReadFile(overHTTPAddr)
	keys, kerr := seal.ReadKeyFile(filepath.Join(filepath.Dir(device), "seal.keys"))
	if kerr != nil {
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	saved, ok, _ := credstore.New(device, credstore.WithSeal(keys)).Load(context.Background(), actions.DefaultApp)
	if err != nil || !ok || saved.Issuer != "http://"+strings.TrimSpace(string(addr)) {
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	url, _, stop, err := startPortal("flows/demo/portal.yaml", device, "1", clock)
	if err != nil {
		return cli.MainWith(serverBackends, args, os.Stdin, os.Stdout, os.Stderr)
	}
	defer stop()
	stdout := &replacer{w: os.Stdout, old: "the portal at " + url, new: "the demo portal"}
	return cli.MainWith(serverBackends, args, os.Stdin, stdout, os.Stderr)
}

// replacer writes what is written to it with old replaced by new.
type replacer struct {
	w        io.Writer
	old, new string
}

func (r *replacer) Write(p []byte) (int, error) {
	_, err := io.WriteString(r.w, strings.ReplaceAll(string(p), r.old, r.new))
	return len(p), err
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
// it, and $PORTAL_ADDR to its address (for a restart at the same one: the
// portal's URL is its issuer, which its tokens name); what it prints
// after goes to $WORK/portal.stdout, its log to $WORK/portal.log. The script's end, or portal-stop, stops it:
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
	ts.Setenv("PORTAL_ADDR", strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(url), "http://"), "https://"))
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
