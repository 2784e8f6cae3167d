package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
)

var versionCommand = &Command{
	Name:  "version",
	Short: "print tether's version",
	Long: `
Version prints the version tether was built as: the module version when it
was installed with go install ...@version, "devel" otherwise, followed by
the source revision when the build recorded one.`,
	Flags: func(fs *flag.FlagSet) RunFunc { return runVersion },
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return usagef("takes no arguments")
	}
	info, ok := debug.ReadBuildInfo()
	fmt.Fprintf(env.Stdout, "tether %s\n", version(info, ok))
	return nil
}

// version reads tether's version from its build information.
func version(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if v != "devel" || rev == "" {
		// A module version already names the source.
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return v + " " + rev
}
