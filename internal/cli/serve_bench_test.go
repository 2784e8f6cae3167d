package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"github.com/tetherflow/tether/adapters/sessions/storetest"
)

// The benchmarks of tether serve as a process (issue 23): the server's CPU
// time per durable step, its steps per second against the raw commit rate
// of its store (same database, driver and pragmas, one commit an
// operation), the memory store's steps per second over HTTP, and the RSS
// an idle session costs. scripts/bench-server.sh runs them, interleaved
// with an older revision's binary (TETHER_BENCH_BIN), and prints the
// figures the issue names.
//
//	go test -run '^$' -bench 'Serve' -benchtime 2000x ./internal/cli

// benchClients is how many clients drive the server at once.
const benchClients = 8

// benchPhase is how many operations a phase takes: server steps and raw
// commits alternate by phases, so that both meet the same load from the
// rest of the machine.
const benchPhase = 200

// benchServer starts tether serve (TETHER_BENCH_BIN, or this test binary)
// on the bench flow, the demo fixture and store, with no rate limits.
// TETHER_BENCH_FLOWS names the flows directory of that binary's revision.
func benchServer(b *testing.B, store string) *server {
	b.Helper()
	// The flows of the binary's own revision (TETHER_BENCH_FLOWS, for an
	// older build), with the bench flow added: the demo fixture they hold
	// is what that revision reads.
	flows := "../../flows"
	if f := os.Getenv("TETHER_BENCH_FLOWS"); f != "" {
		flows = f
	}
	dir := filepath.Join(b.TempDir(), "flows")
	if err := os.CopyFS(dir, os.DirFS(flows)); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte(storetest.ServeFlow), 0o644)
	srv := &server{t: b, bin: os.Getenv("TETHER_BENCH_BIN"), logFile: filepath.Join(b.TempDir(), "serve.log"), env: sealKeysEnv(b), args: []string{"serve", "--flows", dir,
		"--store", store, "--addr", freeAddr(b), "--data", b.TempDir(), "--create-rate", "0", "--answer-rate", "0"}}
	srv.start()
	b.Cleanup(func() { srv.stop() })
	return srv
}

// benchSession is one session a client answers.
type benchSession struct {
	id, secret string
	version    int
}

// loadClient drives a server's API with as little work of its own as it
// can: the load generator shares the machine's cores with the server, so
// its CPU is CPU the server does not get. It writes each HTTP/1.1 request
// by hand on a kept-alive connection and reads the response with a small
// parser of its own (status line, Content-Length or chunked body, ETag,
// Connection), where net/http's client would spend several times as much
// (its transport's goroutines, header maps, pools). Every response is
// still checked: its status, its ETag, and the body members the client
// uses (a created session's id and secret; an answer's session id).
type loadClient struct {
	addr  string
	conns chan *loadConn
	keys  atomic.Int64
}

// loadConn is one kept-alive connection and its buffers.
type loadConn struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

func newLoadClient(srv *server) *loadClient {
	return &loadClient{addr: srv.args[slicesIndex(srv.args, "--addr")+1], conns: make(chan *loadConn, 64)}
}

// loadResponse is what the client reads of a response.
type loadResponse struct {
	status int
	etag   string
	body   []byte
}

// do sends a request (method, path, headers as "Name: value" lines, body)
// on a kept-alive connection and reads its response.
func (c *loadClient) do(method, path string, headers []string, body []byte) (*loadResponse, error) {
	var lc *loadConn
	select {
	case lc = <-c.conns:
	default:
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return nil, err
		}
		lc = &loadConn{c: conn, br: bufio.NewReaderSize(conn, 8<<10)}
	}
	req := append(lc.req[:0], method...)
	req = append(req, ' ')
	req = append(req, path...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, c.addr...)
	req = append(req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n"...)
	for _, h := range headers {
		req = append(append(req, h...), "\r\n"...)
	}
	req = append(append(req, "\r\n"...), body...)
	lc.req = req
	if _, err := lc.c.Write(req); err != nil {
		lc.c.Close()
		return nil, err
	}
	resp, keep, err := readResponse(lc.br)
	if err != nil || !keep {
		lc.c.Close()
		return resp, err
	}
	select {
	case c.conns <- lc:
	default:
		lc.c.Close()
	}
	return resp, nil
}

