package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/tetherflow/tether/engine/prompt"
)

// The pseudo-locale en-XA is the source with every letter accented and
// each text padded to about 130% of its length, between brackets: text
// a translation would show is recognisably not English, a text that was
// never put through the catalogs shows plain, and a screen that clips
// longer languages clips it. Placeholders are left as they are.

var accents = map[rune]rune{
	'a': 'á', 'b': 'ƀ', 'c': 'ç', 'd': 'ď', 'e': 'é', 'f': 'ƒ', 'g': 'ĝ', 'h': 'ĥ', 'i': 'í', 'j': 'ĵ',
	'k': 'ķ', 'l': 'ļ', 'm': 'ɱ', 'n': 'ñ', 'o': 'ö', 'p': 'þ', 'q': 'ǫ', 'r': 'ŕ', 's': 'š', 't': 'ţ',
	'u': 'û', 'v': 'ṽ', 'w': 'ŵ', 'x': 'ẋ', 'y': 'ý', 'z': 'ž',
	'A': 'Å', 'B': 'Ɓ', 'C': 'Ç', 'D': 'Ď', 'E': 'É', 'F': 'Ƒ', 'G': 'Ĝ', 'H': 'Ĥ', 'I': 'Î', 'J': 'Ĵ',
	'K': 'Ķ', 'L': 'Ļ', 'M': 'Ṁ', 'N': 'Ñ', 'O': 'Ö', 'P': 'Þ', 'Q': 'Ǫ', 'R': 'Ŕ', 'S': 'Š', 'T': 'Ţ',
	'U': 'Û', 'V': 'Ṽ', 'W': 'Ŵ', 'X': 'Ẋ', 'Y': 'Ý', 'Z': 'Ž',
}

// pseudo returns the pseudo-locale's source for a message.
func pseudo(src *prompt.Source) *prompt.Source {
	out := &prompt.Source{Arg: src.Arg, Select: src.Select}
	for _, f := range src.Forms {
		out.Forms = append(out.Forms, prompt.Form{Key: f.Key, Template: pseudoTemplate(f.Template)})
	}
	return out
}

func pseudoTemplate(t prompt.Template) prompt.Template {
	if len(t) == 0 {
		return t
	}
	letters := 0
	out := prompt.Template{{Lit: "["}}
	for _, p := range t {
		if p.Param != "" {
			out = append(out, p)
			continue
		}
		var b strings.Builder
		for _, r := range p.Lit {
			if a, ok := accents[r]; ok {
				r = a
				letters++
			}
			b.WriteRune(r)
		}
		out = append(out, prompt.Part{Lit: b.String()})
	}
	// A third more, at least one: words a longer language would add.
	pad := max(1, (letters*3+9)/10)
	out = append(out, prompt.Part{Lit: " " + strings.Repeat("·", pad) + "]"})
	return out
}

// PseudoLength is how much longer than its source a pseudo-localised text
// is, as a ratio of their lengths in characters; tests use it.
func PseudoLength(source, pseudo string) float64 {
	return float64(utf8.RuneCountInString(pseudo)) / float64(max(1, utf8.RuneCountInString(source)))
}
