package sqlite

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tetherflow/tether/adapters/sessions/internal/sqlstore"
	"github.com/tetherflow/tether/adapters/sessions/storetest"
	"github.com/tetherflow/tether/host"
)

// A pages database: sessions with a history, the state a server's store
// is in after a while. Its sessions are stepped in a random order, with
// ids as random as the server's.
const (
	pagesHistory = 10 // steps each session has taken before the benchmark
	pagesSeed    = 23
)

// serverStep is the commit of a step of tether serve's benchmark flow
// (internal/cli BenchmarkServeSteps), sized as its rows are: one log
// entry of about 410 bytes, a remembered response of 430, a record of
// 170 bytes of data, both timers moved on.
func serverStep(id string, prev int) *host.Commit {
	next := prev + 1
	at := time.Unix(1_800_000_000, 0).Add(time.Duration(next) * time.Second)
	return &host.Commit{
		Prev: prev,
		Record: host.Record{
			ID: id, Version: next, Flow: "loop", Region: "default", Hash: "sha256-01234567",
			Due: at.Add(5 * time.Minute), Expires: at.Add(30 * time.Minute), Updated: at,
			Data: pagesFill(171, id, next),
		},
		Entries: []host.LogEntry{{Seq: next, Data: pagesFill(410, id, next)}},
		Request: &host.Request{Key: fmt.Sprintf("k%d", next), Digest: pagesFill(32, id, next), Response: pagesFill(430, id, next)},
	}
}

func pagesFill(n int, id string, v int) []byte {
	unit := fmt.Appendf(nil, "%s %d;", id, v)
	return bytes.Repeat(unit, n/len(unit)+1)[:n]
}

// pagesShapes are the commits a pages benchmark steps with.
var pagesShapes = []struct {
	name string
	step func(id string, prev int) *host.Commit
}{
	{"server", serverStep},
	{"workload", storetest.Workload},
}

// pagesDB makes (once per shape and size, in dir) a database of n
// sessions, each having taken pagesHistory steps of shape, its WAL
// checkpointed into the file, and returns its path and the sessions'
// ids and versions.
func pagesDB(b *testing.B, dir string, shape func(string, int) *host.Commit, n int) (string, []string, map[string]int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(pagesSeed, uint64(n)))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	}
	path := filepath.Join(dir, "template.db")
	if _, err := os.Stat(path); err == nil {
		return path, ids, pagesVersions(shape, ids)
	}
	versions := make(map[string]int, n)
	s, err := Open(context.Background(), "sqlite:"+path+"?synchronous=normal")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var order []string
	for range pagesHistory {
		order = append(order, ids...)
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for len(order) > 0 {
		k := min(len(order), 8)
		// A group holds a session once, as the server's would.
		var group []string
		seen := map[string]bool{}
		rest := order[:0:0]
		for _, id := range order {
			if len(group) < k && !seen[id] {
				group, seen[id] = append(group, id), true
			} else {
				rest = append(rest, id)
			}
		}
		order = rest
		pagesWrite(b, s, shape, group, versions)
	}
	if _, err := s.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	return path, ids, versions
}

// pagesVersions are the versions of ids after pagesHistory steps.
func pagesVersions(shape func(string, int) *host.Commit, ids []string) map[string]int {
	v := make(map[string]int, len(ids))
	for _, id := range ids {
		for range pagesHistory {
			v[id] = shape(id, v[id]).Record.Version
		}
	}
	return v
}

// pagesWrite takes a step of each session of group as a server that has
// not cached the session does, reading the session and the request it
// answers (Recall), then writes the steps
// in one group commit.
func pagesWrite(b *testing.B, s *Store, shape func(string, int) *host.Commit, group []string, versions map[string]int) {
	b.Helper()
	batch := make([]*sqlstore.Pending, len(group))
	for i, id := range group {
		c := shape(id, versions[id])
		if c.Prev == 0 {
			// A new session is not read.
		} else if _, req, err := s.Recall(context.Background(), id, c.Request.Key); err != nil || req != nil {
			b.Fatalf("Recall(%s, %s) = %v, %v; want no request", id, c.Request.Key, req, err)
		}
		args, err := sqlstore.RecordArgs(&c.Record)
		if err != nil {
			b.Fatal(err)
		}
		batch[i] = sqlstore.NewPending(context.Background(), c, "", args)
	}
	s.writeGroup(context.Background(), batch)
	for i, p := range batch {
		if err := <-p.Done; err != nil {
			b.Fatal(err)
		}
		versions[group[i]] = p.Commit.Record.Version
	}
}

