package portalserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetherflow/tether/api"
)

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("5xx=0.2, reset=0.1,latency=200ms@0.3,slow=2s@0.05,truncate=0.05,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.String(), "5xx 20%, reset 10%, latency 200ms 30%, slow 2s 5%, truncate 5%"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, tt := range []struct{ spec, want string }{
		{"5xx=2", `item 1 "5xx=2": the rate is not a probability between 0 and 1`},
		{"boom=0.1", `item 1 "boom=0.1": unknown fault "boom" (want latency, 5xx, reset, slow, truncate, or seed)`},
		{"5xx=0.1,latency=0.3", `item 2 "latency=0.3": latency wants DELAY@RATE, like latency=200ms@0.3`},
		{"reset", `item 1 "reset": want KIND=RATE or seed=N`},
		{"seed=x", `item 1 "seed=x": the seed is not a whole number`},
		{"5xx=0.6,reset=0.6", `the rates add up to 1.2`},
	} {
		_, err := ParseFaults(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFaults(%q) = %v, want an error with %q", tt.spec, err, tt.want)
		}
	}
	_, err = ParseFaults("5xx=2,boom=1")
	if err == nil || !strings.Contains(err.Error(), "item 1") || !strings.Contains(err.Error(), "item 2") {
		t.Errorf("two bad items: %v, want both reported", err)
	}
}

// Rates are drawn from the seed: the same seed gives the same faults, a
// rate of 1 always faults and 0 never.
func TestRateFaultsAreSeeded(t *testing.T) {
	draw := func(spec string) []FaultKind {
		f, err := ParseFaults(spec)
		if err != nil {
			t.Fatal(err)
		}
		var out []FaultKind
		for range 200 {
			out = append(out, f.decide(api.OpSendCode).Kind)
		}
		return out
	}
	a, b, c := draw("5xx=0.3,reset=0.2,seed=3"), draw("5xx=0.3,reset=0.2,seed=3"), draw("5xx=0.3,reset=0.2,seed=4")
	if strings.Join(kinds(a), ",") != strings.Join(kinds(b), ",") {
		t.Error("the same seed drew different faults")
	}
	if strings.Join(kinds(a), ",") == strings.Join(kinds(c), ",") {
		t.Error("another seed drew the same 200 faults")
	}
	n := map[FaultKind]int{}
	for _, k := range a {
		n[k]++
	}
	if n[Fault5xx] == 0 || n[FaultReset] == 0 || n[""] == 0 || n[Fault5xx] < n[FaultReset] {
		t.Errorf("200 draws at 5xx 30%%, reset 20%%: %v", n)
	}
	for _, k := range draw("truncate=1") {
		if k != FaultTruncate {
			t.Fatalf("rate 1 drew %q", k)
		}
	}
	for _, k := range draw("truncate=0") {
		if k != "" {
			t.Fatalf("rate 0 drew %q", k)
		}
	}
}

