package ui

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/suggest"
)

// A catalog file holds one locale's messages:
//
//	locale: de
//	messages:
//	  connect.sign_in.text: Bei Ihrem Konto anmelden
//	  connect.code_wrong:
//	    plural: attempts_left
//	    one: Dieser Code ist falsch. Noch {{ attempts_left }} Versuch.
//	    other: Dieser Code ist falsch. Noch {{ attempts_left }} Versuche.
//
// A message is written as in a flow's messages: block (syntax.ParseMessage).
// The flows' catalogs are a flows directory's locales/LOCALE.yaml; the
// front ends' own words are this package's locales/, built in.

//go:embed locales/*.yaml
var builtin embed.FS

// CatalogKeys are the keys of a catalog file's top level.
func CatalogKeys() []string { return []string{"locale", "messages"} }

// file is one catalog file as read.
type file struct {
	path    string
	locale  string
	pos     yamlfile.Pos // of the file's top, for what it lacks
	entries map[string]*fileEntry
	flows   bool // a flows catalog, not a built-in one
}

type fileEntry struct {
	id     string
	keyPos yamlfile.Pos
	src    *prompt.Source
}

// Load reads the catalogs: the built-in words of the front ends, the
// flows' own texts (the source locale), and the flows' translations in
// dir (LOCALE.yaml files; dir may be "" or missing). Every problem of a
// file — YAML, an unknown key, a malformed message or placeholder — is
// reported positioned, all at once, with the catalogs of the files that
// had none (for Check, which reports the rest).
func Load(dir string, flows []*syntax.File) (*Catalogs, error) {
	var errs yamlfile.ErrorList
	var files []*file
	names, _ := fs.Glob(builtin, "locales/*.yaml")
	for _, name := range names {
		src, err := builtin.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if f := readCatalog("ui/"+name, src, &errs); f != nil {
			files = append(files, f)
		}
	}
	if dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		sort.Strings(paths)
		for _, p := range paths {
			src, err := yamlfile.ReadFile(p, yamlfile.Limits{})
			if err != nil {
				var list yamlfile.ErrorList
				if errors.As(err, &list) {
					errs = append(errs, list...)
					continue
				}
				return nil, fmt.Errorf("read catalog: %w", err)
			}
			if f := readCatalog(p, src, &errs); f != nil {
				f.flows = true
				want := strings.TrimSuffix(filepath.Base(p), ".yaml")
				switch {
				case f.locale != want:
					errs.Add(f.pos, "the catalog's locale is %q, but its file is named %s.yaml: name it %s.yaml", f.locale, want, f.locale)
				case f.locale == Source:
					errs.Add(f.pos, "locale %s is the flows' own language: its texts are the flows', and need no catalog", Source)
				case f.locale == Pseudo:
					errs.Add(f.pos, "locale %s is made from the flows' texts: it needs no catalog", Pseudo)
				default:
					files = append(files, f)
				}
			}
		}
	} else if _, err := os.Stat(dir); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	errs.Sort()
	return build(files, flows), errs.Err()
}

// ParseCatalog reads the catalog file path, whose content is src, and
// reports its problems as Load does (a yamlfile.ErrorList), without
// holding it to any flow.
func ParseCatalog(path string, src []byte) error {
	var errs yamlfile.ErrorList
	readCatalog(path, src, &errs)
	errs.Sort()
	return errs.Err()
}

// readCatalog reads one catalog file.
func readCatalog(path string, src []byte, errs *yamlfile.ErrorList) *file {
	root, err := yamlfile.Decode(path, src, yamlfile.Limits{})
	if err != nil {
		var list yamlfile.ErrorList
		if !errors.As(err, &list) {
			errs.Add(yamlfile.Pos{File: path, Line: 1, Col: 1}, "%v", err)
			return nil
		}
		*errs = append(*errs, list...)
		if root == nil {
			return nil
		}
	}
	top := yamlfile.Pos{File: path, Line: 1, Col: 1}
	if root == nil {
		errs.Add(top, "empty catalog: it needs locale: and messages:")
		return nil
	}
	root = yamlfile.Resolve(root)
	if root.Kind != yaml.MappingNode {
		errs.Add(pos(path, root), "a catalog must be a mapping with locale: and messages:, not %s", yamlfile.Shape(root))
		return nil
	}
	f := &file{path: path, pos: pos(path, root), entries: map[string]*fileEntry{}}
	var msgs *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], yamlfile.Resolve(root.Content[i+1])
		switch k.Value {
		case "locale":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				errs.Add(pos(path, v), "locale must be a BCP 47 language tag (de, pt-BR)")
				continue
			}
			t, err := language.Parse(v.Value)
			if err != nil || t.String() != v.Value {
				errs.Add(pos(path, v), "locale %q is not a BCP 47 language tag as written canonically (de, fr, pt-BR)", v.Value)
				continue
			}
			f.locale = v.Value
		case "messages":
			msgs = v
		default:
			errs.Add(pos(path, k), "unknown key %q in catalog%s", k.Value, yamlfile.KeyHint(k.Value, CatalogKeys(), "one of: "+strings.Join(CatalogKeys(), ", ")))
		}
	}
	if f.locale == "" {
		errs.Add(f.pos, "missing key \"locale\" (the catalog's language, e.g. de)")
	}
	if msgs == nil {
		errs.Add(f.pos, "missing key \"messages\"")
		return nil
	}
	if msgs.Kind != yaml.MappingNode {
		errs.Add(pos(path, msgs), "messages must be a mapping of message ids to texts, not %s", yamlfile.Shape(msgs))
		return nil
	}
	for i := 0; i+1 < len(msgs.Content); i += 2 {
		k, v := msgs.Content[i], msgs.Content[i+1]
		if k.Kind != yaml.ScalarNode || !validID(k.Value) {
			errs.Add(pos(path, k), "%q is not a message id (names joined by dots: connect.sign_in.text)", k.Value)
			continue
		}
		if src := syntax.ParseMessage(path, v, errs, k.Value); src != nil {
			f.entries[k.Value] = &fileEntry{id: k.Value, keyPos: pos(path, k), src: src}
		}
	}
	if f.locale == "" {
		return nil
	}
	return f
}