// readResponse reads one HTTP/1.1 response, and whether the connection
// may carry another.
func readResponse(br *bufio.Reader) (*loadResponse, bool, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, false, err
	}
	proto, rest, _ := bytes.Cut(line, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	resp := &loadResponse{}
	if resp.status, err = strconv.Atoi(string(bytes.TrimSpace(code))); err != nil || !bytes.HasPrefix(proto, []byte("HTTP/1.")) {
		return nil, false, fmt.Errorf("not an HTTP/1 status line: %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, false, fmt.Errorf("not a header line: %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return nil, false, fmt.Errorf("Content-Length: %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("ETag")):
			resp.etag = string(value)
		}
	}
	switch {
	case resp.status == http.StatusNoContent || resp.status == http.StatusNotModified:
	case chunked:
		resp.body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = br.ReadSlice('\n') // the empty trailer
		}
	case length >= 0:
		resp.body = make([]byte, length)
		_, err = io.ReadFull(br, resp.body)
	default:
		resp.body, err = io.ReadAll(br)
		keep = false
	}
	return resp, keep, err
}

// version is the session version an ETag names.
func version(etag string) (int, error) {
	v, err := strconv.Atoi(strings.Trim(etag, `"`))
	if err != nil {
		return 0, fmt.Errorf("ETag %q: not a session version", etag)
	}
	return v, nil
}

// create starts a session of loop.
func (c *loadClient) create(device string) (*benchSession, error) {
	resp, err := c.do("POST", "/v1/sessions", nil, []byte(`{"flow":"loop","device":"`+device+`"}`))
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusCreated {
		return nil, fmt.Errorf("create: %d %s", resp.status, resp.body)
	}
	s := &benchSession{id: field(resp.body, "id"), secret: field(resp.body, "secret")}
	if s.id == "" || s.secret == "" {
		return nil, fmt.Errorf("create: no id or secret in %s", resp.body)
	}
	s.version, err = version(resp.etag)
	return s, err
}

var nextBody = []byte(`{"choice":"next"}`)

// step answers s's prompt: one durable step.
func (c *loadClient) step(s *benchSession) error {
	resp, err := c.do("POST", "/v1/sessions/"+s.id+"/answers", []string{
		"Authorization: Bearer " + s.secret,
		`If-Match: "` + strconv.Itoa(s.version) + `"`,
		"Idempotency-Key: k" + strconv.FormatInt(c.keys.Add(1), 10),
	}, nextBody)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return fmt.Errorf("answer: %d %s", resp.status, resp.body)
	}
	if field(resp.body, "id") != s.id {
		return fmt.Errorf("answer: the response is not session %s's: %s", s.id, resp.body)
	}
	next, err := version(resp.etag)
	if err == nil && next <= s.version {
		err = fmt.Errorf("answer: version %d after %d", next, s.version)
	}
	s.version = next
	return err
}

// field reads a top-level string member of a small JSON object.
func field(body []byte, name string) string {
	_, rest, ok := bytes.Cut(body, []byte(`"`+name+`":"`))
	if !ok {
		return ""
	}
	v, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(v)
}

