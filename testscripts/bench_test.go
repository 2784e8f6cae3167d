package testscripts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetherflow/tether/internal/cli"
)

// BenchmarkGenerated measures what issue 14 holds to a second: tether
// paths for the flow's defaults and every region (generatedSets, each
// writing its scripts), and every generated replay, run in process as
// tether runs them (the process start of each exec is not the engine's).
func BenchmarkGenerated(b *testing.B) {
	replays := loadReplays(b)
	work := b.TempDir()
	if err := os.CopyFS(filepath.Join(work, "flows"), os.DirFS("../flows")); err != nil {
		b.Fatal(err)
	}
	b.Chdir(work) // the scripts name flows/connect.yaml, relative
	paths := func(b *testing.B) {
		tmp := b.TempDir()
		for _, args := range generatedSets {
			var stdout, stderr bytes.Buffer
			if code := cli.Main(append(slices.Clone(args), "--write", tmp), nil, &stdout, &stderr); code != 0 {
				b.Fatalf("tether %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
			}
		}
	}
	replay := func(b *testing.B) {
		for _, r := range replays {
			if err := os.WriteFile("path.yaml", r.path, 0o644); err != nil {
				b.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			cli.Main(r.args, nil, &stdout, &stderr)
			if !bytes.Equal(stdout.Bytes(), r.want) {
				b.Fatalf("%s: stdout differs from its transcript\n%s", r.name, stderr.String())
			}
		}
	}
	b.Run("paths", func(b *testing.B) {
		for b.Loop() {
			paths(b)
		}
	})
	b.Run("replays", func(b *testing.B) {
		for b.Loop() {
			replay(b)
		}
	})
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			paths(b)
			replay(b)
		}
	})
}
