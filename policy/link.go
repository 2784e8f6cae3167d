package policy

import (
	"sort"
	"strings"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/suggest"
)

// link builds the set from parsed overlays, reporting what involves more
// than one of them: a region named twice, a country claimed by two regions,
// a parent that does not exist, extends cycles, and regions that apply to
// no country.
func link(regions []*Region, errs *yamlfile.ErrorList) *Set {
	s := &Set{byName: map[string]*Region{}, byCountry: map[string]*Region{}}
	sort.SliceStable(regions, func(i, j int) bool { return regions[i].Name < regions[j].Name })
	for _, r := range regions {
		if first := s.byName[r.Name]; first != nil {
			errs.Add(r.Pos, "region %s is also defined at %s", r.Name, first.Pos)
			errs.Add(first.Pos, "region %s is also defined at %s", r.Name, r.Pos)
			continue
		}
		s.byName[r.Name] = r
		s.regions = append(s.regions, r)
	}
	for _, r := range s.regions {
		for _, c := range r.Countries {
			if other := s.byCountry[c]; other != nil {
				errs.Add(r.countryPos[c], "country %s is also in region %s (%s): a country belongs to one region", c, other.Name, other.countryPos[c])
				errs.Add(other.countryPos[c], "country %s is also in region %s (%s): a country belongs to one region", c, r.Name, r.countryPos[c])
				continue
			}
			s.byCountry[c] = r
		}
	}
	names := make([]string, 0, len(s.regions))
	for _, r := range s.regions {
		names = append(names, r.Name)
	}
	for _, r := range s.regions {
		if r.Extends == "" {
			continue
		}
		parent := s.byName[r.Extends]
		if parent == nil {
			errs.Add(r.extendsPos, "region %s extends unknown region %s%s", r.Name, r.Extends, suggest.Hint(r.Extends, names))
			continue
		}
		r.Parent = parent
	}
	var cyclic []*Region
	for _, r := range s.regions {
		if cycle := cycleFrom(r); cycle != nil {
			errs.Add(r.extendsPos, "extends cycle: %s", strings.Join(cycle, " extends "))
			cyclic = append(cyclic, r)
		}
	}
	for _, r := range cyclic {
		r.Parent = nil // so that later walks end
	}
	extended := map[string]bool{}
	for _, r := range s.regions {
		extended[r.Extends] = true
	}
	for _, r := range s.regions {
		if len(r.Countries) == 0 && !r.badCountry && !extended[r.Name] {
			errs.Add(r.Pos, "region %s has no countries and no region extends it, so it applies nowhere", r.Name)
		}
	}
	return s
}

// cycleFrom returns the names around the extends cycle r is on, starting
// and ending with r, or nil when following parents from r ends.
func cycleFrom(r *Region) []string {
	path := []string{r.Name}
	seen := map[*Region]bool{r: true}
	for p := r.Parent; p != nil; p = p.Parent {
		path = append(path, p.Name)
		if p == r {
			return path
		}
		if seen[p] {
			return nil // a cycle further up, reported at its own members
		}
		seen[p] = true
	}
	return nil
}
