// Package suggest finds, for a name nobody declared, the declared name
// the writer most likely meant: the "did you mean" of every error about an
// unknown state, action, key or flow. It knows nothing of what the names
// name.
package suggest

import "fmt"

// Hint returns " (did you mean X?)" for the name in names closest to name,
// when one is close enough to be a likely typo, and "" otherwise.
func Hint(name string, names []string) string {
	best, ok := Closest(name, names)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// Closest returns the name in names closest to name, and whether it is
// close enough to be a likely typo of it: at most two edits away, and not
// name itself.
func Closest(name string, names []string) (string, bool) {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(name, n); d < bestD || (d == bestD && best == "" && d < 3) {
			best, bestD = n, d
		}
	}
	if best == "" || best == name {
		return "", false
	}
	return best, true
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
