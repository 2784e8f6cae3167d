package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/country"
)

// DefaultRegion is the name of the region a country belongs to when no
// overlay lists it: it gets the flow's own policy defaults.
const DefaultRegion = "default"

// Region is one overlay: a named set of countries and the policy values it
// sets for each flow. The default region has no file and sets nothing.
type Region struct {
	// Name is the region's name, as `region:` spells it.
	Name string
	// File is the overlay's path; empty for the default region.
	File string
	// Pos is where the region is named in File.
	Pos yamlfile.Pos
	// Countries are the ISO 3166-1 alpha-2 codes the overlay lists, in
	// file order.
	Countries []string
	// Extends is the parent region's name, or empty.
	Extends string
	// Parent is the region Extends names, nil when there is none.
	Parent *Region

	extendsPos yamlfile.Pos
	countryPos map[string]yamlfile.Pos
	badCountry bool // countries had errors, already reported
	flows      map[string]*flowOverlay
	flowNames  []string // file order
}

// flowOverlay is what a region sets for one flow.
type flowOverlay struct {
	pos    yamlfile.Pos // the flow's name under flows:
	values map[string]engine.PolicyValue
}

// Lineage returns the region and its ancestors, nearest first.
func (r *Region) Lineage() []*Region {
	var out []*Region
	seen := map[*Region]bool{}
	for p := r; p != nil && !seen[p]; p = p.Parent {
		seen[p] = true
		out = append(out, p)
	}
	return out
}

// Files returns the overlay files the region's policy comes from, its own
// first, then its ancestors'. It is empty for the default region.
func (r *Region) Files() []string {
	var out []string
	for _, p := range r.Lineage() {
		if p.File != "" {
			out = append(out, p.File)
		}
	}
	return out
}

// Overrides returns the policy values the region's own file sets for flow,
// without its ancestors'.
func (r *Region) Overrides(flow string) map[string]engine.PolicyValue {
	fo := r.flows[flow]
	if fo == nil {
		return nil
	}
	out := make(map[string]engine.PolicyValue, len(fo.values))
	for k, v := range fo.values {
		out[k] = v
	}
	return out
}

// Set is every overlay of a regions directory, checked for consistency
// among themselves. The zero Set has no regions: every country gets the
// default region.
type Set struct {
	regions   []*Region          // sorted by name
	byName    map[string]*Region //
	byCountry map[string]*Region
}

// Regions returns the regions, sorted by name, without the default region.
func (s *Set) Regions() []*Region { return append([]*Region(nil), s.regions...) }

// Region returns the region named name, or nil.
func (s *Set) Region(name string) *Region { return s.byName[name] }

// ForCountry returns the region country belongs to: the one whose overlay
// lists it, or the default region.
func (s *Set) ForCountry(country string) *Region {
	if r := s.byCountry[country]; r != nil {
		return r
	}
	return &Region{Name: DefaultRegion}
}

// FlowNames returns the names of the flows any overlay sets values for,
// sorted.
func (s *Set) FlowNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.regions {
		for _, n := range r.flowNames {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Load reads every overlay (*.yaml, *.yml) in dir and checks what can be
// checked without the flows: the overlay's keys, region names, country
// codes, countries claimed twice, and extends. Problems in the overlays are
// returned together as an yamlfile.ErrorList, with the set of what could be
// read, so that Check can report the problems of its values too (as
// go/parser returns a partial file with its errors). A directory that
// cannot be read is a nil set and an error wrapping the os one
// (fs.ErrNotExist when it is missing). A directory with no overlays is an
// empty set: every country is default.
func Load(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	var errs yamlfile.ErrorList
	var regions []*Region
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || ext != ".yaml" && ext != ".yml" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		// Opening a named pipe would wait for a writer forever.
		if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
			errs.Add(yamlfile.Pos{File: path}, "not a regular file (%s): an overlay is a YAML file", fi.Mode().Type())
			continue
		}
		data, err := yamlfile.ReadFile(path, yamlfile.Limits{})
		var list yamlfile.ErrorList
		if errors.As(err, &list) {
			errs = append(errs, list...)
			continue
		}
		if err != nil {
			errs.Add(yamlfile.Pos{File: path}, "%v", err)
			continue
		}
		if r := parse(path, data, &errs); r != nil {
			regions = append(regions, r)
		}
	}
	s := link(regions, &errs)
	errs.Sort()
	return s, errs.Err()
}

var (
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	regionRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	identRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	topKeys    = []string{"region", "countries", "extends", "flows"}
	topKeyList = "region, countries, extends or flows"
)

