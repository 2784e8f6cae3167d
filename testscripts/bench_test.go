package testscripts_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetherflow/tether/internal/cli"
)

// BenchmarkGenerated measures what issue 14 holds to a second: tether
// paths for the flow's defaults and every region (generatedSets, each
// writing its scripts), and every generated replay, run in process as
// tether runs them (the process start of each exec is not the engine's).
// "all" runs them one after the other; "all-parallel" spreads them over
// GOMAXPROCS goroutines, as go test runs the scripts.
func BenchmarkGenerated(b *testing.B) {
	replays := loadReplays(b)
	work := b.TempDir()
	if err := os.CopyFS(filepath.Join(work, "flows"), os.DirFS("../flows")); err != nil {
		b.Fatal(err)
	}
	b.Chdir(work) // the scripts name flows/connect.yaml, relative
	for i := range replays {
		r := &replays[i]
		name := fmt.Sprintf("path-%d.yaml", i)
		if err := os.WriteFile(name, r.path, 0o644); err != nil {
			b.Fatal(err)
		}
		r.args = slices.Clone(r.args)
		for j, a := range r.args {
			if a == "path.yaml" {
				r.args[j] = name
			}
		}
	}
	var jobs []func(b *testing.B)
	pathJobs := func(dir string) {
		for _, args := range generatedSets {
			jobs = append(jobs, func(b *testing.B) {
				// The listing goes where a terminal or a file would take
				// it: growing a buffer for it is no cost of tether's.
				var stderr bytes.Buffer
				if code := cli.Main(append(slices.Clone(args), "--write", dir), nil, io.Discard, &stderr); code != 0 {
					b.Errorf("tether %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
				}
			})
		}
	}
	pathJobs(b.TempDir())
	paths := jobs
	for _, r := range replays {
		jobs = append(jobs, func(b *testing.B) {
			var stdout, stderr bytes.Buffer
			cli.Main(r.args, nil, &stdout, &stderr)
			if !bytes.Equal(stdout.Bytes(), r.want) {
				b.Errorf("%s: stdout differs from its transcript\n%s", r.name, stderr.String())
			}
		})
	}
	replaying := jobs[len(paths):]
	run := func(jobs []func(*testing.B)) func(*testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				for _, job := range jobs {
					job(b)
				}
			}
		}
	}
	b.Run("paths", run(paths))
	b.Run("replays", run(replaying))
	b.Run("all", run(jobs))
	b.Run("all-parallel", func(b *testing.B) {
		for b.Loop() {
			next := make(chan func(*testing.B))
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for job := range next {
						job(b)
					}
				})
			}
			for _, job := range jobs { // the path searches, the longest, first
				next <- job
			}
			close(next)
			wg.Wait()
		}
	})
}
