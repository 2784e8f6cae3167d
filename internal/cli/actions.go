package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tetherflow/tether/engine"
)

var actionsCommand = &Command{
	Name:  "actions",
	Args:  "[--format text|markdown|json]",
	Short: "list the actions flows can run",
	Long: `
Actions lists every action of the library flows run with run: name: what it
does, its parameters (with their kinds; * marks a secret, which is never
logged, ? an optional one), its outputs (secret and sensitive ones are
masked in logs) and the outcomes a flow must handle. The list is made from
the action registry itself, so it is what the checker holds flows to.

--format markdown writes the table docs/actions.md holds; --format json one
JSON object per action.`,
	Flags: func(fs *flag.FlagSet) RunFunc {
		format := fs.String("format", "text", "the output format: `text|markdown|json`")
		return func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usagef("actions takes no arguments")
			}
			reg, err := flowRegistry()
			if err != nil {
				return err
			}
			specs := reg.Specs()
			switch *format {
			case "text":
				return actionsText(env.Stdout, specs)
			case "markdown":
				return actionsMarkdown(env.Stdout, specs)
			case "json":
				return actionsJSON(env.Stdout, specs)
			}
			return usagef("unknown format %q (want text, markdown or json)", *format)
		}
	},
}

func actionsText(w io.Writer, specs []engine.Spec) error {
	for i, s := range specs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s(%s) -> %s\n", s.Name, params(s.Params, true), strings.Join(s.Outcomes, " | "))
		fmt.Fprintf(w, "    %s\n", s.Doc)
		for _, p := range s.Params {
			fmt.Fprintf(w, "    %-14s %s\n", p.Name, p.Doc)
		}
		if len(s.Outputs) > 0 {
			fmt.Fprintf(w, "    outputs: %s\n", params(s.Outputs, false))
		}
	}
	return nil
}

func actionsMarkdown(w io.Writer, specs []engine.Spec) error {
	fmt.Fprintln(w, "| action | parameters | outputs | outcomes | what it does |")
	fmt.Fprintln(w, "|--------|------------|---------|----------|--------------|")
	for _, s := range specs {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", s.Name, orDash(params(s.Params, true)),
			orDash(params(s.Outputs, false)), strings.Join(s.Outcomes, ", "), s.Doc)
	}
	return nil
}

// params formats parameters or outputs as "name kind", with * for a secret,
// (sensitive) for a sensitive output and ? for an optional parameter.
func params(ps []engine.Param, isParam bool) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		s := p.Name + " " + p.Kind.String()
		switch {
		case p.Secret:
			s += "*"
		case p.Sensitive:
			s += " (sensitive)"
		}
		if isParam && !p.Required {
			s += "?"
		}
		out[i] = s
	}
	return strings.Join(out, ", ")
}

type paramJSON struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Required  bool   `json:"required,omitempty"`
	Secret    bool   `json:"secret,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
	Doc       string `json:"doc"`
}

func actionsJSON(w io.Writer, specs []engine.Spec) error {
	conv := func(ps []engine.Param) []paramJSON {
		out := make([]paramJSON, len(ps))
		for i, p := range ps {
			out[i] = paramJSON{Name: p.Name, Kind: p.Kind.String(), Required: p.Required, Secret: p.Secret, Sensitive: p.Sensitive, Doc: p.Doc}
		}
		return out
	}
	enc := json.NewEncoder(w)
	for _, s := range specs {
		err := enc.Encode(struct {
			Name     string      `json:"name"`
			Doc      string      `json:"doc"`
			Params   []paramJSON `json:"params"`
			Outputs  []paramJSON `json:"outputs"`
			Outcomes []string    `json:"outcomes"`
			Timeout  string      `json:"timeout,omitempty"`
		}{s.Name, s.Doc, conv(s.Params), conv(s.Outputs), s.Outcomes, durationOrEmpty(s)})
		if err != nil {
			return err
		}
	}
	return nil
}

func durationOrEmpty(s engine.Spec) string {
	if s.Timeout == 0 {
		return ""
	}
	return s.Timeout.String()
}