// parse reads one overlay file. It returns nil when the file has no usable
// region name, after reporting why.
func parse(path string, data []byte, errs *yamlfile.ErrorList) *Region {
	top, err := yamlfile.Decode(path, data, yamlfile.Limits{})
	var list yamlfile.ErrorList
	errors.As(err, &list) // repeated keys: the tree holds the first of each
	*errs = append(*errs, list...)
	if top == nil {
		if err == nil {
			errs.Add(yamlfile.Pos{File: path, Line: 1, Col: 1}, "empty overlay: want %s", topKeyList)
		}
		return nil
	}
	p := &parser{path: path, errs: errs}
	r := &Region{File: path, countryPos: map[string]yamlfile.Pos{}, flows: map[string]*flowOverlay{}}
	named := false
	ok := p.pairs(top, "overlay", func(k, v *yaml.Node) {
		switch k.Value {
		case "region":
			if name, ok := p.str(v, "region"); ok {
				r.Pos = p.pos(v)
				switch {
				case name == DefaultRegion:
					p.errorf(v, "region name %s is reserved for countries in no overlay", DefaultRegion)
				case !regionRE.MatchString(name):
					p.errorf(v, "region name %q: want lower-case letters, digits, - and _, starting with a letter", name)
				default:
					r.Name, named = name, true
				}
			}
		case "countries":
			p.countries(r, v)
		case "extends":
			if name, ok := p.str(v, "extends"); ok {
				r.Extends, r.extendsPos = name, p.pos(v)
			}
		case "flows":
			p.flows(r, v)
		default:
			p.errorf(k, "unknown key %s in overlay%s", k.Value, yamlfile.KeyHint(k.Value, topKeys, topKeyList))
		}
	})
	if !ok {
		return nil
	}
	if !hasKey(top, "region") {
		p.errorf(top, "missing key region (the region's name)")
	}
	if !named {
		return nil
	}
	return r
}

type parser struct {
	path string
	errs *yamlfile.ErrorList
}

func (p *parser) pos(n *yaml.Node) yamlfile.Pos {
	return yamlfile.Pos{File: p.path, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs.Add(p.pos(n), format, args...)
}

// pairs calls fn for each key and value of a mapping, reporting keys that
// are not plain scalars (yamlfile.Decode has reported and dropped
// repeated ones). It reports false when n is not a mapping.
func (p *parser) pairs(n *yaml.Node, what string, fn func(k, v *yaml.Node)) bool {
	n = yamlfile.Resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping, not %s", what, describe(n))
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlfile.Resolve(n.Content[i]), yamlfile.Resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be plain names", what)
			continue
		}
		fn(k, v)
	}
	return true
}

func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || n.Value == "" {
		p.errorf(n, "%s must be a name, not %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) countries(r *Region, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		r.badCountry = true
		p.errorf(n, "countries must be a list of country codes, not %s", describe(n))
		return
	}
	for _, c := range n.Content {
		r.badCountry = true // until the code passes every check
		if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!str" {
			p.errorf(c, "country code must be two upper-case letters (ISO 3166-1 alpha-2), not %s", describe(c))
			continue
		}
		code := c.Value
		if !countryRE.MatchString(code) {
			hint := ""
			if up := strings.ToUpper(code); country.Valid(up) {
				hint = fmt.Sprintf(" (did you mean %s?)", up)
			}
			p.errorf(c, "bad country code %s: want two upper-case letters (ISO 3166-1 alpha-2)%s", country.Quote(code), hint)
			continue
		}
		if !country.Valid(code) {
			hint := ""
			if code == "UK" {
				hint = " (the United Kingdom is GB)"
			}
			p.errorf(c, "country code %s is not an assigned ISO 3166-1 alpha-2 code%s", code, hint)
			continue
		}
		if first, dup := r.countryPos[code]; dup {
			p.errorf(c, "country %s is listed twice (first at line %d)", code, first.Line)
			continue
		}
		r.badCountry = false
		r.countryPos[code] = p.pos(c)
		r.Countries = append(r.Countries, code)
	}
}

func (p *parser) flows(r *Region, n *yaml.Node) {
	p.pairs(n, "flows", func(k, v *yaml.Node) {
		if !identRE.MatchString(k.Value) {
			p.errorf(k, "flow name %q is not a name", k.Value)
			return
		}
		fo := &flowOverlay{pos: p.pos(k), values: map[string]engine.PolicyValue{}}
		r.flows[k.Value] = fo
		r.flowNames = append(r.flowNames, k.Value)
		what := "flows." + k.Value
		p.pairs(v, what, func(pk, pv *yaml.Node) {
			if pv.Kind == yaml.ScalarNode && pv.ShortTag() == "!!null" {
				p.errorf(pv, "policy %s of flow %s has no value", pk.Value, k.Value)
				return
			}
			val, _, ok := syntax.ParseValue(p.path, pv, p.errs, "policy "+pk.Value)
			if !ok {
				return
			}
			// The key's position, not the value's: `policy show` points at
			// the line, and unknown keys are reported where they are named.
			fo.values[pk.Value] = engine.PolicyValue{Value: val, Pos: p.pos(pk)}
		})
	})
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// describe names a node's kind for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("%q", n.Value)
	}
	return n.Value
}
