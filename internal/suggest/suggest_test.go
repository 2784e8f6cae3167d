package suggest

import "testing"

func TestHint(t *testing.T) {
	names := []string{"start", "states", "success", "sign_in"}
	for _, tt := range []struct{ name, want string }{
		{"strat", " (did you mean start?)"},     // a transposition: two edits
		{"sucess", " (did you mean success?)"},  // a letter left out
		{"statez", " (did you mean states?)"},   // one edit, closer than start
		{"sign-in", " (did you mean sign_in?)"}, // one edit
		{"start", ""},                           // a known name needs no hint
		{"finished", ""},                        // nothing within two edits
		{"", ""},
	} {
		if got := Hint(tt.name, names); got != tt.want {
			t.Errorf("Hint(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Hint("x", nil); got != "" {
		t.Errorf("Hint with no names = %q, want none", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
