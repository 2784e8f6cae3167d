package yamlfile

import "github.com/tetherflow/tether/internal/suggest"

// KeyHint returns what follows "unknown key ..." in the message for a
// mapping key that is not one of known: " (did you mean success?)" when a
// key of known is close enough to key to be a likely typo of it, and
// otherwise " (want " + want + ")", want being the known keys as the
// reader lists them. Every YAML reader words its unknown keys with it.
func KeyHint(key string, known []string, want string) string {
	if hint := suggest.Hint(key, known); hint != "" {
		return hint
	}
	return " (want " + want + ")"
}
