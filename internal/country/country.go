// Package country knows which codes are countries: the assigned ISO
// 3166-1 alpha-2 codes, read from golang.org/x/text's CLDR tables. It is
// the repository's one country table. It knows no policy overlay, flow or
// front end.
package country

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// ErrCountry is wrapped by Check's errors.
var ErrCountry = errors.New("bad country code")

// withdrawn are the codes ISO 3166-3 withdrew when the country split in
// several: CLDR keeps them as countries of their own, since no one code
// replaces them (language.Region.Canonicalize leaves them as they are).
var withdrawn = []string{"AN", "CS", "NT", "SU", "YU"}

// Valid reports whether code is an assigned ISO 3166-1 alpha-2 code, in
// upper case: a country or territory of CLDR's with a UN M.49 number,
// neither user-assigned (XK), reserved (UK, EU, AC) nor withdrawn (DD,
// SU).
func Valid(code string) bool {
	if len(code) != 2 || !upper(code[0]) || !upper(code[1]) {
		return false
	}
	r, err := language.ParseRegion(code)
	return err == nil && r.IsCountry() && !r.IsPrivateUse() &&
		r.Canonicalize() == r && r.M49() != 0 && !slices.Contains(withdrawn, code)
}

func upper(b byte) bool { return 'A' <= b && b <= 'Z' }

// Codes returns every assigned code, sorted.
func Codes() []string { return slices.Clone(codes()) }

var codes = sync.OnceValue(func() []string {
	var out []string
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			if c := string([]byte{a, b}); Valid(c) {
				out = append(out, c)
			}
		}
	}
	return out
})

// Check returns nil for a code Valid accepts. Otherwise its error wraps
// ErrCountry, says what is wrong and suggests the code meant: DE for de,
// GB for UK. It quotes at most the first few characters of code.
func Check(code string) error {
	if Valid(code) {
		return nil
	}
	up := strings.ToUpper(strings.TrimSpace(code))
	switch {
	case up == "UK":
		return fmt.Errorf("%w: %s is not an assigned ISO 3166-1 alpha-2 code; the United Kingdom is GB", ErrCountry, code)
	case up != code && Valid(up) && strings.TrimSpace(code) != code:
		return fmt.Errorf("%w: %s has spaces around it; did you mean %s?", ErrCountry, Quote(code), up)
	case up != code && Valid(up):
		return fmt.Errorf("%w: %q is not upper case; did you mean %s?", ErrCountry, code, up)
	case len(up) != 2 || !upper(up[0]) || !upper(up[1]):
		return fmt.Errorf("%w: %s is not a country code; want two letters (ISO 3166-1 alpha-2), e.g. DE", ErrCountry, Quote(code))
	}
	return fmt.Errorf("%w: %s is not an assigned ISO 3166-1 alpha-2 code", ErrCountry, up)
}

// Quote quotes s for a message, cut to its first 16 bytes: a code comes
// from a command line or a client, and an error need not echo a
// megabyte of it.
func Quote(s string) string {
	const max = 16
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
}
