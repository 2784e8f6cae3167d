package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/value"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// Archive keeps the versions sessions run on, by hash, where a restarted
// process finds them after the files they came from have changed.
// Implementations must be safe for concurrent use.
type Archive interface {
	// Put stores b under b.Hash. Storing a hash that is stored already
	// changes nothing. When Put returns nil, b is durable.
	Put(ctx context.Context, b *Bundle) error
	// Get returns the bundle stored under hash, or an error wrapping
	// ErrNoVersion when there is none.
	Get(ctx context.Context, hash string) (*Bundle, error)
	// List returns the hashes stored.
	List(ctx context.Context) ([]string, error)
	// Delete removes the bundle stored under hash; deleting one that is
	// not there is not an error.
	Delete(ctx context.Context, hash string) error
}

// Bundle is a compiled version of a flow as an archive keeps it: what it
// takes to compile it again, to the same hash, with no file at hand.
type Bundle struct {
	Hash string `json:"hash"`
	Flow string `json:"flow"`
	// Files are the sources of the flow and of every subflow it runs, by
	// flow name.
	Files map[string]BundleFile `json:"files"`
	// Policy is the effective policy of each of those flows, by flow
	// name, in engine's value codec (a JSON object of its keys).
	Policy map[string]json.RawMessage `json:"policy"`
}

// BundleFile is one flow file of a bundle: the path it had (error
// positions use it) and its content.
type BundleFile struct {
	Path   string `json:"path"`
	Source string `json:"source"`
}

// newBundle captures fl.
func newBundle(fl *engine.Flow) (*Bundle, error) {
	b := &Bundle{Hash: fl.Hash(), Flow: fl.Name(), Files: map[string]BundleFile{}, Policy: map[string]json.RawMessage{}}
	var add func(f *engine.Flow) error
	add = func(f *engine.Flow) error {
		if _, done := b.Files[f.Name()]; done {
			return nil
		}
		b.Files[f.Name()] = BundleFile{Path: f.Info().File.Path, Source: string(f.Info().File.Source)}
		enc, err := value.Encode(f.Info().Policy)
		if err != nil {
			return fmt.Errorf("flow %s: policy: %w", f.Name(), err)
		}
		if b.Policy[f.Name()], err = json.Marshal(enc); err != nil {
			return fmt.Errorf("flow %s: policy: %w", f.Name(), err)
		}
		for _, sub := range f.Subflows() {
			if err := add(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(fl); err != nil {
		return nil, err
	}
	return b, nil
}

// compile compiles the bundle again with the actions of reg, and checks
// that the result is the version it was taken of.
func (b *Bundle) compile(reg *engine.Registry) (*engine.Flow, error) {
	load := func(name string) (*syntax.File, error) {
		f, ok := b.Files[name]
		if !ok {
			return nil, fmt.Errorf("the bundle holds no flow %s", name)
		}
		return syntax.Load(f.Path, []byte(f.Source))
	}
	root, err := load(b.Flow)
	if err != nil {
		return nil, err
	}
	fl, err := engine.Compile(root, reg, engine.WithSubflows(load))
	if err != nil {
		return nil, err
	}
	byFlow := map[string]map[string]engine.PolicyValue{}
	for name, raw := range b.Policy {
		var enc any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&enc); err != nil {
			return nil, fmt.Errorf("flow %s: policy: %w", name, err)
		}
		v, err := value.Decode(enc)
		if err != nil {
			return nil, fmt.Errorf("flow %s: policy: %w", name, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("flow %s: policy is not an object", name)
		}
		values := map[string]engine.PolicyValue{}
		for k, v := range m {
			values[k] = engine.PolicyValue{Value: v, Pos: yamlfile.Pos{File: "archive " + b.Hash}}
		}
		byFlow[name] = values
	}
	if fl, err = fl.WithPolicies(byFlow); err != nil {
		return nil, err
	}
	if fl.Hash() != b.Hash {
		return nil, fmt.Errorf("compiles to %s, not to the hash it is archived under (an engine that hashes flows differently?)", fl.Hash())
	}
	return fl, nil
}

// hashRE is what a version's hash looks like: DirArchive names files by
// it, so nothing else may be.
var hashRE = regexp.MustCompile(`^[0-9a-f]{16,64}$`)

// DirArchive is an Archive in a directory: a JSON file per version, named
// by its hash. Files are written whole (to a temporary file, synced, then
// renamed), so a crash leaves a version stored or not, never half.
type DirArchive struct {
	dir string
}

var _ Archive = (*DirArchive)(nil)

// NewDirArchive returns the archive in dir, creating the directory.
func NewDirArchive(dir string) (*DirArchive, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("version archive: %w", err)
	}
	return &DirArchive{dir: dir}, nil
}

func (a *DirArchive) path(hash string) (string, error) {
	if !hashRE.MatchString(hash) {
		return "", fmt.Errorf("version archive: %q is not a version hash", hash)
	}
	return filepath.Join(a.dir, hash+".json"), nil
}

// Put writes b to HASH.json, unless it is there already.
func (a *DirArchive) Put(ctx context.Context, b *Bundle) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := a.path(b.Hash)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(a.dir, b.Hash+".*.tmp")
	if err != nil {
		return fmt.Errorf("version archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("version archive: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("version archive: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("version archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("version archive: %w", err)
	}
	if d, err := os.Open(a.dir); err == nil { // the rename, durable
		d.Sync()
		d.Close()
	}
	return nil
}

// Get reads HASH.json.
func (a *DirArchive) Get(ctx context.Context, hash string) (*Bundle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := a.path(hash)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in the archive %s", ErrNoVersion, a.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("version archive: %w", err)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("version archive: %s: %w", p, err)
	}
	if b.Hash != hash {
		return nil, fmt.Errorf("version archive: %s holds version %s", p, b.Hash)
	}
	return &b, nil
}

// List returns the hashes of the HASH.json files, sorted.
func (a *DirArchive) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, fmt.Errorf("version archive: %w", err)
	}
	var out []string
	for _, e := range ents {
		if h, ok := strings.CutSuffix(e.Name(), ".json"); ok && hashRE.MatchString(h) {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Delete removes HASH.json.
func (a *DirArchive) Delete(ctx context.Context, hash string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := a.path(hash)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("version archive: %w", err)
	}
	return nil
}
