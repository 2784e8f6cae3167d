package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/engine/value"
)

// Source is the locale the flows and this package's words are written
// in; Pseudo the pseudo-locale made from it (accented, a third longer),
// which shows untranslated and clipped text at a glance.
const (
	Source = "en"
	Pseudo = "en-XA"
)

// Catalogs are the messages of every locale shipped: the flows' own
// words (the source), their translations, and the front ends' words.
type Catalogs struct {
	locales []string // the tags shipped, Source first, Pseudo last
	tags    []language.Tag
	matcher language.Matcher
	// msgs holds each locale's entries by message id; the source's come
	// from the flows and this package's en catalog.
	msgs map[string]map[string]*entry
	// files are the catalog files read, for Check.
	files []*file
	// localizers are the locales' localizers, made once: a server asks
	// for one on every request.
	localizers map[string]*Localizer
}

// entry is one message of a catalog, and where it was written.
type entry struct {
	src *prompt.Source
	pos string // file:line:col, or "" for one made (the pseudo-locale)
}

// Locales returns the locales shipped, as BCP 47 tags: the source first.
func (c *Catalogs) Locales() []string { return slices.Clone(c.locales) }

// Match is the locale chosen for what a person asked for.
type Match struct {
	// Tag is the locale shipped that fits best.
	Tag string
	// Asked is what was asked for, as parsed; Fallback is set when none of
	// it is shipped (nor a near language) and Tag is the source's.
	Asked    string
	Fallback bool
}

// maxAccept bounds the Accept-Language header and the tags a Match reads:
// a malformed or huge header is ignored, never parsed at length.
const maxAccept = 512

// Match chooses the locale for the languages a person prefers, best
// first: BCP 47 tags, or Accept-Language headers (with q-values), or
// POSIX locale names (de_DE.UTF-8). de-AT gets de, pt gets pt-BR, an
// unknown language the source. The pseudo-locale is chosen only when
// asked for by name. Malformed input is ignored.
func (c *Catalogs) Match(prefs ...string) Match {
	var tags []language.Tag
	var asked []string
	for _, p := range prefs {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > maxAccept {
			continue
		}
		p = posix(p)
		ts, _, err := language.ParseAcceptLanguage(p)
		if err != nil {
			continue
		}
		for _, t := range ts {
			if len(tags) >= 16 {
				break
			}
			tags = append(tags, t)
			asked = append(asked, t.String())
		}
	}
	m := Match{Tag: Source, Asked: strings.Join(asked, ", ")}
	for _, t := range tags {
		if strings.EqualFold(t.String(), Pseudo) {
			m.Tag = Pseudo
			return m
		}
		if t == language.Und {
			continue
		}
		if _, idx, conf := c.matcher.Match(t); conf >= language.High {
			m.Tag = c.locales[idx]
			return m
		}
	}
	m.Fallback = len(tags) > 0 && !anyIsSource(tags)
	return m
}

func anyIsSource(tags []language.Tag) bool {
	for _, t := range tags {
		if b, _ := t.Base(); b.String() == Source {
			return true
		}
	}
	return false
}

// POSIX turns a POSIX locale name (de_DE.UTF-8, pt_BR@euro, C) into a
// BCP 47 tag; other input is returned as it is.
func POSIX(s string) string { return posix(s) }

func posix(s string) string {
	if s == "C" || s == "POSIX" {
		return Source
	}
	if strings.ContainsAny(s, ",;=") {
		return s // an Accept-Language header
	}
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i]
	}
	return strings.ReplaceAll(s, "_", "-")
}

// Localizer says messages in one locale.
type Localizer struct {
	c      *Catalogs
	locale string
	tag    language.Tag
	chain  []string // the locales looked in, in order
	num    *message.Printer
}

// Localizer returns the localizer of locale tag, one of Locales; any
// other tag gets the source's. Localizers are safe for concurrent use.
func (c *Catalogs) Localizer(tag string) *Localizer {
	if l, ok := c.localizers[tag]; ok {
		return l
	}
	return c.localizers[Source]
}

// newLocalizer returns the localizer of locale tag, one of c's.
func newLocalizer(c *Catalogs, tag string) *Localizer {
	l := &Localizer{c: c, locale: tag, tag: language.Make(tag)}
	l.chain = []string{tag}
	if tag != Source {
		l.chain = append(l.chain, Source)
	}
	numTag := l.tag
	if tag == Pseudo {
		numTag = language.English
	}
	l.num = message.NewPrinter(numTag)
	return l
}

// Locale returns the localizer's locale, a BCP 47 tag.
func (l *Localizer) Locale() string { return l.locale }

// lookup finds message id's source in the localizer's locale, or in the
// source locale.
func (l *Localizer) lookup(id string) (*prompt.Source, string) {
	for _, loc := range l.chain {
		if e, ok := l.c.msgs[loc][id]; ok {
			return e.src, loc
		}
	}
	return nil, ""
}

// Known reports whether id has a message in the localizer's locale or
// the source's: whether Say says it in words rather than as its id.
func (l *Localizer) Known(id string) bool {
	src, _ := l.lookup(id)
	return src != nil
}

