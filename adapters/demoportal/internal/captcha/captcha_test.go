package captcha

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/engine/prompt"
	"github.com/tetherflow/tether/ui"
)

var (
	sumRe  = regexp.MustCompile(`^What is (\d+) (plus|minus|times) (\d+)\?$`)
	wordRe = regexp.MustCompile(`^Type the word "([a-z]+)" backwards\.$`)
)

// solve answers a challenge the way a person would.
func solve(t *testing.T, text string) string {
	t.Helper()
	if m := sumRe.FindStringSubmatch(text); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		switch m[2] {
		case "plus":
			return fmt.Sprint(a + b)
		case "minus":
			return fmt.Sprint(a - b)
		}
		return fmt.Sprint(a * b)
	}
	if m := wordRe.FindStringSubmatch(text); m != nil {
		r := []rune(m[1])
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	}
	t.Fatalf("challenge %q has an unknown form", text)
	return ""
}

var key = []byte(DemoKey)

func TestDeterministic(t *testing.T) {
	a, b := New(rand.New(rand.NewPCG(1, 2)), key), New(rand.New(rand.NewPCG(1, 2)), key)
	other := New(rand.New(rand.NewPCG(3, 4)), key)
	differs := false
	for range 20 {
		ca, _ := a.Draw()
		cb, _ := b.Draw()
		co, _ := other.Draw()
		if !reflect.DeepEqual(ca, cb) {
			t.Fatalf("same seed gave %+v and %+v", ca, cb)
		}
		differs = differs || !reflect.DeepEqual(ca, co)
	}
	if !differs {
		t.Errorf("different seeds gave the same 20 challenges")
	}
}

// TestAnswers solves challenges as a person would: the answer Draw gives
// is the one a person finds, and only it verifies.
func TestAnswers(t *testing.T) {
	c := New(rand.New(rand.NewPCG(7, 7)), key)
	kinds := map[bool]int{}
	for range 200 {
		ch, answer := c.Draw()
		right := solve(t, ch.Text)
		kinds[wordRe.MatchString(ch.Text)]++
		if answer != right {
			t.Fatalf("Draw() answer for %q = %q, want %q", ch.Text, answer, right)
		}
		if Verify(key, ch.ID, right+"x") {
			t.Fatalf("Verify(%q, wrong answer) = true", ch.Text)
		}
		if !Verify(key, ch.ID, "  "+right+" ") {
			t.Fatalf("Verify(%q, %q) = false, want true", ch.Text, right)
		}
	}
	if kinds[true] == 0 || kinds[false] == 0 {
		t.Errorf("challenge kinds = %v, want both words and sums", kinds)
	}
}

func TestCaseInsensitive(t *testing.T) {
	c := New(rand.New(rand.NewPCG(1, 1)), key)
	for range 50 {
		ch, _ := c.Draw()
		if !wordRe.MatchString(ch.Text) {
			continue
		}
		upper := []rune(solve(t, ch.Text))
		upper[0] -= 'a' - 'A'
		if !Verify(key, ch.ID, string(upper)) {
			t.Errorf("Verify(%q, %q) = false, want true", ch.Text, string(upper))
		}
		return
	}
	t.Fatal("no word challenge in 50 draws")
}

func TestVerifySignedChallenges(t *testing.T) {
	c := New(rand.New(rand.NewPCG(1, 2)), key)
	ch, answer := c.Draw()
	if !Verify(key, ch.ID, answer) {
		t.Errorf("Verify(%s, the right answer) = false", ch.ID)
	}
	if !Verify(key, ch.ID, "  "+strings.ToUpper(answer)+" ") {
		t.Errorf("Verify with case and space changed = false")
	}
	for _, bad := range []struct{ id, answer string }{
		{ch.ID, answer + "1"},
		{ch.ID, ""},
		{strings.Split(ch.ID, ".")[0], answer}, // unsigned
		{"cap-00000000." + strings.Split(ch.ID, ".")[1], answer}, // another nonce
	} {
		if Verify(key, bad.id, bad.answer) {
			t.Errorf("Verify(%q, %q) = true, want false", bad.id, bad.answer)
		}
	}
	if Verify([]byte("another key"), ch.ID, answer) {
		t.Error("Verify under another key = true")
	}
	other := New(rand.New(rand.NewPCG(1, 2)), []byte("site key"))
	ch2, answer2 := other.Draw()
	if Verify(key, ch2.ID, answer2) || !Verify([]byte("site key"), ch2.ID, answer2) {
		t.Error("the challenge is not signed with the issuer's key")
	}
}

// TestMessages holds each challenge's message to its text: tether's
// source catalog says the message as the portal's words, and every
// shipped locale has it, the numbers or the word in it. A kind of
// challenge the catalogs lack would reach a German reader in English.
func TestMessages(t *testing.T) {
	cat := ui.Builtin()
	en := cat.Localizer(ui.Source)
	c := New(rand.New(rand.NewPCG(5, 9)), key)
	seen := map[string]bool{}
	for range 200 {
		ch, _ := c.Draw()
		id := actions.PortalMessagePrefix + ch.Message.ID
		seen[ch.Message.ID] = true
		if !en.Has(id) {
			t.Fatalf("challenge %q: message %s is not in the source catalog", ch.Text, id)
		}
		// Said from the catalog alone (no words of the portal's beside).
		if got := en.Text(prompt.Message{ID: id, Params: ch.Message.Params}).Text; got != ch.Text {
			t.Errorf("message %s %v says %q, the portal %q", id, ch.Message.Params, got, ch.Text)
		}
		for _, loc := range cat.Locales() {
			l := cat.Localizer(loc)
			got := l.Text(prompt.Message{ID: id, Params: ch.Message.Params, Text: ch.Text}).Text
			if loc != ui.Source && got == ch.Text {
				t.Errorf("%s: challenge %q is not translated", loc, ch.Text)
			}
			for _, v := range ch.Message.Params {
				if !strings.Contains(got, fmt.Sprint(v)) {
					t.Errorf("%s: challenge %q says %q, without %v", loc, ch.Text, got, v)
				}
			}
		}
	}
	if len(seen) != 4 {
		t.Errorf("200 challenges were of %d kinds (%v), want 4", len(seen), seen)
	}
}
