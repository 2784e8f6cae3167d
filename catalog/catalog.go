// Package catalog loads a flows directory once — its flows and its
// regional policy overlays (regions/) — checks them together with one
// rule, and hands out compiled flows by (flow, region), each with its
// content hash. Every front end (the CLI, the HTTP API, the web pages)
// gets its flows here, so that they agree on what a flow and a region
// are. It knows no portal, no demo fixture and no front end.
//
//	cat, err := catalog.Load("flows", catalog.Options{Registry: reg})
//	if err != nil { ... }            // the directory could not be read
//	if err := cat.Err(); err != nil { // every problem, file:line:col
//		...
//	}
//	c, err := cat.Compiled("connect", "DE")
//	s, err := c.Flow.Start(ctx, ports)
//
// The catalog serves one set of flows at a time: Reload loads the directory
// again and swaps the new set in, all or nothing, reporting what changed.
// The versions sessions run on stay available to them until they end
// (Hold, Release), and with an Archive after a restart too (LoadVersion):
// versions.go, docs/flow-evolution.md.
//
// Which files are flows: every *.yaml and *.yml directly in the directory
// whose document is a mapping with a flow: or states: key (answers and
// path files, which are lists, are not), and any file named in
// Options.Files. A file that is not valid YAML is taken for a flow, so
// that its error is not lost.
package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/country"
	"github.com/tetherflow/tether/internal/suggest"
	"github.com/tetherflow/tether/policy"
)

// Options configures Load. Registry is required.
type Options struct {
	// Archive, when set, keeps every version a session runs on, so that a
	// restarted process can finish the session after its files changed
	// (see Hold and LoadVersion).
	Archive Archive
	// Registry holds the actions flows are checked against.
	Registry *engine.Registry
	// Regions is the directory of regional overlays; empty means regions/
	// in the flows directory, where a missing directory means no regions.
	Regions string
	// Files are files to load as flows whatever they hold: the flows a
	// command was given.
	Files []string
	// Limits are the YAML budgets the flow files are read within; the zero
	// value is the default budget, which a trusted flow larger than any a
	// person writes (a generated one) may need raised.
	Limits yamlfile.Limits
}

// Catalog is a loaded flows directory. It is safe for concurrent use.
// Reload loads the directory again and, when it has no problems, serves
// the new set in place of the old; the versions sessions run on stay
// available (versions.go).
type Catalog struct {
	dir  string
	opts Options
	cur  atomic.Pointer[set]

	reload sync.Mutex // one Reload at a time

	mu       sync.Mutex
	versions map[string]*version // every flow handed out, by hash
}

// set is one loading of the flows directory: immutable once loaded, but
// for the flows it compiles on demand.
type set struct {
	dir     string
	regions *policy.Set
	flows   map[string]*entry  // by flow name
	byPath  map[string]*entry  // by cleaned path
	shared  yamlfile.ErrorList // problems of the overlays: they stop every flow
	errs    yamlfile.ErrorList // every problem

	mu       sync.Mutex
	compiled map[compiledKey]*Compiled
}

// entry is one flow file.
type entry struct {
	name string // the flow's name; empty when the file could not be loaded
	path string
	file *syntax.File // as loaded; nil when it could not be
	flow *engine.Flow // nil when it has problems
	errs yamlfile.ErrorList
}

type compiledKey struct{ flow, region string }

// Compiled is a flow under one region's policy, ready to run.
type Compiled struct {
	// Flow is the compiled flow, its subflows under the same region.
	Flow *engine.Flow
	// Name and Path are the flow's name and file.
	Name, Path string
	// Region is the region whose policy applies (policy.DefaultRegion,
	// with no files, when none does).
	Region *policy.Region
	// Country is the country the flow was asked for; empty for the
	// flow's defaults.
	Country string
}

// Hash identifies the compiled flow: its content, its subflows' and the
// effective policy of all of them.
func (c *Compiled) Hash() string { return c.Flow.Hash() }

// ErrNoFlow is wrapped by the errors for a flow the catalog does not hold.
var ErrNoFlow = errors.New("no such flow")

// NoFlowError is the error for a flow name the catalog does not hold: its
// message names the directory, for the command line; a server tells its
// clients only Name and Hint (the directory is the server's business).
type NoFlowError struct {
	Name string
	Dir  string
	// Hint suggests the closest flow name (" (did you mean connect?)"),
	// or is empty.
	Hint string
}

func (e *NoFlowError) Error() string {
	return fmt.Sprintf("%v %s in %s%s", ErrNoFlow, e.Name, e.Dir, e.Hint)
}

