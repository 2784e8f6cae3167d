package policy

import (
	"errors"
	"sort"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/internal/suggest"
)

// ErrCountry is wrapped by Effective's error for a country code that is
// not an assigned ISO 3166-1 alpha-2 code in upper case; a command reports
// it as a usage error.
var ErrCountry = country.ErrCountry

// Check holds every overlay to the flows it sets values for: the flow must
// be one of flows (by name; a nil flow exists but is not checked against:
// it has problems of its own), each key one the flow's policy declares,
// each value of the declared kind, and the region's effective values (its
// ancestors' included) must meet the flow's policy_rules. Every problem is
// reported, as an yamlfile.ErrorList.
func (s *Set) Check(flows map[string]*engine.Flow) error {
	var errs yamlfile.ErrorList
	names := make([]string, 0, len(flows))
	for n := range flows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, r := range s.regions {
		for _, name := range r.flowNames {
			fo := r.flows[name]
			fl, exists := flows[name]
			if !exists {
				errs.Add(fo.pos, "region %s sets policy for unknown flow %s%s", r.Name, name, suggest.Hint(name, names))
				continue
			}
			if fl == nil {
				continue // the flow has problems of its own, reported with it
			}
			if _, err := fl.WithPolicies(map[string]map[string]engine.PolicyValue{name: r.Merged(name)}); err != nil {
				errs = append(errs, listOf(err)...)
			}
		}
	}
	errs.Sort()
	return errs.Err()
}

// Merged returns the values the region and its ancestors set for flow,
// each child's overriding its parent's, with the position it was set at.
func (r *Region) Merged(flow string) map[string]engine.PolicyValue {
	out := map[string]engine.PolicyValue{}
	line := r.Lineage()
	for i := len(line) - 1; i >= 0; i-- {
		if fo := line[i].flows[flow]; fo != nil {
			for k, v := range fo.values {
				out[k] = v
			}
		}
	}
	return out
}

// Effective returns fl with the policy that applies in the country code
// (and its subflows with theirs, wherever they run), and the region that
// applied (the default region, with no files, when no overlay lists the
// country). The returned flow's PolicySource tells, per key,
// which file and line its value comes from. The error wraps ErrCountry for
// a malformed country code, and is an yamlfile.ErrorList when a value the
// region sets does not fit the flow (which Check reports beforehand).
func (s *Set) Effective(fl *engine.Flow, code string) (*engine.Flow, *Region, error) {
	if err := country.Check(code); err != nil {
		return nil, nil, err
	}
	r := s.ForCountry(code)
	byFlow := map[string]map[string]engine.PolicyValue{}
	for _, line := range r.Lineage() {
		for _, name := range line.flowNames {
			byFlow[name] = r.Merged(name)
		}
	}
	eff, err := fl.WithPolicies(byFlow)
	if err != nil {
		return nil, r, err
	}
	return eff, r, nil
}

// listOf returns err's positioned errors, or err as one error without a
// position.
func listOf(err error) yamlfile.ErrorList {
	var l yamlfile.ErrorList
	if errors.As(err, &l) {
		return l
	}
	return yamlfile.ErrorList{{Msg: err.Error()}}
}
