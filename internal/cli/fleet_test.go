package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/smsoutbox"
)

const (
	fleetInstances = 3
	fleetSessions  = 24
)

// The fleet test: three tether serve instances share one PostgreSQL
// database and nothing else, each with an empty --data of its own, in
// front of one portal (tether portal serve). Every request of every client
// goes to an instance picked at random: a session signs in on one, its
// code is checked on another, the device is connected on a third and its
// licence activated on whichever comes next, which must find the
// connection saved. One instance is killed with SIGKILL mid-run and
// restarted. Every session connects exactly once, the portal sends one
// text per session, no --data holds anything, and a client over its
// creation limit is refused by every instance.
func TestFleetPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet test takes seconds; run it without -short")
	}
	url := postgresSchema(t)
	flows := crashFlows(t)
	portalURL, outbox := startPortal(t, filepath.Join(flows, "demo", "portal.yaml"))
	var srvs [fleetInstances]*server
	const adminToken = "fleet-admin-token"
	var adminAddr string
	addrs := make([]string, fleetInstances)
	datas := make([]string, fleetInstances)
	keysEnv := sealKeysEnv(t) // the same for every instance
	for i := range srvs {
		addrs[i], datas[i] = freeAddr(t), t.TempDir()
		srvs[i] = &server{t: t, log: &strings.Builder{}, env: keysEnv, args: []string{"serve", "--flows", flows, "--store", url,
			"--portal", portalURL, "--addr", addrs[i], "--data", datas[i], "--timer-interval", "200ms",
			"--create-rate", "0.01", "--answer-rate", "0", "--trusted-proxies", "127.0.0.1"}}
		if i == 0 {
			// The first serves its metrics on an admin port only.
			adminAddr = freeAddr(t)
			srvs[i].args = append(srvs[i].args, "--admin-addr", adminAddr)
			srvs[i].env = append(keysEnv, "TETHER_ADMIN_TOKEN="+adminToken)
		}
		srvs[i].start()
	}
	defer func() {
		for _, s := range srvs {
			s.stop()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var failures []string
	ids := make([]string, fleetSessions)
	// The kill comes once a third of the responses (five a session) are
	// in: mid-run.
	acks, third := 0, make(chan struct{})
	ack := func(*wire.Session) {
		mu.Lock()
		defer mu.Unlock()
		if acks++; acks == fleetSessions*5/3 {
			close(third)
		}
	}
	var wg sync.WaitGroup
	for i := range fleetSessions {
		c := fleetClient(t, addrs, fmt.Sprintf("198.51.100.%d", i+1))
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			id, err := connectOne(ctx, c, i, ack, journalCode(outbox))
			ids[i] = id
			if err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("session %d (%s): %v", i, id, err))
				mu.Unlock()
			}
		})
	}
	// Kill one instance while the sessions run, and restart it on its own
	// (still empty) --data.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	victim := 1 + rand.IntN(fleetInstances-1) // not the one whose metrics are read below
	var before int
	select {
	case <-done:
		t.Error("the sessions ended before a third of their responses")
	case <-third:
		srvs[victim].kill()
		mu.Lock()
		before = acks
		mu.Unlock()
		time.Sleep(300 * time.Millisecond)
		srvs[victim].start()
		<-done
	}
	for _, f := range failures {
		t.Error(f)
	}
	if t.Failed() {
		for i, s := range srvs {
			t.Logf("instance %d's log:\n%s", i, tail(s.logs(), 30))
		}
		t.FailNow()
	}

	// A client over its creation limit (a burst of 20) is refused by
	// every instance: they count against one bucket, in the store.
	abuser := fleetClient(t, addrs, "203.0.113.66")
	for n := range 20 {
		if _, _, err := abuser.Create(ctx, "connect", "DE", fmt.Sprintf("abuser-%d", n), ""); err != nil {
			t.Fatalf("the abuser's create %d of its burst of 20: %v", n+1, err)
		}
	}
	for i, addr := range addrs {
		c, err := wire.NewClient("http://"+addr, &http.Client{Transport: forwarded("203.0.113.66", http.DefaultTransport)})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Create(ctx, "connect", "DE", "abuser-more", "")
		if p, ok := errors.AsType[*wire.Problem](err); !ok || p.Status != http.StatusTooManyRequests {
			t.Errorf("instance %d let the abuser's 21st create through: %v", i, err)
		}
	}

	// The instance with an admin port counts its steps there, for the
	// admin token only, and not on its public port.
	if n := metric(t, srvs[0], `tether_steps_total{op="answer"}`); n != 0 {
		t.Errorf("the public port serves metrics (%d answers)", n)
	}
	for token, want := range map[string]int{adminToken: http.StatusOK, "wrong": http.StatusUnauthorized} {
		req, _ := http.NewRequest("GET", "http://"+adminAddr+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200) != strings.Contains(string(body), `tether_steps_total{op="answer"}`) {
			t.Errorf("admin /metrics with token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}

	// Exactly once: each session's log holds one text sent, one consent
	// and one end, its effects one sendCode; the portal sent one text per
	// phone.
	store, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, id := range ids {
		entries, err := store.Log(context.Background(), id, 0)
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		var all strings.Builder
		for _, e := range entries {
			all.Write(e.Data)
			all.WriteByte('\n')
		}
		for what, parts := range map[string][]string{
			"codes sent":   {`"action":"sms.send"`, `"event":"sent"`},
			"consents":     {`"action":"consent.record"`, `"event":"recorded"`},
			"activations":  {`"action":"license.activate"`, `"event":"activated"`},
			"final states": {`"kind":"final"`},
		} {
			if n := countEntries(all.String(), parts...); n != 1 {
				t.Errorf("session %d logged %d %s, want 1", i, n, what)
			}
		}
		effects, err := store.Effects(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		sends := 0
		for _, e := range effects {
			if e.Kind == "portal.sendCode" {
				sends++
			}
		}
		if sends != 1 {
			t.Errorf("session %d: %d sendCode effects, want 1", i, sends)
		}
	}
	texts := map[string]int{}
	for _, r := range readJournal(t, outbox) {
		if r.Kind == smsoutbox.KindSMS {
			texts[r.Phone]++
		}
	}
	for i := range fleetSessions {
		if n := texts[actions.MaskPhone(phoneOf(i))]; n != 1 {
			t.Errorf("account %d's phone got %d texts, want 1", i, n)
		}
	}
	// The devices' connections are in the database, one per device (every
	// device created, the abuser's too, has its key's record), and no
	// instance's --data holds anything.
	var devices int
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), `SELECT count(DISTINCT device) FROM device_records WHERE name <> '#access'`).Scan(&devices); err != nil {
		t.Fatal(err)
	}
	if devices != fleetSessions {
		t.Errorf("%d devices' connections in the store, want %d", devices, fleetSessions)
	}
	for i, d := range datas {
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("instance %d's --data holds %v", i, entries)
		}
	}
	t.Logf("%d sessions connected across %d instances; instance %d killed after %d of %d responses and restarted; %d texts",
		fleetSessions, fleetInstances, victim, before, acks, len(texts))
}

