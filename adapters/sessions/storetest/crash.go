package storetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/host"
)

// crashEnv, set in a test process's environment, makes Crash the saving
// process rather than the one that kills it. Its value is the store URL.
const crashEnv = "TETHER_STORETEST_CRASH_URL"

// Crash's settings.
const (
	crashRounds  = 3
	crashWorkers = 4
	// crashMaxAcks bounds how many acknowledged commits a round waits
	// for before its kill: the kill comes after a random number of them
	// up to this, and a random few milliseconds more.
	crashMaxAcks = 150
	// crashChildLimit is how long a saving process saves before it gives
	// up waiting to be killed.
	crashChildLimit = 2 * time.Minute
)

// Opener opens the store a URL names.
type Opener func(ctx context.Context, url string) (host.ServerStore, error)

// Crash checks that a commit Save acknowledged survives the process's
// death. It runs the test that calls it again, in a process that saves
// commits to the store at the URL newURL returns (crashWorkers sessions,
// each stepped in a loop) and prints each commit Save acknowledged; it
// kills that process with SIGKILL at a random moment, reopens the store
// and checks that every acknowledged commit is there, whole, and nothing
// else but the one commit each session may have had in flight. It does so
// crashRounds times, each round carrying on from the last. check, when
// not nil, checks the database's own consistency after each kill.
//
// newURL is called in the test's own process only (the saving process is
// told the URL), so a database it makes is cleaned up once. The test that
// calls Crash must do nothing before it that the saving process should
// not do.
func Crash(t *testing.T, newURL func(t testing.TB) string, open Opener, check func(t *testing.T, url string)) {
	if url := os.Getenv(crashEnv); url != "" {
		crashChild(t, url, open)
		return
	}
	url := newURL(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 0))
	acked := map[string]int{}
	for round := range crashRounds {
		n := crashRound(t, url, 1+rnd.IntN(crashMaxAcks), time.Duration(rnd.IntN(5000))*time.Microsecond, acked)
		t.Logf("round %d: killed after %d acknowledged commits", round, n)
		crashCheck(t, url, open, acked)
		if check != nil {
			check(t, url)
		}
		if t.Failed() {
			return
		}
	}
}

// crashRound runs the saving process until it has acknowledged acks
// commits, then wait more, and kills it. It records in acked the last
// version acknowledged for each session and returns how many commits
// were acknowledged in all.
func crashRound(t *testing.T, url string, acks int, wait time.Duration, acked map[string]int) int {
	t.Helper()
	var run []string
	for _, name := range strings.Split(t.Name(), "/") {
		run = append(run, "^"+regexp.QuoteMeta(name)+"$")
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(run, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		n     int
		other []string
	)
	enough := make(chan struct{})
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var id string
			var v int
			if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &id, &v); err != nil {
				mu.Lock()
				other = append(other, sc.Text())
				mu.Unlock()
				continue
			}
			mu.Lock()
			acked[id] = max(acked[id], v)
			if n++; n == acks {
				close(enough)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-enough:
	case <-eof:
		cmd.Wait()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the saving process ended before it was killed, after %d commits:\n%s\n%s", n, strings.Join(other, "\n"), stderr.String())
	}
	time.Sleep(wait)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Lines written before the kill are still in the pipe: they count.
	<-eof
	cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	return n
}

// crashCheck reopens the store after a kill and checks every session
// against what was acknowledged, then records in acked the version each
// session is at, which the next round starts from.
func crashCheck(t *testing.T, url string, open Opener, acked map[string]int) {
	t.Helper()
	ctx := context.Background()
	st, err := open(ctx, url)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	s, ok := st.(Store)
	if !ok {
		t.Fatalf("store %T has no Effects method", st)
	}
	for w := range crashWorkers {
		id := fmt.Sprintf("crash-%d", w)
		last := acked[id]
		r, err := settled(ctx, s, id)
		if errors.Is(err, host.ErrNotFound) && last == 0 {
			continue // the kill came before its first commit
		}
		if err != nil {
			t.Errorf("Load(%s) = %v; last acknowledged version %d", id, err, last)
			continue
		}
		// At most the one commit in flight at the kill is there without
		// an acknowledgement.
		if r.Version != last && r.Version != last+StepEntries {
			t.Errorf("%s at version %d, last acknowledged %d", id, r.Version, last)
		}
		// The next round's saving process carries on from what is there,
		// the commit that was in flight included: it is the base that
		// round's commits are counted from, acknowledged or not.
		acked[id] = r.Version
		want := Workload(id, r.Version-StepEntries)
		if d := sameRecord(r, &want.Record); d != "" {
			t.Errorf("%s: record is not the one saved at version %d: %s", id, r.Version, d)
		}
		var entries []host.LogEntry
		var effects []host.Effect
		for v := 0; v < r.Version; v += StepEntries {
			c := Workload(id, v)
			entries = append(entries, c.Entries...)
			effects = append(effects, c.Effects...)
		}
		if l := logOf(t, s, id, 0); !sameEntries(l, entries) {
			t.Errorf("%s: log has entries %v, want 1 to %d as saved", id, seqs(l), r.Version)
		}
		if e := effectsOf(t, s, id); !sameEffects(e, effects) {
			t.Errorf("%s: %d effects, want the %d saved", id, len(e), len(effects))
		}
		if got, ok := response(t, s, id, want.Request.Key); !ok || !bytes.Equal(got, want.Request.Response) {
			t.Errorf("%s: the last commit's request %s was not remembered", id, want.Request.Key)
		}
	}
}

// settled loads session id once it no longer changes. A database server
// may finish the statement a killed client sent after the client is gone
// (PostgreSQL runs it to its commit): until it has, the record and the
// log read one after the other could straddle that commit.
func settled(ctx context.Context, s Store, id string) (*host.Record, error) {
	r, err := s.Load(ctx, id)
	for range 50 {
		if err != nil {
			return r, err
		}
		time.Sleep(20 * time.Millisecond)
		again, err2 := s.Load(ctx, id)
		if err2 == nil && again.Version == r.Version {
			return again, nil
		}
		r, err = again, err2
	}
	return r, err
}

// crashChild is the saving process: it steps crashWorkers sessions from
// where the last round left them, and prints a line for each commit Save
// returned nil for, until it is killed.
func crashChild(t *testing.T, url string, open Opener) {
	ctx, cancel := context.WithTimeout(context.Background(), crashChildLimit)
	defer cancel()
	s, err := open(ctx, url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			id := fmt.Sprintf("crash-%d", w)
			v := 0
			switch r, err := s.Load(ctx, id); {
			case err == nil:
				v = r.Version
			case !errors.Is(err, host.ErrNotFound):
				t.Errorf("Load(%s) = %v", id, err)
				return
			}
			for ctx.Err() == nil {
				if err := s.Save(ctx, Workload(id, v)); err != nil {
					t.Errorf("Save(%s from %d) = %v", id, v, err)
					return
				}
				v += StepEntries
				// One write per line: lines from several goroutines do not
				// interleave.
				if _, err := fmt.Fprintf(os.Stdout, "ack %s %d\n", id, v); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if !t.Failed() {
		t.Errorf("the saving process was not killed within %v", crashChildLimit)
	}
}