func pos(path string, n *yaml.Node) yamlfile.Pos {
	return yamlfile.Pos{File: path, Line: n.Line, Col: n.Column}
}

// validID reports whether s is a message id: names joined by dots.
func validID(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
			return false
		}
	}
	return true
}

// build makes the catalogs of files and the flows' texts.
func build(files []*file, flows []*syntax.File) *Catalogs {
	c := &Catalogs{msgs: map[string]map[string]*entry{Source: {}}, files: files}
	add := func(locale, id string, e *entry) {
		if c.msgs[locale] == nil {
			c.msgs[locale] = map[string]*entry{}
		}
		c.msgs[locale][id] = e
	}
	for _, f := range flows {
		for _, m := range f.Texts() {
			add(Source, m.ID, &entry{src: m.Source, pos: m.Pos.String()})
		}
	}
	for _, f := range files {
		for id, e := range f.entries {
			add(f.locale, id, &entry{src: e.src, pos: e.keyPos.String()})
		}
	}
	var others []string
	for loc := range c.msgs {
		if loc != Source {
			others = append(others, loc)
		}
	}
	sort.Strings(others)
	c.locales = append([]string{Source}, others...)
	for _, loc := range c.locales {
		c.tags = append(c.tags, language.Make(loc))
	}
	c.matcher = language.NewMatcher(c.tags)
	c.msgs[Pseudo] = map[string]*entry{}
	for id, e := range c.msgs[Source] {
		c.msgs[Pseudo][id] = &entry{src: pseudo(e.src)}
	}
	c.locales = append(c.locales, Pseudo)
	c.localizers = make(map[string]*Localizer, len(c.locales))
	for _, loc := range c.locales {
		c.localizers[loc] = newLocalizer(c, loc)
	}
	return c
}

// Check reports, positioned and all at once, what the flows' catalogs get
// wrong: a flow message a locale they ship (one they have a catalog for)
// lacks, a translation whose
// placeholders differ from the source's, a plural message without a form
// the locale's CLDR categories need (or with one they never use), and an
// entry no flow uses.
func (c *Catalogs) Check(flows []*syntax.File) yamlfile.ErrorList {
	var errs yamlfile.ErrorList
	source := map[string]syntax.Message{}
	for _, f := range flows {
		for _, m := range f.Texts() {
			source[m.ID] = m
		}
	}
	byLocale := map[string]*file{}
	for _, f := range c.files {
		if f.flows {
			byLocale[f.locale] = f
		}
	}
	// The locales the flows ship are those they have catalogs for.
	var shipped []string
	for loc := range byLocale {
		shipped = append(shipped, loc)
	}
	sort.Strings(shipped)
	for _, loc := range shipped {
		f := byLocale[loc]
		ids := make([]string, 0, len(source))
		for id := range source {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			m := source[id]
			if f.entries[id] == nil {
				errs.Add(m.Pos, "message %s has no %s translation (%s)", id, loc, f.path)
				continue
			}
			checkTranslation(&errs, loc, f.entries[id], m.Source)
		}
	}
	for _, f := range c.files {
		if !f.flows {
			continue
		}
		for id, e := range f.entries {
			if _, ok := source[id]; !ok {
				errs.Add(e.keyPos, "message %s is no flow's: no flow shows it%s", id, similar(id, source))
			}
		}
	}
	errs.Sort()
	return errs
}

// CheckWords reports what the built-in catalogs of the front ends' words
// get wrong, as Check does for the flows': a test holds it empty.
func (c *Catalogs) CheckWords() yamlfile.ErrorList {
	var errs yamlfile.ErrorList
	var source *file
	for _, f := range c.files {
		if !f.flows && f.locale == Source {
			source = f
		}
	}
	if source == nil {
		errs.Add(yamlfile.Pos{File: "ui/locales/en.yaml"}, "no built-in source catalog")
		return errs
	}
	for _, f := range c.files {
		if f.flows || f == source {
			continue
		}
		for id, e := range source.entries {
			t := f.entries[id]
			if t == nil {
				errs.Add(f.pos, "message %s has no %s translation", id, f.locale)
				continue
			}
			checkTranslation(&errs, f.locale, t, e.src)
		}
		for id, e := range f.entries {
			if source.entries[id] == nil {
				errs.Add(e.keyPos, "message %s is not in the source catalog %s", id, source.path)
			}
		}
	}
	errs.Sort()
	return errs
}