func kinds(ks []FaultKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

func TestParseSchedule(t *testing.T) {
	f, err := ParseSchedule("s.yaml", []byte("- {op: sendCode, request: 2, fault: reset}\n- {op: sendCode, request: 3, fault: latency, delay: 1s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []Fault
	for range 4 {
		got = append(got, f.decide(api.OpSendCode))
	}
	want := []Fault{{}, {Kind: FaultReset}, {Kind: FaultLatency, Delay: time.Second}, {}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d to sendCode got %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if f.decide(api.OpAuthorize) != (Fault{}) || f.Requests(api.OpSendCode) != 4 {
		t.Error("the schedule counts requests per operation")
	}
	_, err = ParseSchedule("s.yaml", []byte(`- {op: sendcode, request: 1, fault: reset}
- {op: authorize, request: 0, fault: reset}
- {op: authorize, request: 1, fault: boom}
- {op: authorize, request: 2, fault: slow}
- {op: authorize, request: 3, fault: reset, colour: red}
- {op: authorize, request: 4, fault: reset}
- {op: authorize, request: 4, fault: 5xx}
- just a string
- {op: connect, request: 5, fault: reset, dealy: 1s}
`))
	for _, want := range []string{
		`s.yaml:1:3: unknown operation "sendcode" (want one of activate, authorize,`,
		`s.yaml:2:3: request must be 1 or more`,
		`s.yaml:3:3: unknown fault "boom"`,
		`s.yaml:4:3: slow needs a delay`,
		`s.yaml:5:45: unknown key "colour"`,
		`s.yaml:7:3: request 4 to authorize already has a fault`,
		`s.yaml:8:3: want {op, request, fault, delay}`,
		`s.yaml:9:43: unknown key "dealy" (did you mean delay?)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ParseSchedule("s.yaml", []byte("op: sendCode\n")); err == nil || !strings.Contains(err.Error(), "s.yaml:1:1: want a list") {
		t.Errorf("a mapping = %v, want a positioned error", err)
	}
}

// TestScheduleBudgets checks that a schedule is held to the budgets of
// every user YAML file: a repeated key, a syntax error and a file over the
// size budget are positioned errors in Tether's words, and a huge file is
// not read whole.
func TestScheduleBudgets(t *testing.T) {
	for src, want := range map[string]string{
		"- {op: sendCode, op: authorize, request: 1, fault: reset}\n": "s.yaml:1:18: ",
		"- {op: sendCode, request: [1\n":                              "s.yaml:1:28: this list is not closed",
	} {
		_, err := ParseSchedule("s.yaml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "yaml: ") {
			t.Errorf("ParseSchedule(%q) = %v, want an error at %s in Tether's words", src, err, want)
		}
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	line := "- {op: sendCode, request: 1, fault: reset}\n"
	if err := os.WriteFile(big, []byte(strings.Repeat(line, (1<<20)/len(line))), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSchedule(big); err == nil || !strings.Contains(err.Error(), "larger than 512 KiB") || !strings.HasPrefix(err.Error(), big+":") {
		t.Errorf("LoadSchedule(1 MiB) = %v, want the size budget, positioned", err)
	}
}

// scheduled returns a server whose first account creation gets fault,
// and its portal.
func scheduled(t *testing.T, fault string) (*httptest.Server, *env) {
	t.Helper()
	f, err := ParseSchedule("s.yaml", []byte("- {op: createAccount, request: 1, "+fault+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	srv := httptest.NewServer(New(e.portal, Options{Faults: f}))
	t.Cleanup(srv.Close)
	return srv, e
}

// create asks the server at url to create the account email.
func create(ctx context.Context, url, email string) (*http.Response, []byte, error) {
	r, _ := http.NewRequestWithContext(ctx, "POST", url+api.PathAccounts, strings.NewReader(`{"email":"`+email+`","password":"Pass-word-2026","country":"DE"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(api.HeaderIdempotencyKey, "k-"+email)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// created reports whether the portal has the account email.
func (e *env) created(email string) bool {
	_, ok, _ := e.portal.Account(context.Background(), email)
	return ok
}

// Each fault does to the request what its kind says: 5xx before the
// portal is called, reset and truncate after.
func TestFaultsInjected(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx", func(t *testing.T) {
		srv, e := scheduled(t, "fault: 5xx")
		resp, _, err := create(ctx, srv.URL, "a@example.com")
		if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" || e.created("a@example.com") {
			t.Errorf("= %v, %v (Retry-After %q); want 503 without Retry-After, the portal not called", resp.Status, err, resp.Header.Get("Retry-After"))
		}
		if resp, _, _ := create(ctx, srv.URL, "b@example.com"); resp.StatusCode != 200 {
			t.Errorf("the second request = %s, want 200", resp.Status)
		}
	})
	t.Run("reset", func(t *testing.T) {
		srv, e := scheduled(t, "fault: reset")
		_, _, err := create(ctx, srv.URL, "a@example.com")
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Errorf("error = %v, want the connection reset", err)
		}
		if !e.created("a@example.com") {
			t.Error("the portal was not called: want the request done, its answer lost")
		}
	})
	t.Run("truncate", func(t *testing.T) {
		srv, e := scheduled(t, "fault: truncate")
		resp, _, err := create(ctx, srv.URL, "a@example.com")
		if resp == nil || resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) || !e.created("a@example.com") {
			t.Errorf("= %v, %v; want 200 and a body cut short, the portal called", resp, err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		srv, _ := scheduled(t, "fault: slow, delay: 80ms")
		resp, body, err := create(ctx, srv.URL, "a@example.com")
		if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
			t.Errorf("= %v, %q, %v; want the whole answer, slowly", resp, body, err)
		}
	})
	t.Run("latency the client does not wait for", func(t *testing.T) {
		e := newEnv(t)
		f, _ := ParseSchedule("s.yaml", []byte("- {op: createAccount, request: 1, fault: latency, delay: 1m}\n"))
		srv := httptest.NewServer(New(e.portal, Options{Faults: f}))
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, _, err := create(cctx, srv.URL, "a@example.com"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want the client's deadline", err)
		}
		srv.Close() // waits for the handler
		if e.created("a@example.com") {
			t.Error("the portal was called for a client that had gone away")
		}
	})
}