func (e *NoFlowError) Unwrap() error { return ErrNoFlow }

// ErrCountry is wrapped by the errors for a country code that is not an
// assigned ISO 3166-1 alpha-2 code.
var ErrCountry = country.ErrCountry

// Load reads the flows directory dir. It fails only when dir cannot be
// read; problems in the files are collected, and Err returns them all.
func Load(dir string, opts Options) (*Catalog, error) {
	if opts.Registry == nil {
		return nil, errors.New("catalog: no action registry")
	}
	s, err := loadSet(dir, opts)
	if err != nil {
		return nil, err
	}
	c := &Catalog{dir: dir, opts: opts, versions: map[string]*version{}}
	c.cur.Store(s)
	return c, nil
}

// loadSet loads the flows directory dir. Its files are independent until
// the overlays are checked against the flows: the overlays are read while
// the flows are, the flow files are read and loaded on every core, and so
// are the flows compiled. What is reported does not depend on the order
// any of it finishes in.
func loadSet(dir string, opts Options) (*set, error) {
	c := &set{
		dir: dir, flows: map[string]*entry{}, byPath: map[string]*entry{},
		compiled: map[compiledKey]*Compiled{},
	}
	overlays := make(chan overlayLoad, 1)
	go func() { overlays <- readOverlays(c.dir, opts.Regions) }()
	files, err := c.flowFiles(opts.Files, opts.Limits)
	if err != nil {
		<-overlays
		return nil, err
	}
	sources := map[string]*syntax.File{}
	var entries []*entry
	for _, ff := range files {
		path := ff.path
		e := &entry{path: path}
		entries = append(entries, e)
		c.byPath[filepath.Clean(path)] = e
		if ff.err != nil {
			e.errs = fileErrors(path, ff.err)
			continue
		}
		f := ff.file
		e.name, e.file = f.Flow.Name, f
		if first, dup := c.flows[e.name]; dup {
			e.errs.Add(f.Flow.Pos, "flow %s is also defined in %s", e.name, first.path)
			continue
		}
		c.flows[e.name] = e
		sources[e.name] = f
	}
	names := sortedNames(sources)
	resolve := func(name string) (*syntax.File, error) {
		if f, ok := sources[name]; ok {
			return f, nil
		}
		return nil, fmt.Errorf("no flow %s in %s%s", name, dir, suggest.Hint(name, names))
	}
	var compile []*entry
	for _, e := range entries {
		if e.name != "" && len(e.errs) == 0 {
			compile = append(compile, e)
		}
	}
	forEach(len(compile), func(i int) {
		e := compile[i]
		fl, err := engine.Compile(sources[e.name], opts.Registry, engine.WithSubflows(resolve))
		if err != nil {
			e.errs = fileErrors(e.path, err)
			return
		}
		e.flow = fl
	})
	c.checkOverlays(<-overlays, entries)
	for _, e := range entries {
		c.errs = append(c.errs, e.errs...)
	}
	c.errs = append(c.errs, c.shared...)
	c.errs = dedup(c.errs)
	return c, nil
}

// forEach calls fn(0) to fn(n-1) on up to GOMAXPROCS goroutines, and
// returns when every call has.
func forEach(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// flowFile is a file taken for a flow, loaded: its file or its problems.
type flowFile struct {
	path string
	file *syntax.File
	err  error
}

// flowFiles loads the explicit flow files and the directory's, within the
// YAML budgets lim, on every core. Each file is read and decoded once: a
// file of the directory is looked at to see whether it is a flow, and then
// loaded from the same tree.
func (c *set) flowFiles(explicit []string, lim yamlfile.Limits) ([]flowFile, error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("load flows: %w", err)
	}
	type candidate struct {
		path     string
		explicit bool // a flow whatever it holds
	}
	seen := map[string]bool{}
	var cands []candidate
	add := func(p string, explicit bool) {
		if k := filepath.Clean(p); !seen[k] {
			seen[k] = true
			cands = append(cands, candidate{p, explicit})
		}
	}
	for _, p := range explicit {
		add(p, true)
	}
	for _, de := range ents {
		ext := filepath.Ext(de.Name())
		if de.IsDir() || ext != ".yaml" && ext != ".yml" {
			continue
		}
		add(filepath.Join(c.dir, de.Name()), false)
	}
	loaded := make([]*flowFile, len(cands))
	forEach(len(cands), func(i int) {
		cd := cands[i]
		doc := syntax.ReadDocument(cd.path, lim)
		if !cd.explicit {
			top, clean := doc.Top()
			if clean && !isFlow(top) || !clean && !isFlowFile(cd.path, lim) {
				return
			}
		}
		f, err := doc.Load()
		loaded[i] = &flowFile{path: cd.path, file: f, err: err}
	})
	var out []flowFile
	for _, ff := range loaded {
		if ff != nil {
			out = append(out, *ff)
		}
	}
	return out, nil
}