// BenchmarkPages steps sessions of a database that holds many (sessions=N),
// a group commit of group=G sessions an operation, with synchronous=FULL,
// and reports per step: the WAL frames written (pages; deterministic for
// a given -benchtime Nx), the frames of each kind of B-tree, the pages a
// checkpoint would copy, and the process's CPU time. Automatic checkpoints
// are off, so that the WAL holds every frame written; BenchmarkSaveCPU
// measures the CPU with them.
func BenchmarkPages(b *testing.B) {
	for _, shape := range pagesShapes {
		for _, n := range []int{32, 2000} {
			dir := b.TempDir()
			for _, g := range []int{1, 3, 8} {
				b.Run(fmt.Sprintf("shape=%s/sessions=%d/group=%d", shape.name, n, g), func(b *testing.B) {
					template, ids, versions := pagesDB(b, dir, shape.step, n)
					path := filepath.Join(b.TempDir(), "pages.db")
					copyFile(b, template, path)
					s, err := Open(context.Background(), "sqlite:"+path)
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					if _, err := s.w.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
						b.Fatal(err)
					}
					rng := rand.New(rand.NewPCG(pagesSeed, uint64(g)))
					groups := make([][]string, b.N)
					for i := range groups {
						for _, k := range rng.Perm(n)[:g] {
							groups[i] = append(groups[i], ids[k])
						}
					}
					cpu := cpuTime()
					b.ResetTimer()
					for _, group := range groups {
						pagesWrite(b, s, shape.step, group, versions)
					}
					b.StopTimer()
					steps := float64(b.N * g)
					b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/steps, "cpu-µs/step")
					frames, kinds, copied := walFrames(b, s, path)
					b.ReportMetric(float64(frames)/steps, "frames/step")
					b.ReportMetric(float64(copied)/steps, "ckpt-pages/step")
					for _, k := range []string{"sessions", "timers", "log", "requests", "other"} {
						b.ReportMetric(float64(kinds[k])/steps, k+"/step")
					}
				})
			}
		}
	}
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	r, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	w, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, r); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's CPU time, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// walFrames reads the WAL of the database at path: how many frames it
// holds, how many of them are pages of each kind of B-tree, and how many
// pages the store's checkpoints (one every walCheckpoint frames) would
// have copied: the distinct pages of each walCheckpoint frames.
func walFrames(b *testing.B, s *Store, path string) (frames int, kinds map[string]int, copied int) {
	b.Helper()
	var pageSize int
	if err := s.w.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		b.Fatal(err)
	}
	owner := map[uint32]string{}
	rows, err := s.w.Query(`SELECT pageno, name FROM dbstat`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var p uint32
		var name string
		if err := rows.Scan(&p, &name); err != nil {
			b.Fatal(err)
		}
		owner[p] = name
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	kinds = map[string]int{}
	seen := map[uint32]bool{}
	for off := 32; off+24+pageSize <= len(wal); off += 24 + pageSize {
		p := binary.BigEndian.Uint32(wal[off:])
		frames++
		seen[p] = true
		kinds[pageKind(owner[p])]++
		if frames%walCheckpoint == 0 {
			copied += len(seen)
			clear(seen)
		}
	}
	return frames, kinds, copied + len(seen)
}

// pageKind groups the B-trees a step writes.
func pageKind(name string) string {
	switch name {
	case "sessions", "sqlite_autoindex_sessions_1":
		return "sessions"
	case "sessions_due", "sessions_expires":
		return "timers"
	case "session_log", "session_log_seq":
		return "log"
	case "session_requests", "session_requests_key":
		return "requests"
	}
	return "other"
}

// BenchmarkSaveCPU takes server-sized steps through Recall and Save, with
// clients=C goroutines each stepping sessions of its own at random, on a
// database of many sessions (sessions=N) with the store's settings (its
// group commit, synchronous=FULL, its checkpoints), and reports the
// process's CPU time a step and the steps per second.
func BenchmarkSaveCPU(b *testing.B) {
	for _, n := range []int{32, 2000} {
		dir := b.TempDir()
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("sessions=%d/clients=%d", n, clients), func(b *testing.B) {
				template, ids, byID := pagesDB(b, dir, serverStep, n)
				versions := make([]int, n)
				for i, id := range ids {
					versions[i] = byID[id]
				}
				path := filepath.Join(b.TempDir(), "cpu.db")
				copyFile(b, template, path)
				s, err := Open(context.Background(), "sqlite:"+path)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				rngs := make([]*rand.Rand, clients)
				for c := range rngs {
					rngs[c] = rand.New(rand.NewPCG(pagesSeed, uint64(c)))
				}
				ctx := context.Background()
				step := func(c int) error {
					k := c + clients*rngs[c].IntN(n/clients)
					commit := serverStep(ids[k], versions[k])
					if _, _, err := s.Recall(ctx, ids[k], commit.Request.Key); err != nil {
						return err
					}
					if err := s.Save(ctx, commit); err != nil {
						return err
					}
					versions[k] = commit.Record.Version
					return nil
				}
				cpu := cpuTime()
				b.ResetTimer()
				d, err := storetest.Parallel(b.N, clients, step)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/step")
				b.ReportMetric(float64(b.N)/d.Seconds(), "steps/s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