// Has reports whether id has a message in the localizer's own locale.
func (l *Localizer) Has(id string) bool {
	_, ok := l.c.msgs[l.locale][id]
	return ok
}

// Text says message m: its id's message in the locale, its parameters
// filled in; the text the flow gave when no catalog has the id. It is
// never a bare id or blank when m has text.
func (l *Localizer) Text(m prompt.Message) Text {
	t := Text{ID: m.ID, Params: l.params(m.Params)}
	if l.locale == Source && m.Text != "" {
		// The flow's own words, as the version of the flow the session
		// runs on says them: a reload may have changed the catalog's.
		t.Text = m.Text
		return t
	}
	src, _ := l.lookup(m.ID)
	if m.ID == "" || src == nil {
		t.Text = m.Text
		if t.Text == "" {
			t.Text = m.ID
		}
		return t
	}
	t.Text = l.render(src, m.Params)
	return t
}

// Word says one of the front ends' own messages (ui.*, input.*), with
// params as alternating names and values.
func (l *Localizer) Word(id string, params ...any) Text {
	var p map[string]any
	for i := 0; i+1 < len(params); i += 2 {
		if p == nil {
			p = map[string]any{}
		}
		p[fmt.Sprint(params[i])] = params[i+1]
	}
	return l.Text(prompt.Message{ID: id, Params: p})
}

// Say is Word's text.
func (l *Localizer) Say(id string, params ...any) string { return l.Word(id, params...).Text }

func (l *Localizer) render(src *prompt.Source, params map[string]any) string {
	tpl := src.Choose(params, l.plural)
	return tpl.Render(func(p string) string { return l.Format(params[p]) })
}

// plural returns the CLDR plural category of count n in the locale.
func (l *Localizer) plural(n int) string {
	return category(l.tag, n)
}

func category(tag language.Tag, n int) string {
	if tag.String() == Pseudo {
		tag = language.English
	}
	if n < 0 {
		n = -n
	}
	switch plural.Cardinal.MatchPlural(tag, n%10000000, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// Categories returns the CLDR plural categories a count (a whole number)
// falls in in locale tag, in CLDR's order: what a plural message of the
// locale must have a form for.
func Categories(tag string) []string {
	t := language.Make(tag)
	seen := map[string]bool{}
	for n := 0; n <= 1000; n++ {
		seen[category(t, n)] = true
	}
	for _, n := range []int{10000, 100000, 1000000, 2000000} {
		seen[category(t, n)] = true
	}
	var out []string
	for _, c := range prompt.PluralCategories() {
		if seen[c] {
			out = append(out, c)
		}
	}
	return out
}

// params returns the parameters of a text as the model shows them:
// durations in whole seconds, times in RFC 3339, messages as texts.
func (l *Localizer) params(p map[string]any) map[string]any {
	if len(p) == 0 {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = l.param(v)
	}
	return out
}

func (l *Localizer) param(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return seconds(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = l.param(x[i])
		}
		return out
	}
	if m, ok := prompt.ValueMessage(v); ok {
		return l.Text(m)
	}
	return v
}

// seconds rounds d up to whole seconds: a wait of 24.8 s is 25 s.
func seconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

// Format says a parameter's value in the locale: counts with the locale's
// digit grouping, durations and dates in its words, messages in its
// language.
func (l *Localizer) Format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return l.num.Sprintf("%d", x)
	case float64:
		return l.num.Sprintf("%v", x)
	case bool:
		if x {
			return l.Say("ui.yes")
		}
		return l.Say("ui.no")
	case time.Duration:
		return l.Duration(x)
	case time.Time:
		return l.Date(x)
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = l.Format(x[i])
		}
		return strings.Join(parts, ", ")
	}
	if m, ok := prompt.ValueMessage(v); ok {
		return l.Text(m).Text
	}
	return value.Format(v)
}

// Duration says d in the locale's words, to the second (rounded up): "25
// seconds", "1 Minute 30 Sekunden", "2 heures".
func (l *Localizer) Duration(d time.Duration) string {
	s := seconds(d)
	if s < 0 {
		s = 0
	}
	h, m, sec := s/3600, s/60%60, s%60
	var parts []string
	switch {
	case h > 0:
		parts = append(parts, l.Say("ui.duration.hours", "n", h))
		if m > 0 {
			parts = append(parts, l.Say("ui.duration.minutes", "n", m))
		}
	case m > 0:
		parts = append(parts, l.Say("ui.duration.minutes", "n", m))
		if sec > 0 {
			parts = append(parts, l.Say("ui.duration.seconds", "n", sec))
		}
	default:
		parts = append(parts, l.Say("ui.duration.seconds", "n", sec))
	}
	return strings.Join(parts, " ")
}

// Date says the day of t (in UTC) in the locale's words: "31 December
// 2099", "31. Dezember 2099"; with the time of day when it is not
// midnight.
func (l *Localizer) Date(t time.Time) string {
	t = t.UTC()
	date := l.Say("ui.date", "day", t.Day(), "month", l.Say(fmt.Sprintf("ui.month.%d", t.Month())), "year", fmt.Sprint(t.Year()))
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return date
	}
	return l.Say("ui.date_time", "date", date, "time", t.Format("15:04"))
}
