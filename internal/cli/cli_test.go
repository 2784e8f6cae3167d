package cli

import (
	"flag"
	"runtime/debug"
	"slices"
	"testing"
)

func TestVersion(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}
	dirty := append(slices.Clone(rev), debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "devel"},
		{"go install @version", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: rev}, true, "v1.2.3"},
		{"go build in a checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, true, "devel 0123456789ab"},
		{"uncommitted changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirty}, true, "devel 0123456789ab+dirty"},
		{"test binary", &debug.BuildInfo{}, true, "devel"},
	}
	for _, tt := range tests {
		if got := version(tt.info, tt.ok); got != tt.want {
			t.Errorf("%s: version() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args       []string
		wantFormat string
		wantArgs   []string
	}{
		{[]string{"a.yaml"}, "mermaid", []string{"a.yaml"}},
		{[]string{"-format", "dot", "a.yaml"}, "dot", []string{"a.yaml"}},
		{[]string{"a.yaml", "--format", "dot"}, "dot", []string{"a.yaml"}},
		{[]string{"a.yaml", "--format=dot", "b.yaml"}, "dot", []string{"a.yaml", "b.yaml"}},
		{[]string{"a.yaml", "--", "-format", "dot"}, "mermaid", []string{"a.yaml", "-format", "dot"}},
		{[]string{"-", "a.yaml"}, "mermaid", []string{"-", "a.yaml"}},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		format := fs.String("format", "mermaid", "")
		got, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Errorf("parseArgs(%q) = %v", tt.args, err)
			continue
		}
		if *format != tt.wantFormat || !slices.Equal(got, tt.wantArgs) {
			t.Errorf("parseArgs(%q) = %q with -format %s, want %q with -format %s", tt.args, got, *format, tt.wantArgs, tt.wantFormat)
		}
	}
}

// TestCommandTable keeps the table consistent: unique names, each with the
// text help shows and a Flags func.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if c.Name == "" || c.Short == "" || c.Long == "" || c.Flags == nil {
			t.Errorf("command %q lacks a name, Short, Long or Flags", c.Name)
		}
		if seen[c.Name] {
			t.Errorf("command %q listed twice", c.Name)
		}
		seen[c.Name] = true
	}
}