// run runs n operations with benchClients goroutines, op(client) each.
func run(b *testing.B, n int, op func(client int) error) time.Duration {
	d, err := storetest.Parallel(n, benchClients, op)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// cpuTime is the CPU time process pid has used, user and system, from
// /proc (in ticks of USER_HZ, 100 a second on Linux).
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command, which is in parentheses: utime is the
	// 14th field, stime the 15th.
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// rss is process pid's resident set, from /proc.
func rss(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkServeSteps takes b.N durable steps through tether serve over
// HTTP with benchClients clients, each answering sessions of its own,
// and reports the server's CPU time per step (process CPU / steps) and
// its steps per second; for SQLite and PostgreSQL also, alternating with
// them by phases, the raw commit rate of the same database (a one-row
// upsert per transaction, the store's driver and pragmas) and the ratio.
func BenchmarkServeSteps(b *testing.B) {
	type store struct {
		name string
		open func(b *testing.B) (storeURL string, raw func(ctx context.Context, n int) error)
	}
	stores := []store{{"memory", func(*testing.B) (string, func(context.Context, int) error) { return "memory:", nil }}, {"sqlite", rawSQLite}}
	if os.Getenv("TETHER_TEST_POSTGRES") != "" {
		stores = append(stores, store{"postgres", rawPostgres})
	}
	for _, st := range stores {
		b.Run(fmt.Sprintf("store=%s/clients=%d", st.name, benchClients), func(b *testing.B) {
			storeURL, raw := st.open(b)
			srv := benchServer(b, storeURL)
			c := newLoadClient(srv)
			sessions := make([]*benchSession, benchClients*4)
			for i := range sessions {
				s, err := c.create(fmt.Sprintf("bench-%d", i))
				if err != nil {
					b.Fatal(err)
				}
				sessions[i] = s
			}
			steps := make([]int, benchClients)
			step := func(client int) error {
				steps[client]++
				return c.step(sessions[client+steps[client]%4*benchClients])
			}
			// Warm up: connections, the server's caches.
			run(b, benchPhase, step)
			var rawN atomic.Int64
			var rawTime, stepTime, cpu, genCPU time.Duration
			ctx := context.Background()
			b.ResetTimer()
			for done := 0; done < b.N; done += benchPhase {
				n := min(benchPhase, b.N-done)
				if raw != nil {
					rawTime += run(b, n, func(int) error { return raw(ctx, int(rawN.Add(1))) })
				}
				before, genBefore := cpuTime(b, srv.pid()), cpuTime(b, os.Getpid())
				stepTime += run(b, n, step)
				cpu += cpuTime(b, srv.pid()) - before
				genCPU += cpuTime(b, os.Getpid()) - genBefore
			}
			b.StopTimer()
			stepRate := float64(b.N) / stepTime.Seconds()
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/step")
			b.ReportMetric(stepRate, "steps/s")
			b.ReportMetric(float64(genCPU.Microseconds())/float64(b.N), "loadgen-cpu-µs/step")
			if raw != nil {
				rawRate := float64(b.N) / rawTime.Seconds()
				b.ReportMetric(rawRate, "raw-commits/s")
				b.ReportMetric(stepRate/rawRate, "ratio")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// rawSQLite is a store URL of a new SQLite database and the raw commit of
// a database next to it with the store's driver and pragmas (WAL,
// synchronous=FULL, one writer connection, immediate transactions).
func rawSQLite(b *testing.B) (string, func(context.Context, int) error) {
	dir := b.TempDir()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE raw (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return "sqlite:" + filepath.Join(dir, "sessions.db"), func(ctx context.Context, n int) error {
		_, err := db.ExecContext(ctx, `INSERT INTO raw (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
		return err
	}
}

// rawPostgres is a store URL of a schema of its own and the raw commit of
// a table in it, through pgx's pool.
func rawPostgres(b *testing.B) (string, func(context.Context, int) error) {
	storeURL := postgresSchema(b)
	pool, err := pgxpool.New(context.Background(), storeURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE raw (id bigint PRIMARY KEY, v bigint NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return storeURL, func(ctx context.Context, n int) error {
		_, err := pool.Exec(ctx, `INSERT INTO raw (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, n%64, n)
		return err
	}
}

// idleSessions is how many idle sessions BenchmarkServeIdle creates.
const idleSessions = 10_000

// BenchmarkServeIdle creates idleSessions sessions through the API of a
// tether serve on the memory store, default GOGC, and reports how much
// its RSS grew per session: what an idle session costs. b.N is ignored
// beyond the first round: one measurement a run.
func BenchmarkServeIdle(b *testing.B) {
	srv := benchServer(b, "memory:")
	c := newLoadClient(srv)
	// Warm up: connections, the server's caches and pools.
	var made atomic.Int64
	create := func(int) error {
		_, err := c.create("idle-" + strconv.FormatInt(made.Add(1), 10))
		return err
	}
	run(b, 500, create)
	time.Sleep(200 * time.Millisecond)
	before := rss(b, srv.pid())
	b.ResetTimer()
	run(b, idleSessions, create)
	b.StopTimer()
	time.Sleep(time.Second) // a GC cycle or two, as an idle server would see
	grown := rss(b, srv.pid()) - before
	b.ReportMetric(float64(grown)/idleSessions, "rss-B/session")
	b.ReportMetric(0, "ns/op")
}
