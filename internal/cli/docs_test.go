package cli_test

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/policy"
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

// TestPolicyDoc holds the table of shipped regions in docs/policy.md to the
// overlays: each `key: value` a row says its region sets is what the
// region's own file sets for connect, and the row names every key the file
// sets (region, the name echoed into the flow, aside).
func TestPolicyDoc(t *testing.T) {
	data, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	set, err := policy.Load("../../flows/regions")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9_-]+)` +\\|[^|]*\\|([^|]*)\\|")
	pair := regexp.MustCompile("`([a-z_]+): ([^`]+)`")
	rows := row.FindAllStringSubmatch(string(data), -1)
	seen := map[string]bool{}
	for _, r := range rows {
		region := set.Region(r[1])
		if region == nil {
			continue // the overlay format's own table
		}
		seen[r[1]] = true
		sets := region.Overrides("connect")
		doc := map[string]string{}
		for _, p := range pair.FindAllStringSubmatch(r[2], -1) {
			doc[p[1]] = p[2]
		}
		for k, v := range doc {
			pv, ok := sets[k]
			if !ok {
				t.Errorf("docs/policy.md: region %s: says it sets %s, but %s does not", r[1], k, region.File)
				continue
			}
			var raw any
			if err := yaml.Unmarshal([]byte(v), &raw); err != nil {
				t.Errorf("docs/policy.md: region %s: %s: %v", r[1], k, err)
				continue
			}
			kind, _ := value.Of(pv.Value)
			if got, err := value.Coerce(kind, raw); err != nil || got != pv.Value {
				t.Errorf("docs/policy.md: region %s: %s is %s in the docs, %s in %s", r[1], k, v, value.Quote(pv.Value), region.File)
			}
		}
		for k := range sets {
			if _, ok := doc[k]; !ok && k != "region" {
				t.Errorf("docs/policy.md: region %s: the row does not say it sets %s", r[1], k)
			}
		}
	}
	for _, r := range set.Regions() {
		if !seen[r.Name] {
			t.Errorf("docs/policy.md has no row for region %s", r.Name)
		}
	}
}
