package demoportal

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/yamlfile"
	"github.com/tetherflow/tether/internal/hostile"
)

// hostileFixtures are the generated cases of the fixtures' hostile
// corpus; the small ones are files in testdata/hostile.
func hostileFixtures() []hostile.Case {
	var account strings.Builder
	account.WriteString("accounts:\n  - &a\n    email: a@example.com\n    password: pw\n    country: DE\n    licences:\n")
	for i := range 50 {
		fmt.Fprintf(&account, "      - {id: L%d, plan: Personal, expires: 2030-01-01}\n", i)
	}
	return []hostile.Case{
		{
			Name: "one account reused 2000 times",
			Src:  account.String() + hostile.ListAliases("  ", "a", 2000),
			Want: []string{"f.yaml:195:5: alias *a takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "billion laughs in the licences",
			Src:  "x:\n" + hostile.Laughs("  ", "l", 9, 9) + "accounts: [{email: a@example.com, licences: *l8}]\n",
			Want: []string{"f.yaml:6:37: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"},
		},
		{
			Name: "licences nested 5000 deep",
			Src:  "accounts: [{licences: " + hostile.NestedLists(5000) + "}]\n",
			Want: []string{"f.yaml:1:84: mappings and lists nest deeper than 64 levels"},
		},
		{
			Name: "a file over the size budget",
			Src:  "portal: {}\n" + hostile.Comments(yamlfile.DefaultMaxBytes),
			Want: []string{"f.yaml:9199:49: the file is larger than 512 KiB, the budget for a YAML file"},
		},
		{
			Name: "a thousand documents",
			Src:  hostile.Documents("portal: {}\n", 1000),
			Want: []string{"f.yaml:3:1: a second YAML document starts here: the file must hold exactly one"},
		},
		{
			Name: "ten thousand bad times",
			Src:  "accounts:\n  - licences:\n" + strings.Repeat("      - {expires: soon}\n", 10000),
			Want: badTimes(3, 10000),
		},
	}
}

func badTimes(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`f.yaml:%d:19: expires: "soon" is not a time (want e.g. 2030-01-31 or 2030-01-31T12:00:00Z)`, first+i)
	}
	return out
}

func TestHostileFixtures(t *testing.T) {
	for _, c := range append(hostileFixtures(), hostile.Corpus(t, "testdata/hostile")...) {
		t.Run(c.Name, func(t *testing.T) {
			hostile.Check(t, c, func(name string, src []byte) error {
				_, err := ParseFixture(name, src)
				return err
			})
			if strings.Contains(c.Src, "Secret-pw") {
				if _, err := ParseFixture(c.File(), []byte(c.Src)); strings.Contains(fmt.Sprint(err), "Secret-pw") {
					t.Errorf("error quotes a password:\n%v", err)
				}
			}
		})
	}
}

// FuzzParseFixture: whatever the file, ParseFixture does not panic and
// every error is positioned in it; a fixture it accepts, New checks
// without panicking either.
func FuzzParseFixture(f *testing.F) {
	for _, c := range hostile.Corpus(f, "testdata/hostile") {
		f.Add([]byte(c.Src))
	}
	f.Add([]byte(testFixture))
	f.Add([]byte("portal: {code_ttl: 5m, lockout_after: -1}\naccounts: [{email: a@b.c, password: p, country: DE, phone: '+1', licences: [{id: L, plan: P, expires: 2030-01-01}]}]\ntokens: [{token: t, account: a@b.c, app: mail, expires: 2030-01-01, saved_at: 2020-01-01}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fx, err := ParseFixture("fx.yaml", src)
		if err != nil {
			hostile.Positioned(t, err, "fx.yaml")
			return
		}
		New(fx, newClock().Now, newRand(1), &fakeSMS{})
	})
}
