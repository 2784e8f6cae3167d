package captcha

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tetherflow/tether/actions"
)

var _ actions.Captcha = (*Captcha)(nil)

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

func TestDeterministic(t *testing.T) {
	ctx := context.Background()
	a, b := New(rand.New(rand.NewPCG(1, 2))), New(rand.New(rand.NewPCG(1, 2)))
	other := New(rand.New(rand.NewPCG(3, 4)))
	differs := false
	for range 20 {
		ca, _ := a.NewChallenge(ctx)
		cb, _ := b.NewChallenge(ctx)
		co, _ := other.NewChallenge(ctx)
		if ca != cb {
			t.Fatalf("same seed gave %+v and %+v", ca, cb)
		}
		differs = differs || ca != co
	}
	if !differs {
		t.Errorf("different seeds gave the same 20 challenges")
	}
}

func TestAnswers(t *testing.T) {
	ctx := context.Background()
	c := New(rand.New(rand.NewPCG(7, 7)))
	kinds := map[bool]int{}
	for range 200 {
		ch, err := c.NewChallenge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		right := solve(t, ch.Text)
		kinds[wordRe.MatchString(ch.Text)]++
		if ok, _ := c.CheckAnswer(ctx, ch.ID, right+"x"); ok {
			t.Fatalf("CheckAnswer(%q, wrong answer) = true", ch.Text)
		}
		// Single use: even the right answer fails after a wrong one.
		if ok, _ := c.CheckAnswer(ctx, ch.ID, right); ok {
			t.Fatalf("CheckAnswer(%q) after a wrong answer = true, want false", ch.Text)
		}
		ch, _ = c.NewChallenge(ctx)
		right = solve(t, ch.Text)
		if ok, _ := c.CheckAnswer(ctx, ch.ID, "  "+right+" "); !ok {
			t.Fatalf("CheckAnswer(%q, %q) = false, want true", ch.Text, right)
		}
		if ok, _ := c.CheckAnswer(ctx, ch.ID, right); ok {
			t.Fatalf("CheckAnswer(%q) twice = true, want false the second time", ch.Text)
		}
	}
	if kinds[true] == 0 || kinds[false] == 0 {
		t.Errorf("challenge kinds = %v, want both words and sums", kinds)
	}
	if ok, _ := c.CheckAnswer(ctx, "cap-unknown", "12"); ok {
		t.Errorf("CheckAnswer(unknown id) = true, want false")
	}
}

func TestCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	c := New(rand.New(rand.NewPCG(1, 1)))
	for range 50 {
		ch, _ := c.NewChallenge(ctx)
		m := wordRe.FindStringSubmatch(ch.Text)
		if m == nil {
			c.CheckAnswer(ctx, ch.ID, "")
			continue
		}
		upper := []rune(solve(t, ch.Text))
		upper[0] -= 'a' - 'A'
		if ok, _ := c.CheckAnswer(ctx, ch.ID, string(upper)); !ok {
			t.Errorf("CheckAnswer(%q, %q) = false, want true", ch.Text, string(upper))
		}
		return
	}
	t.Fatal("no word challenge in 50 draws")
}

func TestPendingBounded(t *testing.T) {
	ctx := context.Background()
	c := New(rand.New(rand.NewPCG(5, 5)))
	first, _ := c.NewChallenge(ctx)
	for range MaxPending {
		c.NewChallenge(ctx)
	}
	if got := len(c.pending); got != MaxPending {
		t.Errorf("pending = %d, want %d", got, MaxPending)
	}
	if ok, _ := c.CheckAnswer(ctx, first.ID, solve(t, first.Text)); ok {
		t.Errorf("CheckAnswer(evicted challenge) = true, want false")
	}
}

func TestLastAnswerSolvesNewestChallenge(t *testing.T) {
	c := New(rand.New(rand.NewPCG(7, 7)))
	ctx := context.Background()
	first, _ := c.NewChallenge(ctx)
	firstAnswer := c.LastAnswer()
	second, _ := c.NewChallenge(ctx)
	if ok, _ := c.CheckAnswer(ctx, second.ID, c.LastAnswer()); !ok {
		t.Errorf("LastAnswer() does not solve the newest challenge %q", second.Text)
	}
	if ok, _ := c.CheckAnswer(ctx, first.ID, firstAnswer); !ok {
		t.Errorf("the answer LastAnswer() gave for %q does not solve it", first.Text)
	}
}

func TestVerifySignedChallenges(t *testing.T) {
	ctx := context.Background()
	c := New(rand.New(rand.NewPCG(1, 2)))
	ch, err := c.NewChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(DemoKey)
	answer := c.LastAnswer()
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
	other := New(rand.New(rand.NewPCG(1, 2)), WithKey([]byte("site key")))
	ch2, _ := other.NewChallenge(ctx)
	if Verify(key, ch2.ID, other.LastAnswer()) || !Verify([]byte("site key"), ch2.ID, other.LastAnswer()) {
		t.Error("WithKey: the challenge is not signed with the given key")
	}
}
