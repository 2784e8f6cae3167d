package cli_test

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/seal"
)

// The crash test: tether serve (this test binary, run as tether) hosts 50
// sessions of connect at once — sign in, the SMS code, consent, choose
// Family — and is killed with SIGKILL at 5 random moments and restarted.
// The clients send every request again, under its idempotency key, until
// it is answered. Every session connects; no acknowledged step is lost
// (every answer's If-Match is the version last acknowledged, and the
// store's log holds every acknowledged version); the demo portal, whose
// state and SMS outbox survive the process (a demoportal.FileState),
// sent one code per session and recorded one consent per account.
func TestCrashSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test takes seconds; run it without -short")
	}
	dir := t.TempDir()
	crashTest(t, "sqlite:"+filepath.Join(dir, "sessions.db"), func(ctx context.Context) (host.ServerStore, error) {
		return sqlite.Open(ctx, "sqlite:"+filepath.Join(dir, "sessions.db"))
	})
}

func TestCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test takes seconds; run it without -short")
	}
	url := postgresSchema(t)
	crashTest(t, url, func(ctx context.Context) (host.ServerStore, error) { return postgres.Open(ctx, url) })
}

// postgresSchema returns a URL of the database TETHER_TEST_POSTGRES names
// whose search_path is a schema of the test's own, dropped at its end; it
// skips the test without the variable.
func postgresSchema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TETHER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("TETHER_TEST_POSTGRES is not set: to run this test, point it at a PostgreSQL database, e.g. TETHER_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' (.ci/run sets it)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("TETHER_TEST_POSTGRES: %v", err)
	}
	schema := fmt.Sprintf("tether_serve_test_%d", rand.Uint64()%1e12)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

const crashSessions = 50

