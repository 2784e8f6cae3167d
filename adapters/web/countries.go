package web

import (
	"cmp"
	"slices"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/tetherflow/tether/internal/country"
)

// countryName is an option of the country select: an assigned ISO
// 3166-1 alpha-2 code and its English name.
type countryName struct {
	code, name string
}

// countries returns every assigned ISO 3166-1 alpha-2 country, by name.
func countries() []countryName {
	names := display.English.Regions()
	var out []countryName
	for _, code := range country.Codes() {
		name := code
		if reg, err := language.ParseRegion(code); err == nil {
			if n := names.Name(reg); n != "" {
				name = n
			}
		}
		out = append(out, countryName{code: code, name: name})
	}
	slices.SortFunc(out, func(x, y countryName) int { return cmp.Compare(x.name, y.name) })
	return out
}
