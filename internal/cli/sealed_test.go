package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demoportal"
	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/portalhttp"
	"github.com/tetherflow/tether/adapters/portalserver"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
	"github.com/tetherflow/tether/adapters/sessions/sqlite"
	"github.com/tetherflow/tether/adapters/smsoutbox"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/seal"
)

const (
	familyEmail    = "family@example.com"
	familyPassword = "Family-pass-2024"
	familyPhone    = "+49 151 2345 1234"
	wrongPassword  = "Wrong-Family-pass-9731"
)

// spyPortal is the demo portal over HTTP, in this process, noting every
// secret that crosses it: passwords and codes asked with, and tickets
// (auth_session), authorization codes, tokens and device secrets
// answered, so that a test can look for them where they must not be.
type spyPortal struct {
	URL     string
	Journal string // the SMS journal, for tether run --outbox
	outbox  *smsoutbox.Outbox

	mu      sync.Mutex
	secrets map[string]string // value: what it is
	ticket  string            // the last auth_session answered
}

// secretParams are the form parameters and answer members that hold
// secrets.
var secretParams = []string{"password", "otp", "auth_session", "code", "code_verifier", "authorization_code",
	"access_token", "refresh_token", "id_token", "device_secret", "subject_token", "actor_token", "token"}

func startSpyPortal(t *testing.T) *spyPortal {
	t.Helper()
	fx, err := demoportal.LoadFixture("../../flows/demo/portal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp := &spyPortal{Journal: filepath.Join(t.TempDir(), "outbox.jsonl"), secrets: map[string]string{}}
	journal, err := os.Create(sp.Journal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { journal.Close() })
	sp.outbox = smsoutbox.New(io.Discard, smsoutbox.WithJournal(journal, time.Now))
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sp.serve(handler, w, r) }))
	t.Cleanup(srv.Close)
	p, err := demoportal.New(fx, time.Now, rand.New(rand.NewPCG(rand.Uint64(), 1)), sp.outbox, demoportal.WithIssuer(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	handler = portalserver.New(p, portalserver.Options{})
	sp.URL = srv.URL
	return sp
}

func (sp *spyPortal) serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if form, err := url.ParseQuery(string(body)); err == nil {
		for _, p := range secretParams {
			sp.note(form.Get(p), "request "+p)
		}
	}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && scheme == "DPoP" {
		sp.note(token, "access token")
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var answer map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &answer) == nil {
		for _, p := range secretParams {
			if v, ok := answer[p].(string); ok {
				sp.note(v, "answer "+p)
				if p == "auth_session" {
					sp.mu.Lock()
					sp.ticket = v
					sp.mu.Unlock()
				}
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (sp *spyPortal) note(v, what string) {
	if len(v) < 6 {
		return
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.secrets[v] = what
}

// lastTicket is the last auth_session the portal answered.
func (sp *spyPortal) lastTicket() string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.ticket
}

// code waits for the code texted to the phone.
func (sp *spyPortal) code(t *testing.T, phone string) string {
	t.Helper()
	for range 500 {
		if c := sp.outbox.LastCodeFor(phone); c != "" {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no code texted to %s", phone)
	return ""
}

// needles are the secrets to look for, by value: those the portal saw,
// and the passwords typed.
func (sp *spyPortal) needles(more map[string]string) map[string]string {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	out := map[string]string{}
	for k, v := range sp.secrets {
		out[k] = v
	}
	out[familyPassword], out[wrongPassword] = "the password", "the wrong password"
	for k, v := range more {
		out[k] = v
	}
	return out
}

// leaks returns the needles found in hay, in clear, hex or base64: a
// database shows bytes as hex, a JSON document bytes as base64. A needle
// of digits alone (a code) counts only where no digit touches it.
func leaks(needles map[string]string, name string, hay []byte) []string {
	var found []string
	low := bytes.ToLower(hay)
	for n, what := range needles {
		forms := [][]byte{[]byte(n), []byte(hex.EncodeToString([]byte(n))),
			[]byte(base64.StdEncoding.EncodeToString([]byte(n))), []byte(base64.RawURLEncoding.EncodeToString([]byte(n)))}
		for i, f := range forms {
			h := hay
			if i == 1 {
				h = low
			}
			hit := bytes.Contains(h, f)
			if hit && regexp.MustCompile(`^[0-9]+$`).Match(f) {
				hit = regexp.MustCompile(`(^|[^0-9])` + string(f) + `($|[^0-9])`).Match(h)
			}
			if hit {
				found = append(found, fmt.Sprintf("%s holds %s (%q, form %d)", name, what, n, i))
				break
			}
		}
	}
	return found
}

// dirBytes returns every file under dir, by path.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, err := os.ReadFile(p); err == nil {
				out[p] = b
			}
		}
		return nil
	})
	return out
}

// pgRows returns every row of every table of the schema the store URL
// names, as text.
func pgRows(t *testing.T, storeURL string) []byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 7 {
		t.Fatalf("the schema has tables %v", tables)
	}
	var all bytes.Buffer
	for _, table := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %q t`, table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			fmt.Fprintf(&all, "%s: %s\n", table, s)
		}
		rows.Close()
	}
	return all.Bytes()
}

// keyFile writes a seal key file of the given key ids, the last sealing,
// and returns its path.
func keyFile(t *testing.T, dir string, ids ...string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		secret := make([]byte, seal.KeySize)
		copy(secret, id) // a test key: its id, then zeros
		fmt.Fprintf(&b, "%s %s\n", id, base64.StdEncoding.EncodeToString(secret))
	}
	path := filepath.Join(dir, "seal-"+strings.Join(ids, "-")+".keys")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// walk drives a session of the connect flow, in Germany, through the
// answers given as state, choice, fields; it returns the session.
type walk struct {
	t   *testing.T
	c   *wire.Client
	s   *wire.Session
	ref wire.Ref
	key string // the device's key, when the walk created the device
}

// newWalk starts a session of device, presenting key (the device's key
// a first walk was given, s.DeviceKey; "" for a new device).
func newWalk(t *testing.T, c *wire.Client, device string, key ...string) *walk {
	t.Helper()
	s, ref, err := c.Create(t.Context(), "connect", "DE", device, strings.Join(key, ""))
	if err != nil {
		t.Fatal(err)
	}
	return &walk{t: t, c: c, s: s, ref: ref, key: s.DeviceKey}
}

func (w *walk) answer(state, choice string, fields map[string]any) {
	w.t.Helper()
	if w.s.State != state {
		w.t.Fatalf("session at %s, want %s (%+v)", w.s.State, state, w.s.Result)
	}
	s, err := w.c.Answer(w.t.Context(), w.ref, w.s.Version, choice, fields)
	if err != nil {
		w.t.Fatalf("answer %s at %s: %v", choice, state, err)
	}
	w.s = s
}

// signIn signs family in, first with a wrong password, and enters the
// texted code: the session waits at the consent.
func (w *walk) signIn(sp *spyPortal) {
	w.t.Helper()
	w.answer("sign_in", "continue", map[string]any{"email": familyEmail, "password": wrongPassword})
	w.answer("sign_in", "continue", map[string]any{"email": familyEmail, "password": familyPassword})
	w.answer("enter_code", "continue", map[string]any{"code": sp.code(w.t, familyPhone)})
}

// connect accepts the regulation and picks the Family licence.
func (w *walk) connect() {
	w.t.Helper()
	w.answer("consent", "accept", nil)
	w.answer("choose_subscription", "select", map[string]any{"licence": "LIC-FAM-F"})
	if w.s.Result == nil || !w.s.Result.Success {
		w.t.Fatalf("session ended %+v, want connected", w.s.Result)
	}
}

// After sessions of tether serve, on SQLite and on PostgreSQL, in which a
// password, a wrong password, an SMS code, a sign-in ticket and the
// portal's tokens were used, none of them is in the store's files or
// tables (SQLite's -wal included, read while the server runs and after
// it stopped), nor in the server's log: the tickets are sealed in the
// sessions' records, the tokens and the device's key in its records.
//
// The ticket-reuse attack: a session waits at the consent, its ticket
// authorised by the code. Whoever reads the store finds no ticket; and
// the ticket itself, had it leaked, used alone from another device (key)
// records no consent, connects nothing and lists no licence: the portal
// binds it to the device's key, which is sealed in the store too.
func TestServeKeepsNoSecretInClear(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			sp := startSpyPortal(t)
			dir := t.TempDir()
			storeURL := "sqlite:" + filepath.Join(dir, "db", "tether.db")
			os.MkdirAll(filepath.Join(dir, "db"), 0o700)
			if backend == "postgres" {
				storeURL = postgresSchema(t)
			}
			keys := keyFile(t, dir, "k1")
			addr, data := freeAddr(t), t.TempDir()
			srv := &server{t: t, log: &strings.Builder{}, args: []string{"serve", "--flows", "../../flows", "--store", storeURL,
				"--portal", sp.URL, "--addr", addr, "--data", data, "--seal-key-file", keys, "--create-rate", "0", "--answer-rate", "0"}}
			srv.start()
			stopped := false
			defer func() {
				if !stopped {
					srv.stop()
				}
			}()
			c, err := wire.NewClient("http://"+addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			sessionSecrets := map[string]string{}

			// A session connects the device.
			done := newWalk(t, c, "sealed-device-1")
			sessionSecrets[done.ref.Secret] = "a session's secret"
			done.signIn(sp)
			done.connect()

			// Another waits at the consent, its ticket authorised.
			waiting := newWalk(t, c, "sealed-device-2")
			sessionSecrets[waiting.ref.Secret] = "a session's secret"
			waiting.signIn(sp)
			if waiting.s.State != "consent" {
				t.Fatalf("the second session is at %s, want consent", waiting.s.State)
			}
			ticket := waiting.lastTicket(sp)

			// What the store holds now, with the server running.
			var hay = map[string][]byte{"the server's log": []byte(srv.logs())}
			if backend == "sqlite" {
				for p, b := range dirBytes(t, filepath.Join(dir, "db")) {
					hay[p+" (running)"] = b
				}
				if _, ok := hay[filepath.Join(dir, "db", "tether.db-wal")+" (running)"]; !ok {
					t.Errorf("no -wal file to read while the server runs: %v", hay)
				}
			} else {
				hay["the PostgreSQL tables"] = pgRows(t, storeURL)
			}
			for p, b := range dirBytes(t, data) {
				hay[p] = b
			}

			// The attack: the ticket alone, from a device of the attacker's.
			pc, err := portalhttp.New(sp.URL, portalhttp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			attacker := devices.Stores(memory.New(), nil)("attacker")
			thief := pc.ForDevice(attacker)
			ctx := t.Context()
			rec, err := thief.RecordConsent(ctx, ticket, actions.Consent{Account: familyEmail, Document: "gdpr-data-provisioning-de",
				Version: "2025.1-de", Region: "eu-de", AcceptedAt: time.Now()})
			// The portal answers, and knows no such sign-in for this key.
			const unknown = "the sign-in is unknown"
			if err != nil || rec.Recorded || rec.Reason != unknown {
				t.Errorf("the stolen ticket's consent: %+v, %v; want refused: %s", rec, err, unknown)
			}
			conn, err := thief.Connect(ctx, ticket)
			if err != nil || conn.Connected || conn.Reason != unknown {
				t.Errorf("the stolen ticket's connect: %+v, %v; want refused: %s", conn, err, unknown)
			}
			if l, err := thief.Licences(ctx, ticket); err == nil {
				t.Errorf("the stolen ticket listed licences: %v", l)
			}
			if all, _ := attacker.Credentials(ctx); len(all) != 0 {
				t.Errorf("the attacker's device holds %v", all)
			}
			// The device it was issued to still goes on with it.
			waiting.connect()

			if code := srv.stop(); code != nil {
				t.Errorf("serve stopped with %v", code)
			}
			stopped = true
			hay["the server's log, to the end"] = []byte(srv.logs())
			if backend == "sqlite" {
				for p, b := range dirBytes(t, filepath.Join(dir, "db")) {
					hay[p+" (stopped)"] = b
				}
			} else {
				hay["the PostgreSQL tables, at the end"] = pgRows(t, storeURL)
			}

			needles := sp.needles(sessionSecrets)
			var kinds = map[string]bool{}
			for _, what := range needles {
				kinds[strings.Replace(what, "answer access_token", "access token", 1)] = true
			}
			for _, want := range []string{"the password", "the wrong password", "request otp", "answer auth_session",
				"access token", "answer refresh_token", "answer id_token", "answer device_secret", "a session's secret"} {
				if !kinds[want] {
					t.Errorf("the sessions used no %s: the test looks for nothing", want)
				}
			}
			var found []string
			for name, b := range hay {
				found = append(found, leaks(needles, name, b)...)
			}
			for _, f := range found {
				t.Error(f)
			}
			t.Logf("%d secrets looked for in %d files, tables and logs", len(needles), len(hay))
		})
	}
}

// lastTicket is the ticket of the session's last sign-in step: the last
// auth_session the portal answered, the session's being the last to sign
// in.
func (w *walk) lastTicket(sp *spyPortal) string {
	w.t.Helper()
	tk := sp.lastTicket()
	if !strings.HasPrefix(tk, "as-") {
		w.t.Fatalf("the portal answered no ticket (%q)", tk)
	}
	return tk
}

// tether run keeps nothing in clear either: with a wrong password first,
// the run's transcript, its JSON log, its output and the device's
// credential store hold no password, code, ticket or token.
func TestRunKeepsNoSecretInClear(t *testing.T) {
	sp := startSpyPortal(t)
	dir := t.TempDir()
	answers := fmt.Sprintf(`- {state: sign_in, choice: continue, fields: {email: %s, password: %s}}
- {state: sign_in, choice: continue, fields: {email: %s, password: %s}}
- {state: enter_code, choice: continue, fields: {code: "{{sms}}"}}
- {state: consent, choice: accept}
- {state: choose_subscription, choice: select, fields: {licence: LIC-FAM-F}}
`, familyEmail, wrongPassword, familyEmail, familyPassword)
	if err := os.WriteFile(filepath.Join(dir, "answers.yaml"), []byte(answers), 0o600); err != nil {
		t.Fatal(err)
	}
	flow, _ := filepath.Abs("../../flows/connect.yaml")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "run", flow, "--country", "DE", "--portal", sp.URL, "--outbox", sp.Journal,
		"--answers", "answers.yaml", "--json", "--transcript", "transcript.txt", "--credentials", "creds.json")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	cmd.Env = append(os.Environ(), "TETHER_TEST_MAIN=1")
	if err := cmd.Run(); err != nil {
		t.Fatalf("tether run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), `"outcome":"connected"`) {
		t.Fatalf("tether run did not connect:\n%s", stdout.String())
	}
	hay := map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()}
	for p, b := range dirBytes(t, dir) {
		if filepath.Base(p) != "answers.yaml" && filepath.Base(p) != "seal.keys" {
			hay[p] = b
		}
	}
	for _, f := range []string{"transcript.txt", "creds.json"} {
		if _, ok := hay[filepath.Join(dir, f)]; !ok {
			t.Errorf("tether run wrote no %s", f)
		}
	}
	needles := sp.needles(nil)
	var found []string
	for name, b := range hay {
		found = append(found, leaks(needles, name, b)...)
	}
	for _, f := range found {
		t.Error(f)
	}
	if len(needles) < 8 {
		t.Errorf("only %d secrets to look for: %v", len(needles), needles)
	}
}

// Seal keys rotate through tether serve: a server restarted with a new
// key after the old one (the new one seals) goes on with the sessions and
// devices the old key sealed, and seals what it writes with the new key;
// restarted with the new key alone, what the new key sealed still opens,
// and a session only the old key sealed is refused, the log saying which
// key it needs.
func TestServeRotatesSealKeys(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			sp := startSpyPortal(t)
			dir := t.TempDir()
			storeURL := "sqlite:" + filepath.Join(dir, "tether.db")
			if backend == "postgres" {
				storeURL = postgresSchema(t)
			}
			addr, data := freeAddr(t), t.TempDir()
			serve := func(keys string) *server {
				srv := &server{t: t, log: &strings.Builder{}, args: []string{"serve", "--flows", "../../flows", "--store", storeURL,
					"--portal", sp.URL, "--addr", addr, "--data", data, "--seal-key-file", keys, "--create-rate", "0", "--answer-rate", "0"}}
				srv.start()
				return srv
			}
			c, err := wire.NewClient("http://"+addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Tries, c.Backoff = 1, 0

			// Under k1: one device connected, two sessions at the consent.
			srv := serve(keyFile(t, dir, "k1"))
			connected := newWalk(t, c, "rotate-1")
			connected.signIn(sp)
			connected.connect()
			goesOn := newWalk(t, c, "rotate-2")
			goesOn.signIn(sp)
			left := newWalk(t, c, "rotate-3")
			left.signIn(sp)
			srv.stop()

			// Under k1 and k2, k2 sealing: what k1 sealed opens.
			srv = serve(keyFile(t, dir, "k1", "k2"))
			if !strings.Contains(srv.logs(), `"msg":"seal keys"`) || !strings.Contains(srv.logs(), `"sealing":"k2"`) {
				t.Errorf("the server does not say k2 seals:\n%s", srv.logs())
			}
			goesOn.connect()
			again := newWalk(t, c, "rotate-1", connected.key) // the saved connection, sealed with k1, signs in
			if again.s.State == "sign_in" || again.s.Result != nil && !again.s.Result.Success {
				t.Errorf("the device connected under k1, again under k1 and k2: at %s, %+v", again.s.State, again.s.Result)
			}
			srv.stop()

			// The session that went on is sealed with k2 now; the one left
			// with k1.
			data2, data3 := storedData(t, storeURL, goesOn.ref.ID), storedData(t, storeURL, left.ref.ID)
			if !bytes.Contains(data2, []byte("\x01\x02k2")) || bytes.Contains(data2, []byte("\x01\x02k1")) {
				t.Errorf("the session that went on is not sealed with k2 alone: %q", data2)
			}
			if !bytes.Contains(data3, []byte("\x01\x02k1")) {
				t.Errorf("the session left is not sealed with k1: %q", data3)
			}

			// Under k2 alone.
			srv = serve(keyFile(t, dir, "k2"))
			defer srv.stop()
			if s, err := c.Get(t.Context(), goesOn.ref); err != nil || s.Status != "ended" {
				t.Errorf("the session k2 sealed, under k2 alone: %+v, %v", s, err)
			}
			_, err = c.Get(t.Context(), left.ref)
			if p, ok := errors.AsType[*wire.Problem](err); !ok || p.Status != http.StatusInternalServerError {
				t.Errorf("the session k1 sealed, under k2 alone: %v, want 500", err)
			}
			for i := 0; i < 200 && !strings.Contains(srv.logs(), `"status":500`); i++ {
				time.Sleep(10 * time.Millisecond) // the log is read from a pipe
			}
			if !strings.Contains(srv.logs(), `sealed under a key not given (key \"k1\")`) {
				t.Errorf("the log does not say the session needs k1:\n%s", tail(srv.logs(), 5))
			}
		})
	}
}

// storedData returns the data of session id's record in the store.
func storedData(t *testing.T, storeURL, id string) []byte {
	t.Helper()
	ctx := context.Background()
	var (
		store interface {
			Load(context.Context, string) (*host.Record, error)
			Close() error
		}
		err error
	)
	if strings.HasPrefix(storeURL, "sqlite:") {
		store, err = sqlite.Open(ctx, storeURL)
	} else {
		store, err = postgres.Open(ctx, storeURL)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, err := store.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Data
}
