package syntax

import (
	"testing"

	"github.com/tetherflow/tether/engine/prompt"
)

// prompt.IsName is nameRE, a flow key's pattern, without the regexp: the two agree on every string.
func TestIsNameMatchesNameRE(t *testing.T) {
	for _, s := range []string{
		"", "a", "_", "A9", "a_b_c", "snake_case_1", "9a", "a-b", "a b", "a.b",
		"a\n", "\na", "é", "aé", "a$", "$a", "_0", "0", "Z", "a\x00", "ab\u00a0",
	} {
		if got, want := prompt.IsName(s), nameRE.MatchString(s); got != want {
			t.Errorf("prompt.IsName(%q) = %v, want %v (nameRE)", s, got, want)
		}
	}
}