// checkTranslation holds translation t of a message in locale loc to the
// message's source src.
func checkTranslation(errs *yamlfile.ErrorList, loc string, t *fileEntry, src *prompt.Source) {
	tr := t.src
	if got, want := tr.Params(), src.Params(); !slices.Equal(got, want) {
		errs.Add(t.keyPos, "%s: the translation's placeholders are %s, the source's %s", t.id, names(got), names(want))
	}
	switch {
	case src.Select:
		if !tr.Select || tr.Arg != src.Arg {
			errs.Add(t.keyPos, "%s: the source chooses its text by select: %s; the translation must too", t.id, src.Arg)
			return
		}
		for _, k := range src.Keys() {
			if _, ok := tr.Form(k); !ok {
				errs.Add(t.keyPos, "%s: the translation has no form for %s", t.id, k)
			}
		}
		for _, k := range tr.Keys() {
			if _, ok := src.Form(k); !ok {
				errs.Add(t.keyPos, "%s: the translation has a form for %s, which the source has not", t.id, k)
			}
		}
	case src.Plural():
		cats := Categories(loc)
		if !tr.Plural() {
			if len(cats) > 1 {
				errs.Add(t.keyPos, "%s: the source's text depends on the count %s: give the forms %s needs (plural: %s with %s)", t.id, src.Arg, loc, src.Arg, strings.Join(cats, ", "))
			}
			return
		}
		if tr.Arg != src.Arg {
			errs.Add(t.keyPos, "%s: the translation counts %s, the source %s", t.id, tr.Arg, src.Arg)
		}
		for _, cat := range cats {
			if _, ok := tr.Form(cat); !ok {
				errs.Add(t.keyPos, "%s: the translation has no %s form, which %s needs (its plural categories: %s)", t.id, cat, loc, strings.Join(cats, ", "))
			}
		}
		for _, k := range tr.Keys() {
			if !slices.Contains(cats, k) {
				errs.Add(t.keyPos, "%s: the translation has a %s form, which %s never uses (its plural categories: %s)", t.id, k, loc, strings.Join(cats, ", "))
			}
		}
	case tr.Select:
		// A language may need a form the source does not (French's "1er
		// janvier"): a translation may choose by one of the source's
		// parameters, which the placeholders' check holds it to.
		if _, ok := tr.Form("other"); !ok {
			errs.Add(t.keyPos, "%s: the translation has no other: form", t.id)
		}
	}
}

func names(ps []string) string {
	if len(ps) == 0 {
		return "none"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "{{ " + p + " }}"
	}
	return strings.Join(out, ", ")
}

// similar names the source id closest to id, for a hint.
func similar(id string, source map[string]syntax.Message) string {
	ids := make([]string, 0, len(source))
	for s := range source {
		ids = append(ids, s)
	}
	sort.Strings(ids)
	return suggest.Hint(id, ids)
}

// builtinCatalogs are the built-in catalogs alone, read once: they never
// change while the program runs.
var builtinCatalogs = sync.OnceValues(func() (*Catalogs, error) { return Load("", nil) })

// Builtin returns the catalogs of the front ends' own words alone, for a
// front end given none: the flows' texts show as the flows write them.
// It panics if the built-in catalogs do not load, which a test rules out.
func Builtin() *Catalogs {
	c, err := builtinCatalogs()
	if err != nil {
		panic(fmt.Sprintf("ui: the built-in catalogs: %v", err))
	}
	return c
}

// Coverage is how much of some flows' texts a locale translates.
type Coverage struct {
	Locale string
	// Total counts the flows' messages; Missing are those the locale's
	// catalog lacks, in file order.
	Total   int
	Missing []syntax.Message
}

// Percent is the share of the messages translated.
func (c Coverage) Percent() float64 {
	if c.Total == 0 {
		return 100
	}
	return 100 * float64(c.Total-len(c.Missing)) / float64(c.Total)
}

// Coverage returns, for each locale the flows' catalogs ship (sorted),
// how many of the messages of files it translates.
func (c *Catalogs) Coverage(files []*syntax.File) []Coverage {
	var msgs []syntax.Message
	for _, f := range files {
		msgs = append(msgs, f.Texts()...)
	}
	var out []Coverage
	for _, f := range c.files {
		if !f.flows {
			continue
		}
		cov := Coverage{Locale: f.locale, Total: len(msgs)}
		for _, m := range msgs {
			if f.entries[m.ID] == nil {
				cov.Missing = append(cov.Missing, m)
			}
		}
		out = append(out, cov)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Locale < out[j].Locale })
	return out
}