// fleetClient is a client of the fleet at addrs, as the client at address
// from (X-Forwarded-For, which the instances trust from 127.0.0.1): every
// request goes to an instance picked at random, and is sent again (to
// another pick) when the one picked is down.
func fleetClient(t *testing.T, addrs []string, from string) *wire.Client {
	t.Helper()
	pick := roundTrip(func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		r.URL.Host, r.Host = addrs[rand.IntN(len(addrs))], ""
		return http.DefaultTransport.RoundTrip(r)
	})
	c, err := wire.NewClient("http://fleet.invalid", &http.Client{Transport: forwarded(from, pick), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Tries, c.Backoff = 200, 20*time.Millisecond
	return c
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// forwarded sends every request as from a client at address from, through
// a proxy the servers trust.
func forwarded(from string, next http.RoundTripper) http.RoundTripper {
	return roundTrip(func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		r.Header.Set("X-Forwarded-For", from)
		return next.RoundTrip(r)
	})
}

// startPortal runs tether portal serve on fixture, its codes journalled to
// the file it returns, and stops it when the test ends.
func startPortal(t *testing.T, fixture string) (url, outbox string) {
	t.Helper()
	dir := t.TempDir()
	outbox = filepath.Join(dir, "outbox.jsonl")
	cmd := exec.Command(os.Args[0], "portal", "serve", "--fixture", fixture, "--state", filepath.Join(dir, "portal.db"),
		"--outbox", outbox, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "TETHER_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("tether portal serve printed no URL: %v", sc.Err())
	}
	go func() {
		for sc.Scan() { // the texts, as the phones show them
		}
	}()
	return strings.TrimSpace(sc.Text()), outbox
}

// readJournal reads the portal's outbox journal.
func readJournal(t *testing.T, path string) []smsoutbox.Record {
	t.Helper()
	recs, err := journal(path)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func journal(path string) ([]smsoutbox.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []smsoutbox.Record
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var r smsoutbox.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// journalCode waits for the code texted to a phone in the portal's
// journal.
func journalCode(path string) func(ctx context.Context, phone string) (string, error) {
	return func(ctx context.Context, phone string) (string, error) {
		masked := actions.MaskPhone(phone)
		for ctx.Err() == nil {
			recs, err := journal(path)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				for _, r := range recs {
					if r.Kind == smsoutbox.KindSMS && r.Phone == masked {
						return r.Code, nil
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		return "", fmt.Errorf("no text to %s: %w", phone, ctx.Err())
	}
}
