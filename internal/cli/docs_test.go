package cli_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/tetherflow/tether/internal/cli"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestActionsDoc holds docs/actions.md to the registry: its table is what
// `tether actions --format markdown` prints.
func TestActionsDoc(t *testing.T) {
	const path = "../../docs/actions.md"
	const begin, end = "<!-- tether actions --format markdown -->\n", "<!-- end -->\n"
	var out, errOut bytes.Buffer
	if code := cli.Main([]string{"actions", "--format", "markdown"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("tether actions: exit %d: %s", code, errOut.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, begin, end)
	}
	got := doc[i+len(begin) : j]
	if got == out.String() {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+out.String()+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale; rerun with -update. Want:\n%s", path, out.String())
	// Every action the flows run is in the docs.
	for _, name := range []string{"portal.sign_in", "sms.send", "license.activate"} {
		if !strings.Contains(got, "`"+name+"`") {
			t.Errorf("%s does not list %s", path, name)
		}
	}
}
