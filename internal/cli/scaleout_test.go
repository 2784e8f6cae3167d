package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/httpapi/wire"
	"github.com/tetherflow/tether/adapters/sessions/postgres"
)

// tickFlow waits for a timer that fires with no client, then for an
// answer.
const tickFlow = `flow: tick
start: wait
states:
  wait:
    ask: {text: Wait for the timer, choices: [skip]}
    after: {1s: fired}
    on: {skip: skipped}
  fired:
    ask: {text: The timer fired, choices: [done]}
    on: {done: finished}
  finished: {final: finished, success: true}
  skipped: {final: skipped}
`

const scaleSessions = 40

// Two tether serve instances share one PostgreSQL database; clients
// alternate between them: a session is created on one, its timer fires
// on whichever claims it (FOR UPDATE SKIP LOCKED), it is read and
// answered through the other. Every session completes once, and its timer
// fired once.
func TestScaleOutPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("the scale-out test takes seconds; run it without -short")
	}
	url := postgresSchema(t)
	flows := crashFlows(t)
	if err := os.WriteFile(filepath.Join(flows, "tick.yaml"), []byte(tickFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	var srvs [2]*server
	var clients [2]*wire.Client
	keysEnv := sealKeysEnv(t) // the same for every instance
	for i := range srvs {
		addr := freeAddr(t)
		srvs[i] = &server{t: t, log: &strings.Builder{}, env: keysEnv, args: []string{"serve", "--flows", flows, "--store", url,
			"--addr", addr, "--data", t.TempDir(), "--timer-interval", "100ms", "--timer-batch", "3", "--create-rate", "0", "--answer-rate", "0"}}
		srvs[i].start()
		c, err := wire.NewClient("http://"+addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := make([]string, scaleSessions)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i := range scaleSessions {
		wg.Go(func() {
			a, b := clients[i%2], clients[(i+1)%2]
			time.Sleep(time.Duration(i) * 25 * time.Millisecond) // timers due over a second
			s, ref, err := a.Create(ctx, "tick", "", fmt.Sprintf("dev-%d", i), "")
			if err == nil {
				ids[i] = s.ID
				for n := 0; s.State == "wait" && err == nil && n < 400; n++ {
					time.Sleep(50 * time.Millisecond)
					s, err = []*wire.Client{a, b}[n%2].Get(ctx, ref)
				}
			}
			if err == nil {
				s, err = b.Answer(ctx, ref, s.Version, "done", nil)
			}
			if err != nil || s.Result == nil || s.Result.Outcome != "finished" {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("session %d: %+v, %v", i, s, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ticks := [2]int{}
	for i, s := range srvs {
		ticks[i] = metric(t, s, `tether_steps_total{op="tick"}`)
	}
	for _, s := range srvs {
		if err := s.stop(); err != nil {
			t.Errorf("an instance exited with %v after SIGTERM", err)
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	if ticks[0]+ticks[1] != scaleSessions {
		t.Errorf("the instances fired %d and %d timers, want %d in all", ticks[0], ticks[1], scaleSessions)
	}
	store, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, id := range ids {
		entries, err := store.Log(context.Background(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		for _, e := range entries {
			log.Write(e.Data)
			log.WriteByte('\n')
		}
		if n := countEntries(log.String(), `"kind":"timer"`); n != 1 {
			t.Errorf("session %s: the timer fired %d times, want 1", id, n)
		}
		if n := countEntries(log.String(), `"kind":"final"`); n != 1 {
			t.Errorf("session %s: %d final entries, want 1", id, n)
		}
	}
	t.Logf("%d sessions completed across two instances; timers fired: %d by one, %d by the other", scaleSessions, ticks[0], ticks[1])
}

// metric reads a counter from an instance's /metrics.
func metric(t *testing.T, s *server, name string) int {
	t.Helper()
	addr := s.args[slicesIndex(s.args, "--addr")+1]
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(regexp.QuoteMeta(name) + ` (\d+)`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
