//go:build unix

package policy

import (
	"syscall"
	"testing"
)

// TestLoadSkipsNamedPipes: a named pipe among the overlays would block
// Load forever waiting for a writer; it is an error instead.
func TestLoadSkipsNamedPipes(t *testing.T) {
	inDir(t, map[string]string{"regions/a.yaml": "region: a\ncountries: [DE]\n"})
	if err := syscall.Mkfifo("regions/pipe.yaml", 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	set, err := Load("regions")
	const want = "regions/pipe.yaml: not a regular file (p---------): an overlay is a YAML file"
	if err == nil || err.Error() != want {
		t.Errorf("Load() error = %v, want %s", err, want)
	}
	if set == nil || set.Region("a") == nil {
		t.Errorf("Load() set = %v, want region a read all the same", set)
	}
}