// crashFlows writes a flows directory: the shipped flows, with a demo
// portal of crashSessions accounts, each with SMS authorisation, in
// Germany (consent) and with two licences.
func crashFlows(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"connect.yaml", "signup.yaml"} {
		copyFile(t, filepath.Join("../../flows", f), filepath.Join(dir, f))
	}
	regions, _ := filepath.Glob("../../flows/regions/*.yaml")
	for _, f := range regions {
		copyFile(t, f, filepath.Join(dir, "regions", filepath.Base(f)))
	}
	var b strings.Builder
	b.WriteString("portal:\n  policy: ../connect.yaml\n  lockout_for: 15m\n  code_length: 6\n  ticket_ttl: 15m\n  token_ttl: 2160h\naccounts:\n")
	for i := range crashSessions {
		fmt.Fprintf(&b, "  - email: user%02d@example.com\n    password: Pass-%02d-2024\n    country: DE\n    phone: \"+49 151 0000 %04d\"\n", i, i, i)
		fmt.Fprintf(&b, "    licences:\n      - {id: LIC-%02d-P, plan: Personal, name: Personal, expires: 2099-12-31T00:00:00Z}\n", i)
		fmt.Fprintf(&b, "      - {id: LIC-%02d-F, plan: Family, name: Family, expires: 2099-12-31T00:00:00Z}\n", i)
	}
	os.MkdirAll(filepath.Join(dir, "demo"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "demo", "portal.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(to), 0o755)
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// server is a tether serve process this test runs, restarted as need be.
type server struct {
	t    testing.TB
	bin  string // the tether binary; "" means this test binary, as tether
	args []string
	env  []string // more environment, NAME=VALUE
	mu   sync.Mutex
	cmd  *exec.Cmd
	log  *strings.Builder
	// logFile, when set, is where the process's log goes instead of a
	// pipe to this process: a benchmark's server logs a line per request,
	// which a pipe would make the load generator wake up for and read on
	// the cores the server needs. logs() then shows the file's start.
	logFile string
	// exited is closed when a process whose log goes to logFile has
	// exited, waitErr then its exit error.
	exited  chan struct{}
	waitErr error
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start starts the process and waits until it listens.
func (s *server) start() {
	s.t.Helper()
	bin := s.bin
	if bin == "" {
		bin = os.Args[0]
	}
	cmd := exec.Command(bin, s.args...)
	cmd.Env = append(append(os.Environ(), "TETHER_TEST_MAIN=1"), s.env...)
	cmd.Stdout = io.Discard
	ready := make(chan bool, 1)
	if s.logFile != "" {
		f, err := os.Create(s.logFile)
		if err != nil {
			s.t.Fatal(err)
		}
		defer f.Close()
		cmd.Stderr = f
		if err := cmd.Start(); err != nil {
			s.t.Fatal(err)
		}
		exited := make(chan struct{})
		s.mu.Lock()
		s.exited = exited
		s.mu.Unlock()
		go func() { s.waitErr = cmd.Wait(); close(exited) }()
		go func() {
			for {
				if strings.Contains(s.logs(), `"msg":"listening"`) {
					ready <- true
					return
				}
				select {
				case <-exited:
					ready <- false
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
	} else {
		stderr, err := cmd.StderrPipe()
		if err != nil {
			s.t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			s.t.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(stderr)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				s.mu.Lock()
				s.log.WriteString(line + "\n")
				s.mu.Unlock()
				if strings.Contains(line, `"msg":"listening"`) {
					ready <- true
				}
			}
			ready <- false
		}()
	}
	select {
	case ok := <-ready:
		if !ok {
			s.wait(cmd)
			s.t.Fatalf("tether serve did not start:\n%s", s.logs())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		s.t.Fatalf("tether serve did not listen:\n%s", s.logs())
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
}

func (s *server) logs() string {
	if s.logFile != "" {
		f, err := os.Open(s.logFile)
		if err != nil {
			return err.Error()
		}
		defer f.Close()
		head, _ := io.ReadAll(io.LimitReader(f, 64<<10))
		return string(head)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// sealKeysEnv is the environment that gives instances of tether serve one
// seal key (TETHER_SEAL_KEYS), as instances sharing a store must have.
func sealKeysEnv(t testing.TB) []string {
	t.Helper()
	line, err := seal.GenerateLine("k1", crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return []string{seal.EnvVar + "=" + line}
}

// pid is the running process's id.
func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// kill kills the process with SIGKILL.
func (s *server) kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	cmd.Process.Kill()
	s.wait(cmd)
}

// stop stops the process with SIGTERM and returns its exit error.
func (s *server) stop() error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	cmd.Process.Signal(syscall.SIGTERM)
	return s.wait(cmd)
}

// wait waits for cmd to exit and returns its exit error.
func (s *server) wait(cmd *exec.Cmd) error {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	if exited == nil {
		return cmd.Wait()
	}
	<-exited
	return s.waitErr
}

// acked is a response a client got: the session was at version then.
type acked struct {
	id      string
	version int
}

func crashTest(t *testing.T, storeURL string, open func(context.Context) (host.ServerStore, error)) {
	flows, data := crashFlows(t), t.TempDir()
	addr := freeAddr(t)
	srv := &server{t: t, log: &strings.Builder{}, env: sealKeysEnv(t), args: []string{"serve", "--flows", flows, "--store", storeURL,
		"--addr", addr, "--data", data, "--timer-interval", "200ms", "--create-rate", "0", "--answer-rate", "0"}}
	srv.start()
	client, err := wire.NewClient("http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Tries, client.Backoff = 200, 20*time.Millisecond
	state := filepath.Join(data, "portal.json")

	var mu sync.Mutex
	var acks []acked
	var failures []string
	ack := func(s *wire.Session) {
		mu.Lock()
		acks = append(acks, acked{s.ID, s.Version})
		mu.Unlock()
	}
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ids := make([]string, crashSessions)
	var wg sync.WaitGroup
	for i := range crashSessions {
		wg.Go(func() {
			id, err := connectOne(ctx, client, i, ack, func(ctx context.Context, phone string) (string, error) {
				return outboxCode(ctx, state, phone)
			})
			ids[i] = id
			if err != nil {
				fail("session %d (%s): %v", i, id, err)
			}
		})
	}
	// Kill the server at 5 random moments while the clients run.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	kills := 0
	rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
	for kills < 5 {
		select {
		case <-done:
		case <-time.After(time.Duration(20+rng.IntN(150)) * time.Millisecond):
			srv.kill()
			kills++
			srv.start()
			continue
		}
		break
	}
	<-done
	if kills < 5 {
		t.Errorf("the sessions ended after %d kills, before 5", kills)
	}
	if err := srv.stop(); err != nil {
		t.Errorf("tether serve exited with %v after SIGTERM", err)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		t.Fatalf("server log:\n%s", tail(srv.logs(), 40))
	}

	// The store holds every acknowledged version, and each session's log
	// one code sent and one consent recorded.
	store, err := open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	logs := map[string]string{}
	for _, id := range ids {
		entries, err := store.Log(context.Background(), id, 0)
		if err != nil {
			t.Fatalf("log of %s: %v", id, err)
		}
		var all strings.Builder
		seqs := map[int]bool{}
		for _, e := range entries {
			seqs[e.Seq] = true
			all.Write(e.Data)
			all.WriteByte('\n')
		}
		logs[id] = all.String()
		for _, a := range acks {
			if a.id == id && !seqs[a.version] {
				t.Errorf("session %s: acknowledged version %d is not in the store", id, a.version)
			}
		}
		if n := countEntries(logs[id], `"action":"sms.send"`, `"event":"sent"`); n != 1 {
			t.Errorf("session %s logged %d codes sent, want 1", id, n)
		}
		if n := countEntries(logs[id], `"action":"consent.record"`, `"event":"recorded"`); n != 1 {
			t.Errorf("session %s logged %d consents, want 1", id, n)
		}
	}
	// Each session's effects are the portal calls its steps made, one per
	// key; a step run again after a kill recorded its calls as replayed.
	effects, replayed := 0, 0
	for _, id := range ids {
		list, err := store.(interface {
			Effects(context.Context, string) ([]host.Effect, error)
		}).Effects(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		sends := 0
		for _, e := range list {
			if keys[e.Key] {
				t.Errorf("session %s: effect key %s recorded twice", id, e.Key)
			}
			keys[e.Key] = true
			if e.Kind == "portal.sendCode" {
				sends++
			}
			if strings.Contains(string(e.Data), `"replayed":true`) {
				replayed++
			}
		}
		effects += len(list)
		if sends != 1 {
			t.Errorf("session %s: %d sendCode effects, want 1", id, sends)
		}
	}
	box, err := demoportal.ReadOutbox(state)
	if err != nil {
		t.Fatal(err)
	}
	perPhone := map[string]int{}
	for _, m := range box {
		perPhone[m.Phone]++
	}
	consents, err := demoportal.ReadConsents(state)
	if err != nil {
		t.Fatal(err)
	}
	perAccount := map[string]int{}
	for _, c := range consents {
		perAccount[c.Account]++
	}
	for i := range crashSessions {
		if n := perPhone[phoneOf(i)]; n != 1 {
			t.Errorf("account %d's phone got %d texts, want 1", i, n)
		}
		if n := perAccount[fmt.Sprintf("user%02d@example.com", i)]; n != 1 {
			t.Errorf("account %d has %d consents recorded, want 1", i, n)
		}
	}
	t.Logf("%d sessions connected through %d kills; %d responses acknowledged, all in the store; %d portal calls recorded, %d of them answered again after a kill; %d texts, %d consents",
		crashSessions, kills, len(acks), effects, replayed, len(box), len(consents))
}

// countEntries counts the lines of log (JSON entries) holding all of
// parts.
func countEntries(log string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

func phoneOf(i int) string { return fmt.Sprintf("+49 151 0000 %04d", i) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

var codeRE = regexp.MustCompile(`(\d+)$`)

// connectOne drives session i of the crash test to connected, the code
// read by codeFor. Every
// response is acknowledged with ack; a Problem of any kind is a failure:
// with the version last acknowledged in If-Match, a stale version means a
// lost step.
func connectOne(ctx context.Context, c *wire.Client, i int, ack func(*wire.Session), codeFor func(ctx context.Context, phone string) (string, error)) (string, error) {
	var s *wire.Session
	var ref wire.Ref
	var err error
	for try := 0; ; try++ {
		// A creation is not repeated by the client: try again here (a
		// session created whose response was lost is left to expire),
		// as another device: the lost response held the first one's key.
		if s, ref, err = c.Create(ctx, "connect", "DE", fmt.Sprintf("device-%02d-%d", i, try), ""); err == nil {
			break
		}
		if ctx.Err() != nil || try > 200 {
			return "", fmt.Errorf("create: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ack(s)
	step := func(want, choice string, fields map[string]any) error {
		if s.State != want {
			return fmt.Errorf("at %s (version %d), want %s", s.State, s.Version, want)
		}
		next, err := c.Answer(ctx, ref, s.Version, choice, fields)
		if err != nil {
			return fmt.Errorf("answer %s at %s version %d: %w", choice, s.State, s.Version, err)
		}
		s = next
		ack(s)
		return nil
	}
	if err := step("sign_in", "continue", map[string]any{"email": fmt.Sprintf("user%02d@example.com", i), "password": fmt.Sprintf("Pass-%02d-2024", i)}); err != nil {
		return ref.ID, err
	}
	code, err := codeFor(ctx, phoneOf(i))
	if err != nil {
		return ref.ID, err
	}
	for _, a := range []struct {
		want, choice string
		fields       map[string]any
	}{
		{"enter_code", "continue", map[string]any{"code": code}},
		{"consent", "accept", nil},
		{"choose_subscription", "select", map[string]any{"licence": fmt.Sprintf("LIC-%02d-F", i)}},
	} {
		if err := step(a.want, a.choice, a.fields); err != nil {
			return ref.ID, err
		}
	}
	if s.Result == nil || !s.Result.Success || s.Result.Output["plan"] != "Family" {
		return ref.ID, fmt.Errorf("ended %+v", s.Result)
	}
	return ref.ID, nil
}

// outboxCode waits for the text sent to phone in the portal's outbox.
func outboxCode(ctx context.Context, state, phone string) (string, error) {
	for ctx.Err() == nil {
		box, err := demoportal.ReadOutbox(state)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			for _, m := range box {
				if m.Phone == phone {
					return codeRE.FindString(m.Text), nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("no text to %s: %w", phone, ctx.Err())
}
