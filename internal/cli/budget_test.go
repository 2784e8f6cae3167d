package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/flowgen"
)

// A generated flow of 10,000 states (the size the checker's benchmarks
// check, about 4.5 MB) is over the default YAML budgets: validate says
// which, where, and validates it when --max-file-size and --max-nodes
// raise them. The other commands that read flows take the same flags.
func TestValidateLargeGeneratedFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("checks a 10,000-state flow (about a second); -short skips it")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.yaml")
	if err := os.WriteFile(path, flowgen.Chain(10000, ""), 0o644); err != nil {
		t.Fatal(err)
	}
	tether := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(args, strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	for _, tt := range []struct {
		name  string
		flags []string
		want  string // on stderr, after the file's name
	}{
		{"default budgets", nil, ": the file is larger than 512 KiB, the budget for a YAML file"},
		{"size raised", []string{"--max-file-size", "8MiB"}, ": the file holds more than 50000 YAML nodes"},
		{"nodes raised", []string{"--max-nodes", "1000000"}, ": the file is larger than 512 KiB, the budget for a YAML file"},
	} {
		code, stdout, stderr := tether(append([]string{"validate", path}, tt.flags...)...)
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, path+":") || !strings.Contains(stderr, tt.want+"\n") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and one line %s:LINE:COL%s", tt.name, code, stdout, stderr, path, tt.want)
		}
	}
	code, stdout, stderr := tether("validate", "--max-file-size", "8MiB", "--max-nodes", "1000000", path)
	if code != 0 || stdout != path+": ok\n" || stderr != "" {
		t.Errorf("validate with raised budgets: exit %d, stdout %q, stderr %q; want 0 and %s: ok", code, stdout, stderr, path)
	}
	code, stdout, _ = tether("graph", path, "--max-file-size=5000000", "--max-nodes=1000000")
	if code != 0 || !strings.Contains(stdout, "s9998 --> done") {
		t.Errorf("graph with raised budgets: exit %d, want 0 and a diagram to the last state (%d bytes)", code, len(stdout))
	}
	for _, bad := range [][]string{{"--max-file-size", "8XB"}, {"--max-file-size", "0"}, {"--max-file-size", "-1MiB"}, {"--max-nodes", "lots"}, {"--max-nodes", "0"}} {
		code, _, stderr := tether(append([]string{"validate", path}, bad...)...)
		if code != 2 || !strings.Contains(stderr, "invalid value") {
			t.Errorf("validate %s: exit %d, stderr %q; want a usage error (2)", strings.Join(bad, " "), code, stderr)
		}
	}
}
