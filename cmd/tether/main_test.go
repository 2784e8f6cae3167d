package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanBinary: the shipped command links neither package testing nor
// the testscript runner; tether cover reads its scripts with
// internal/scriptrun instead.
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
		if p == "testing" || strings.HasPrefix(p, "testing/") || strings.Contains(p, "testscript") {
			t.Errorf("tether links %s", p)
		}
	}
}
