package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/explore"
	"github.com/tetherflow/tether/internal/schema"
)

var schemaCommand = &Command{
	Name:  "schema",
	Args:  "KIND | --write DIR",
	Short: "print the JSON Schema of a file format, for editors",
	Long: `
Schema prints the JSON Schema (draft 2020-12) of one of tether's YAML file
formats: flow (flows/*.yaml), overlay (flows/regions/*.yaml), fixture (the
demo portal's, flows/demo/portal.yaml), answers (tether run --answers) or
path (tether replay --path). An editor with a YAML language server (VS
Code's YAML extension) uses it for completion, hover text and errors as
one types; docs/editors.md says how.

Each schema is generated from its loader's own tables, and the repository
keeps them in schema/: after a loader learns a key, regenerate them with

	go run ./cmd/tether schema --write schema

The loaders stay the authority: tether validate checks what a schema
cannot (states, actions, expressions, types), with positions.

Exit status: 0, or 2 for an unknown KIND.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		o := &schemaOptions{}
		fs.StringVar(&o.write, "write", "", "write every schema into `DIR`, as KIND.json, instead of printing one")
		return o.run
	},
}

type schemaOptions struct {
	write string
}

// schemaSources are the loaders' types the schemas are generated from
// that internal/schema cannot import.
func schemaSources() schema.Sources { return schema.Sources{PathItem: explore.PathItem{}} }

func (o *schemaOptions) run(ctx context.Context, env *Env, args []string) error {
	if o.write != "" {
		if len(args) > 0 {
			return usagef("--write writes every schema: give no KIND")
		}
		dir := env.path(o.write)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, kind := range schema.Kinds() {
			data, err := schema.Generate(kind, schemaSources())
			if err != nil {
				return err
			}
			p := filepath.Join(dir, schema.File(kind))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, filepath.Join(o.write, schema.File(kind)))
		}
		return nil
	}
	if len(args) != 1 {
		return usagef("schema takes one kind: %s", strings.Join(schema.Kinds(), ", "))
	}
	data, err := schema.Generate(args[0], schemaSources())
	if err != nil {
		if strings.HasPrefix(err.Error(), "no schema for") {
			return usagef("%v", err)
		}
		return err
	}
	_, err = env.Stdout.Write(data)
	return err
}
