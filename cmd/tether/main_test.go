package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanBinary: the shipped command links neither package testing nor
// the testscript runner (tether cover reads its scripts with
// internal/scriptrun), nor the SQLite and PostgreSQL drivers, which were
// half of its first build (tether-server links them: docs/cli.md).
func TestLeanBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps listed %d packages, want the command's whole graph", len(deps))
	}
	for _, p := range deps {
		switch {
		case p == "testing", strings.HasPrefix(p, "testing/"), strings.Contains(p, "testscript"),
			strings.HasPrefix(p, "modernc.org/"), strings.HasPrefix(p, "github.com/jackc/"),
			strings.HasPrefix(p, "github.com/pressly/goose"):
			t.Errorf("tether links %s", p)
		}
	}
}
