package web

import (
	"slices"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/tetherflow/tether/internal/country"
)

// countryName is an option of the country select: an assigned ISO
// 3166-1 alpha-2 code and its name in a locale.
type countryName struct {
	code, name string
}

// countryNames are every assigned ISO 3166-1 alpha-2 country, named and
// sorted in each locale asked for, made once per locale.
type countryNames struct {
	mu sync.Mutex
	by map[string][]countryName
}

func newCountryNames() *countryNames { return &countryNames{by: map[string][]countryName{}} }

// in returns the countries named in locale tag (CLDR's names, in
// golang.org/x/text), in its alphabetical order ("Österreich" among the
// Os in German). The pseudo-locale names them in English.
func (c *countryNames) in(tag string) []countryName {
	if list, ok := c.load(tag); ok {
		return list
	}
	t := language.Make(tag)
	if tag == "en-XA" {
		t = language.English
	}
	names := display.Regions(t)
	var out []countryName
	for _, code := range country.Codes() {
		name := code
		if reg, err := language.ParseRegion(code); err == nil && names != nil {
			if n := names.Name(reg); n != "" {
				name = n
			}
		}
		out = append(out, countryName{code: code, name: name})
	}
	col := collate.New(t)
	slices.SortFunc(out, func(x, y countryName) int { return col.CompareString(x.name, y.name) })
	return c.store(tag, out)
}

// The names are made on first use and only read afterwards; the lock
// guards the map, which pages of several locales fill at once.
func (c *countryNames) load(tag string) ([]countryName, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, ok := c.by[tag]
	return list, ok
}

func (c *countryNames) store(tag string, list []countryName) []countryName {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.by[tag]; ok {
		return old
	}
	c.by[tag] = list
	return list
}
