package country

import (
	"errors"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"DE", true}, {"BR", true}, {"US", true}, {"ZW", true}, {"AD", true},
		{"GB", true}, {"SS", true}, {"BQ", true}, {"CW", true}, {"SX", true}, {"AX", true},
		// Reserved, user-assigned, withdrawn, groups, unknown.
		{"UK", false}, {"EU", false}, {"UN", false}, {"AC", false}, {"EA", false}, {"XK", false},
		{"QO", false}, {"XA", false}, {"ZZ", false}, {"AA", false}, {"DD", false}, {"SU", false},
		{"YU", false}, {"AN", false}, {"CS", false}, {"BU", false}, {"FX", false},
		// Not two upper-case letters.
		{"de", false}, {"De", false}, {"D", false}, {"DEU", false}, {"276", false}, {"E ", false},
		{"", false}, {"eu-de", false}, {"\u00c4\u00c4", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.code); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

// ISO 3166-1 assigns 249 alpha-2 codes (the ISO 3166 Maintenance Agency's
// list since South Sudan, SS, in 2011).
func TestCodes(t *testing.T) {
	codes := Codes()
	if len(codes) != 249 {
		t.Errorf("len(Codes()) = %d, want 249", len(codes))
	}
	for i, c := range codes {
		if !Valid(c) {
			t.Errorf("Codes() holds %s, which Valid refuses", c)
		}
		if i > 0 && codes[i-1] >= c {
			t.Errorf("Codes() is not sorted at %s", c)
		}
	}
	codes[0] = "XX"
	if Codes()[0] == "XX" {
		t.Error("Codes() returns the package's own slice")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct{ code, want string }{
		{"DE", ""},
		{"de", `"de" is not upper case; did you mean DE?`},
		{" DE\n", `" DE\n" has spaces around it; did you mean DE?`},
		{"UK", "UK is not an assigned ISO 3166-1 alpha-2 code; the United Kingdom is GB"},
		{"uk", "uk is not an assigned ISO 3166-1 alpha-2 code; the United Kingdom is GB"},
		{"XX", "XX is not an assigned ISO 3166-1 alpha-2 code"},
		{"ZZ", "ZZ is not an assigned ISO 3166-1 alpha-2 code"},
		{"EU", "EU is not an assigned ISO 3166-1 alpha-2 code"},
		{"DEU", `"DEU" is not a country code; want two letters`},
		{"eu-de", `"eu-de" is not a country code`},
		{strings.Repeat("D", 10<<10), `"DDDDDDDDDDDDDDDD"... (10240 bytes) is not a country code`},
	}
	for _, tt := range tests {
		err := Check(tt.code)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%.20s) = %v, want nil", tt.code, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrCountry)):
			t.Errorf("Check(%.20s) = %v, want ErrCountry with %q", tt.code, err, tt.want)
		case err != nil && len(err.Error()) > 200:
			t.Errorf("Check(%.20s) is %d bytes long: it echoes the code", tt.code, len(err.Error()))
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"DE", `"DE"`},
		{strings.Repeat("a", 16), `"aaaaaaaaaaaaaaaa"`},
		{strings.Repeat("a", 17), `"aaaaaaaaaaaaaaaa"... (17 bytes)`},
		// A cut inside a rune backs off to the rune's start.
		{strings.Repeat("a", 15) + "\u00e9x", `"aaaaaaaaaaaaaaa"... (18 bytes)`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