// isFlow reports whether a document's top node looks like a flow's: a
// mapping with flow: or states:.
func isFlow(top *yaml.Node) bool {
	if top == nil || top.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i].Value; k == "flow" || k == "states" {
			return true
		}
	}
	return false
}

// isFlowFile reports whether the file at path looks like a flow: a mapping
// with flow: or states:, or YAML that does not parse. It is for the files
// ReadDocument could not read or decode cleanly (a syntax error, a second
// document, a budget broken, a duplicate key), which it parses again on
// its own terms: the first document as yaml.v3 reads it, whole. A file
// over the size budget is not read past it, and counts as a flow, so that
// loading it reports the budget.
func isFlowFile(path string, lim yamlfile.Limits) bool {
	data, err := yamlfile.ReadFile(path, lim)
	if err != nil {
		return true // reported when it is loaded
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return true
	}
	if len(doc.Content) == 0 {
		return false
	}
	return isFlow(doc.Content[0])
}

// overlayLoad is the regional overlays as read, before they are checked
// against the flows.
type overlayLoad struct {
	dir  string
	set  *policy.Set
	errs yamlfile.ErrorList // problems reading them
}

// readOverlays reads the overlays in dir, or in regions/ of the flows
// directory flows when dir is empty, where a missing directory means no
// regions.
func readOverlays(flows, dir string) overlayLoad {
	defaulted := dir == ""
	if defaulted {
		dir = filepath.Join(flows, "regions")
	}
	o := overlayLoad{dir: dir}
	set, err := policy.Load(dir)
	switch {
	case defaulted && errors.Is(err, fs.ErrNotExist):
		set, err = &policy.Set{}, nil
	case set == nil:
		msg := err.Error()
		if perr, ok := errors.AsType[*fs.PathError](err); ok {
			msg = perr.Err.Error()
		}
		o.errs = append(o.errs, &yamlfile.Error{Pos: yamlfile.Pos{File: dir}, Msg: "regions directory: " + msg})
		set = &policy.Set{}
	case err != nil:
		o.errs = append(o.errs, fileErrors(dir, err)...)
	}
	o.set = set
	return o
}

// checkOverlays takes the overlays read and holds them to every flow: each
// flow an overlay names must be in the catalog, each value must fit it.
func (c *set) checkOverlays(o overlayLoad, entries []*entry) {
	c.shared = append(c.shared, o.errs...)
	c.regions = o.set
	flows := map[string]*engine.Flow{}
	for _, e := range entries {
		if e.name != "" {
			if _, seen := flows[e.name]; !seen {
				flows[e.name] = e.flow // nil for a flow with problems: it exists
			}
		}
	}
	if err := o.set.Check(flows); err != nil {
		c.shared = append(c.shared, fileErrors(o.dir, err)...)
	}
}

// Dir returns the flows directory.
func (c *Catalog) Dir() string { return c.dir }

// Regions returns the regional overlays.
func (c *Catalog) Regions() *policy.Set { return c.cur.Load().regions }

// Files returns the flow files, sorted, the ones with problems included.
func (c *Catalog) Files() []string {
	s := c.cur.Load()
	files := make([]string, 0, len(s.byPath))
	for _, e := range s.byPath {
		files = append(files, e.path)
	}
	sort.Strings(files)
	return files
}

// Names returns the names of the flows, sorted.
func (c *Catalog) Names() []string { return c.cur.Load().names() }

