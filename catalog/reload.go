package catalog

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/policy"
)

// Changes is what a Reload did, or would have done: every flow of either
// set, what happened to it, and what moving its sessions in flight to the
// new version would do to them. It marshals to JSON for an admin API.
type Changes struct {
	// Applied is set when the new set replaced the old one. A reload
	// refused for its problems applies nothing.
	Applied bool         `json:"applied"`
	Flows   []FlowChange `json:"flows"`
	// Errors are the new set's problems (file:line:col: message) when it
	// was refused.
	Errors []string `json:"errors,omitempty"`
	// Dropped are the hashes of the versions dropped from memory because
	// they are no longer current and no session holds them.
	Dropped []string `json:"dropped,omitempty"`
}

// FlowChange is what a reload did to one flow.
type FlowChange struct {
	Flow string `json:"flow"`
	// Change is "added", "removed", "changed" or "unchanged".
	Change string `json:"change"`
	// OldVersion and NewVersion are the version: labels.
	OldVersion string `json:"old_version,omitempty"`
	NewVersion string `json:"new_version,omitempty"`
	// Regions names the regions whose compiled version changed (default:
	// the flow's own policy): new sessions there start on a new hash.
	Regions []string `json:"regions,omitempty"`
	// Strands counts the findings of compat.Compare (under the flow's
	// defaults) that could strand a session in flight, were it moved to
	// the new version rather than finish on its own; Findings are every
	// finding, one line each.
	Strands  int      `json:"strands"`
	Findings []string `json:"findings,omitempty"`
}

// Reload loads the flows directory again, with the options Load was
// given, and reports what changed. When the new set has problems, Reload
// returns them, as an error wrapping their yamlfile.ErrorList, with the
// changes it would have made (Applied unset, Errors set), and the catalog
// goes on serving the set it had. Otherwise the new set replaces the old
// at once: Compiled hands out the new versions, while the versions
// sessions hold stay available to them (Version, LoadVersion) until they
// end; the versions no session holds any more are dropped. Reload is what
// a server calls on SIGHUP and for its admin reload request; one runs at
// a time.
func (c *Catalog) Reload(ctx context.Context) (*Changes, error) {
	c.reload.Lock()
	defer c.reload.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	next, err := loadSet(c.dir, c.opts)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	old := c.cur.Load()
	ch := diff(old, next)
	if err := next.err(); err != nil {
		for _, e := range yamlfile.Errors(err) {
			ch.Errors = append(ch.Errors, e.Error())
		}
		return ch, fmt.Errorf("reload %s: refused, the flows have problems; the old ones keep serving:\n%w", c.dir, err)
	}
	c.cur.Store(next)
	ch.Applied = true
	ch.Dropped = c.dropIdle()
	sort.Strings(ch.Dropped)
	return ch, nil
}

// diff compares two sets flow by flow.
func diff(old, next *set) *Changes {
	ch := &Changes{}
	names := map[string]bool{}
	for n := range old.flows {
		names[n] = true
	}
	for n := range next.flows {
		names[n] = true
	}
	regions := regionCountries(old.regions, next.regions)
	var callers []*syntax.File
	for _, n := range next.names() {
		if e := next.flows[n]; e.file != nil {
			callers = append(callers, e.file)
		}
	}
	for _, name := range sortedNames(names) {
		oe, ne := old.flows[name], next.flows[name]
		fc := FlowChange{Flow: name, OldVersion: label(oe), NewVersion: label(ne)}
		switch {
		case oe == nil:
			fc.Change = "added"
		case ne == nil:
			fc.Change = "removed"
		default:
			fc.Change = "unchanged"
			for _, r := range regions {
				oc, oerr := old.compile(name, r.country)
				nc, nerr := next.compile(name, r.country)
				switch {
				case nerr != nil:
					// The new set's problem: Errors says it.
				case oerr != nil, oc.Hash() != nc.Hash():
					fc.Regions = append(fc.Regions, r.name)
				}
			}
			if len(fc.Regions) > 0 {
				fc.Change = "changed"
			}
			oc, oerr := old.compile(name, "")
			nc, nerr := next.compile(name, "")
			if oerr == nil && nerr == nil && oc.Hash() != nc.Hash() {
				r := compat.Compare(oc.Flow, nc.Flow, compat.Options{Callers: callers})
				fc.Strands = r.Count(compat.Strands)
				for _, f := range r.Findings {
					fc.Findings = append(fc.Findings, fmt.Sprintf("%s: %s (old %s, new %s)", f.Severity, f.Msg, f.Old, f.New))
				}
			}
		}
		ch.Flows = append(ch.Flows, fc)
	}
	return ch
}

func label(e *entry) string {
	if e == nil || e.file == nil {
		return ""
	}
	return e.file.Version.Name
}

type regionCountry struct{ name, country string }

// regionCountries names a country of each region of either set that has
// countries, and the flow's defaults as "default".
func regionCountries(sets ...*policy.Set) []regionCountry {
	out := []regionCountry{{name: policy.DefaultRegion}}
	seen := map[string]bool{policy.DefaultRegion: true}
	for _, s := range sets {
		for _, r := range s.Regions() {
			if !seen[r.Name] && len(r.Countries) > 0 {
				seen[r.Name] = true
				out = append(out, regionCountry{r.Name, r.Countries[0]})
			}
		}
	}
	return out
}

// Write writes the changes for people: a line for the reload, one per flow
// that is not unchanged, its findings under it, and the new set's
// problems when it was refused.
func (ch *Changes) Write(w io.Writer) error {
	var b strings.Builder
	if ch.Applied {
		b.WriteString("reload: applied\n")
	} else {
		b.WriteString("reload: refused; the old flows keep serving\n")
	}
	for _, f := range ch.Flows {
		if f.Change == "unchanged" {
			continue
		}
		fmt.Fprintf(&b, "%s: %s", f.Flow, f.Change)
		if f.OldVersion != f.NewVersion {
			fmt.Fprintf(&b, ", version %s -> %s", orNone(f.OldVersion), orNone(f.NewVersion))
		}
		if len(f.Regions) > 0 {
			fmt.Fprintf(&b, ", new versions in %s", strings.Join(f.Regions, ", "))
		}
		if f.Strands > 0 {
			fmt.Fprintf(&b, "; %d could strand sessions in flight, were they moved (they finish on their version)", f.Strands)
		}
		b.WriteByte('\n')
		for _, line := range f.Findings {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	for _, e := range ch.Errors {
		fmt.Fprintf(&b, "%s\n", e)
	}
	if len(ch.Dropped) > 0 {
		fmt.Fprintf(&b, "versions dropped, no session holding them: %d\n", len(ch.Dropped))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
