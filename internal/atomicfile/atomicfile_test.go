package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tetherflow/tether/internal/atomicfile"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := atomicfile.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the directory holds %d files, want 1", len(ents))
	}
	// A directory that does not exist: an error, and nothing written.
	if err := atomicfile.WriteFile(filepath.Join(dir, "nowhere", "x"), []byte("x"), 0o600); err == nil {
		t.Errorf("a write into a missing directory succeeded")
	}
	// A failed rename leaves the old file and no temporary one.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	if err := atomicfile.WriteFile(sub, []byte("x"), 0o600); err == nil {
		t.Errorf("replacing a directory succeeded")
	}
	ents, _ = os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("after the failed write the directory holds %d entries, want 2 (no temporary file)", len(ents))
	}
}