func (c *set) names() []string {
	names := make([]string, 0, len(c.flows))
	for n := range c.flows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// File returns the syntax tree of the flow named name, as loaded, even
// when the flow has problems that stop it from compiling.
func (c *Catalog) File(name string) (*syntax.File, bool) {
	e := c.cur.Load().flows[name]
	if e == nil || e.file == nil {
		return nil, false
	}
	return e.file, true
}

// Err returns every problem of the catalog, sorted, as an
// yamlfile.ErrorList, or nil.
func (c *Catalog) Err() error { return c.cur.Load().err() }

func (c *set) err() error {
	errs := append(yamlfile.ErrorList(nil), c.errs...)
	errs.Sort()
	return errs.Err()
}

// FileErr returns the problems that stop the flow in the file at path:
// its own and its subflows' (which compiling it reports), and those of the
// overlays, which every flow shares. It is nil when the
// flow can run.
func (c *Catalog) FileErr(path string) error { return c.cur.Load().fileErr(path) }

func (c *set) fileErr(path string) error {
	e := c.byPath[filepath.Clean(path)]
	if e == nil {
		return fmt.Errorf("%s: %w in %s (is it a flow file?)", path, ErrNoFlow, c.dir)
	}
	errs := append(append(yamlfile.ErrorList(nil), e.errs...), c.shared...)
	errs = dedup(errs)
	errs.Sort()
	return errs.Err()
}

// NameOf returns the name of the flow in the file at path.
func (c *Catalog) NameOf(path string) (string, error) { return c.cur.Load().nameOf(path) }

func (c *set) nameOf(path string) (string, error) {
	e := c.byPath[filepath.Clean(path)]
	if e == nil || e.name == "" {
		if err := c.fileErr(path); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%s: %w", path, ErrNoFlow)
	}
	return e.name, nil
}

// Compiled returns the flow named name under the policy of country (its
// defaults when country is empty). The error is an yamlfile.ErrorList when
// the flow, a subflow or an overlay has problems, and wraps ErrCountry
// for a bad country code (the name of a region included) and ErrNoFlow
// for an unknown flow.
func (c *Catalog) Compiled(name, country string) (*Compiled, error) {
	out, err := c.cur.Load().compile(name, country)
	if err != nil {
		return nil, err
	}
	c.handedOut(out)
	return out, nil
}

// compile is Compiled in this set.
func (c *set) compile(name, cc string) (*Compiled, error) {
	e := c.flows[name]
	if e == nil {
		return nil, &NoFlowError{Name: name, Dir: c.dir, Hint: suggest.Hint(name, c.names())}
	}
	if err := c.fileErr(e.path); err != nil {
		return nil, err
	}
	region := &policy.Region{Name: policy.DefaultRegion}
	if cc != "" {
		if err := c.checkCountry(cc); err != nil {
			return nil, err
		}
		region = c.regions.ForCountry(cc)
	}
	key := compiledKey{name, region.Name}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached := c.compiled[key]; cached != nil {
		cp := *cached
		cp.Country = cc
		return &cp, nil
	}
	fl := e.flow
	if cc != "" {
		eff, _, err := c.regions.Effective(e.flow, cc)
		if err != nil {
			return nil, err // Check reported it already; kept for safety
		}
		fl = eff
	}
	out := &Compiled{Flow: fl, Name: name, Path: e.path, Region: region, Country: cc}
	c.compiled[key] = out
	cp := *out
	return &cp, nil
}

// CompiledFile is Compiled for the flow in the file at path.
func (c *Catalog) CompiledFile(path, country string) (*Compiled, error) {
	name, err := c.NameOf(path)
	if err != nil {
		return nil, err
	}
	return c.Compiled(name, country)
}

// checkCountry returns nil for an assigned ISO 3166-1 alpha-2 code in
// upper case. Otherwise its error wraps ErrCountry, says what is wrong and
// suggests the code meant: DE for de, GB for UK, and for the name of a
// region (a policy overlay, eu-de) the countries it lists.
func (c *set) checkCountry(code string) error {
	err := country.Check(code)
	if err == nil {
		return nil
	}
	r := c.regions.Region(code)
	if r == nil {
		return err
	}
	if len(r.Countries) == 0 {
		return fmt.Errorf("%w: %s is a region (a policy overlay), not a country; it lists no country", ErrCountry, code)
	}
	return fmt.Errorf("%w: %s is a region (a policy overlay), not a country; give one of its countries: %s",
		ErrCountry, code, strings.Join(r.Countries, ", "))
}

// fileErrors turns an error about path into positioned errors: an
// ErrorList's own, or one error at the file.
func fileErrors(path string, err error) yamlfile.ErrorList {
	var list yamlfile.ErrorList
	if errors.As(err, &list) {
		return list
	}
	msg := err.Error()
	if perr, ok := errors.AsType[*fs.PathError](err); ok && perr.Path == path {
		msg = perr.Err.Error()
	}
	return yamlfile.ErrorList{{Pos: yamlfile.Pos{File: path}, Msg: msg}}
}

// dedup drops repeated errors: a subflow's problems are reported by every
// flow that runs it.
func dedup(errs yamlfile.ErrorList) yamlfile.ErrorList {
	seen := map[string]bool{}
	out := errs[:0:0]
	for _, e := range errs {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
