package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanBinary: the shipped command links neither package testing nor
// the testscript runner (tether cover reads its scripts with
// internal/scriptrun), nor what only serve and portal serve use, which
// tether-server runs (docs/cli.md, "First build"): the SQLite and
// PostgreSQL drivers, the HTTP API's server (huma, Prometheus, protobuf),
// the web pages (golang.org/x/text/collate) and the commands themselves.
func TestLeanBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps listed %d packages, want the command's whole graph", len(deps))
	}
	const tether = "github.com/tetherflow/tether"
	for _, p := range deps {
		switch {
		case p == "testing", strings.HasPrefix(p, "testing/"), strings.Contains(p, "testscript"),
			strings.HasPrefix(p, "modernc.org/"), strings.HasPrefix(p, "github.com/jackc/"),
			strings.HasPrefix(p, "github.com/pressly/goose"),
			strings.HasPrefix(p, "github.com/danielgtaylor/huma"), strings.HasPrefix(p, "github.com/prometheus/"),
			strings.HasPrefix(p, "google.golang.org/protobuf"), strings.HasPrefix(p, "golang.org/x/text/collate"),
			strings.HasPrefix(p, "golang.org/x/text/language/display"), p == "html/template",
			p == tether+"/adapters/httpapi", p == tether+"/adapters/web", p == tether+"/internal/servecmd",
			p == tether+"/internal/sqlstores":
			t.Errorf("tether links %s", p)
		}
	}
}
