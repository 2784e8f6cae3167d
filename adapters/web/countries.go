package web

import (
	"cmp"
	"slices"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/tetherflow/tether/catalog"
)

// country is an option of the region select: an assigned ISO 3166-1
// alpha-2 code and its English name.
type country struct {
	code, name string
}

// countries returns every assigned ISO 3166-1 alpha-2 country, by name.
func countries() []country {
	names := display.English.Regions()
	var out []country
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if catalog.CheckCountry(code) != nil {
				continue
			}
			name := code
			if reg, err := language.ParseRegion(code); err == nil {
				if n := names.Name(reg); n != "" {
					name = n
				}
			}
			out = append(out, country{code: code, name: name})
		}
	}
	slices.SortFunc(out, func(x, y country) int { return cmp.Compare(x.name, y.name) })
	return out
}
