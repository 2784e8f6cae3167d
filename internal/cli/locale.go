package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/text/language"

	"github.com/tetherflow/tether/catalog"
	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/ui"
)

// langFlag adds --lang, the locale prompts are shown in.
func langFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "lang", "", "show prompts in the locale `TAG` (BCP 47: de, fr, pt-BR, en-XA; default from LC_ALL, LC_MESSAGES, LANG)")
}

// localesDir is where a flows directory keeps its catalogs.
const localesDir = "locales"

// flowFiles returns the syntax trees of the catalog's flows.
func flowFiles(cat *catalog.Catalog) []*syntax.File {
	var out []*syntax.File
	for _, name := range cat.Names() {
		if f, ok := cat.File(name); ok {
			out = append(out, f)
		}
	}
	return out
}

// catalogsFor loads the catalogs of the flows directory cat was loaded
// from: its locales/, and the front ends' own words. Problems are
// printed, all at once, and make a usage error.
func catalogsFor(env *Env, cat *catalog.Catalog) (*ui.Catalogs, error) {
	cats, err := loadCatalogs(cat)
	if err != nil {
		return nil, fileErrors(env, err)
	}
	return cats, nil
}

// loadCatalogs is catalogsFor without printing its problems.
func loadCatalogs(cat *catalog.Catalog) (*ui.Catalogs, error) {
	return ui.Load(filepath.Join(cat.Dir(), localesDir), flowFiles(cat))
}

// chooseLocale chooses the locale for --lang lang, or else for the
// environment's LC_ALL, LC_MESSAGES and LANG, as POSIX orders them. A
// --lang that is not a language tag is a usage error; one that is not
// shipped falls back to the source's, and says so on stderr.
func chooseLocale(env *Env, lang string, cats *ui.Catalogs) (*ui.Localizer, error) {
	if lang != "" {
		if _, err := language.Parse(ui.POSIX(lang)); err != nil {
			return nil, usagef("--lang: %q is not a language tag (like de, fr or pt-BR)", lang)
		}
		m := cats.Match(lang)
		if m.Fallback {
			fmt.Fprintf(env.Stderr, "tether: --lang %s: no catalog for it; the prompts are in %s (shipped: %s)\n", lang, m.Tag, strings.Join(cats.Locales(), ", "))
		}
		return cats.Localizer(m.Tag), nil
	}
	for _, key := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if env.Getenv == nil {
			break
		}
		if v := env.Getenv(key); v != "" {
			return cats.Localizer(cats.Match(v).Tag), nil
		}
	}
	return cats.Localizer(ui.Source), nil
}
