package compat_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tetherflow/tether/compat"
	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/syntax"
)

// signV1 is the old version the cases change: an email prompt, a code
// prompt with a timer and a resend counter, and a subflow.
const signV1 = `flow: sign
version: "1"
start: email
vars: {tries: 0, note: ""}
policy: {life: 5m}
states:
  email:
    ask:
      fields: {email: {type: email}}
      choices: [continue, {help: {fields: []}}]
    on:
      continue: code
      help: helping
  helping:
    run: flow:help
    on:
      back: email
  code:
    ask:
      fields: {code: {type: code, length: 6}}
      choices: [continue, {resend: {fields: []}}]
    after:
      policy.life: expired
    on:
      continue: done
      resend: {set: {tries: tries + 1}}
  expired: {final: expired}
  done: {final: signed_in, success: true}
`

const helpV1 = `flow: help
start: show
states:
  show:
    ask: {choices: [back]}
    on: {back: back}
  back: {final: back}
`

func compile(t *testing.T, name, src string, subs map[string]string) *engine.Flow {
	t.Helper()
	f, err := syntax.Load(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	fl, err := engine.Compile(f, &engine.Registry{}, engine.WithSubflows(func(n string) (*syntax.File, error) {
		src, ok := subs[n]
		if !ok {
			return nil, errors.New("no flow " + n)
		}
		return syntax.Load(n+".yaml", []byte(src))
	}))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fl
}

// finding is what a test expects of a finding: its severity, what, a part
// of its message and its two positions.
type finding struct {
	sev      compat.Severity
	what     string
	msg      string
	old, new string
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name     string
		new      string // signV1 with these replacements
		help     string // the new help subflow; "" for helpV1
		strands  bool
		findings []finding
	}{
		{
			name: "the same version",
			new:  "",
		},
		{
			name:    "an ask state renamed without a migration",
			new:     "continue: code\n|continue: enter_code\n|  code:\n|  enter_code:\n",
			strands: true,
			findings: []finding{{compat.Strands, "state", "ask state code is gone: sessions waiting there are stranded", "old.yaml:18:3", "new.yaml:18:3"},
				{compat.Changes, "choice", "continue at email goes to enter_code, not code", "old.yaml:12:7", "new.yaml:12:7"},
			},
		},
		{
			name: "an ask state renamed with a migration",
			new: "version: \"1\"\n|version: \"2\"\nmigrate: [{from: \"1\", states: {code: enter_code}}]\n" +
				"|continue: code\n|continue: enter_code\n|  code:\n|  enter_code:\n",
			findings: []finding{{compat.Migrated, "state", "sessions waiting at code move to enter_code", "old.yaml:18:3", "new.yaml:3:38"}},
		},
		{
			name:     "an ask state that runs a subflow now",
			new:      "  code:\n    ask:\n      fields: {code: {type: code, length: 6}}\n      choices: [continue, {resend: {fields: []}}]\n    after:\n      policy.life: expired\n    on:\n      continue: done\n      resend: {set: {tries: tries + 1}}\n|  code:\n    run: flow:help\n    on: {back: done}\n    after: {policy.life: expired}\n",
			strands:  true,
			findings: []finding{{compat.Strands, "state", "state code was an ask state and code is a subflow state: sessions waiting there are stranded", "old.yaml:18:3", "new.yaml:18:3"}},
		},
		{
			name:     "a variable's kind changed",
			new:      "tries: 0|tries: \"\"\n|tries + 1|tries + 'x'",
			strands:  true,
			findings: []finding{{compat.Strands, "variable", "variable tries was an int and is a string", "old.yaml:4:15", "new.yaml:4:15"}},
		},
		{
			name: "a variable's kind changed, dropped by the migration",
			new: "version: \"1\"\n|version: \"2\"\nmigrate: [{from: \"1\", vars: {tries: ~}}]\n" +
				"|tries: 0|tries: \"\"\n|tries + 1|tries + 'x'",
			findings: []finding{{compat.Migrated, "variable", `variable tries is dropped by the migration; the new tries starts at its initial value ""`, "old.yaml:4:8", "new.yaml:3:37"}},
		},
		{
			name:    "a migration that does not fit the old version",
			new:     "version: \"1\"\n|version: \"2\"\nmigrate: [{from: \"1\", states: {cod: code}, vars: {tries: note}}]\n",
			strands: true,
			findings: []finding{
				{compat.Strands, "migration", "migrate from 1: flow sign had no state cod (did you mean code?)", "old.yaml:1:7", "new.yaml:3:32"},
				{compat.Strands, "migration", "migrate from 1: variable tries was an int, and note is a string", "old.yaml:1:7", "new.yaml:3:58"},
				{compat.Migrated, "variable", "variable tries becomes note", "old.yaml:4:8", "new.yaml:3:58"},
				{compat.Migrated, "variable", "variable note is dropped: the migration renames another variable into it", "old.yaml:4:18", "new.yaml:5:18"},
			},
		},
		{
			name: "variables gone and new",
			new:  "vars: {tries: 0, note: \"\"}|vars: {tries: 0, count: 2}",
			findings: []finding{
				{compat.Changes, "variable", "variable note is gone: sessions in flight drop its value", "old.yaml:4:18", "new.yaml:1:7"},
				{compat.Changes, "variable", "variable count is new: sessions in flight start it at its initial value 2", "old.yaml:1:7", "new.yaml:4:18"},
			},
		},
		{
			name: "timers, choices, fields and policy",
			new: "policy.life: expired|policy.life: done\n      1m: expired|" +
				"{resend: {fields: []}}|{again: {fields: []}}|resend: {set|again: {set|" +
				"continue: code|continue: {set: {note: '\"\"'}, go: code}|" +
				"life: 5m|life: 10m|email: {type: email}|mail: {type: email}",
			findings: []finding{
				{compat.Changes, "field", "field email of email is gone: an answer that fills it in is refused", "old.yaml:9:16", "new.yaml:9:7"},
				{compat.Changes, "field", "field mail of email is new: an answer made for the old prompt lacks it", "old.yaml:9:7", "new.yaml:9:16"},
				{compat.Changes, "choice", "choice resend of code is gone: an answer with it, from a client showing the old prompt, is refused", "old.yaml:21:28", "new.yaml:20:7"},
				{compat.Changes, "choice", "choice again of code is new", "old.yaml:20:7", "new.yaml:21:28"},
				{compat.Changes, "timer", "timer after policy.life of code goes to done, not expired", "old.yaml:23:7", "new.yaml:23:7"},
				{compat.Changes, "timer", "timer after 1m of code is new: sessions waiting there get it armed when they move, due its delay later", "old.yaml:18:3", "new.yaml:24:7"},
				{compat.Changes, "policy", "policy life is 10m0s, not 5m0s: sessions in flight use the new value", "old.yaml:5:16", "new.yaml:5:16"},
			},
		},
		{
			name:     "a subflow's prompt gone",
			help:     strings.NewReplacer("start: show", "start: shown", "  show:", "  shown:").Replace(helpV1),
			strands:  true,
			findings: []finding{{compat.Strands, "state", "ask state show is gone: sessions waiting there are stranded", "help.yaml:4:3", "help.yaml:4:3"}},
		},
		{
			name: "outcomes gone and new",
			new:  "expired: {final: expired}|expired: {final: timed_out}",
			findings: []finding{
				{compat.Changes, "outcome", "outcome expired is no longer an outcome of sign", "old.yaml:27:3", "new.yaml:1:7"},
				{compat.Changes, "outcome", "outcome timed_out of sign is new", "old.yaml:1:7", "new.yaml:27:3"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newSrc := signV1
			if tc.new != "" {
				parts := strings.Split(tc.new, "|")
				newSrc = strings.NewReplacer(parts...).Replace(signV1)
				if newSrc == signV1 {
					t.Fatal("the replacements changed nothing")
				}
			}
			help := helpV1
			if tc.help != "" {
				help = tc.help
			}
			old := compile(t, "old.yaml", signV1, map[string]string{"help": helpV1})
			cur := compile(t, "new.yaml", newSrc, map[string]string{"help": help})
			r := compat.Compare(old, cur, compat.Options{})
			var got []finding
			for _, f := range r.Findings {
				if f.What == "outcome" && tc.name != "outcomes gone and new" {
					continue
				}
				got = append(got, finding{f.Severity, f.What, f.Msg, f.Old.String(), f.New.String()})
			}
			if len(got) != len(tc.findings) {
				t.Errorf("got %d findings, want %d:\n%s", len(got), len(tc.findings), dump(r))
			}
			for i := range min(len(got), len(tc.findings)) {
				g, w := got[i], tc.findings[i]
				if g.sev != w.sev || g.what != w.what || !strings.Contains(g.msg, w.msg) || g.old != w.old || g.new != w.new {
					t.Errorf("finding %d:\n got %v %s %q at %s, %s\nwant %v %s %q at %s, %s", i, g.sev, g.what, g.msg, g.old, g.new, w.sev, w.what, w.msg, w.old, w.new)
				}
			}
			if r.Strands() != tc.strands {
				t.Errorf("Strands() = %v, want %v", r.Strands(), tc.strands)
			}
		})
	}
}

func TestCompareCallers(t *testing.T) {
	// help gains an outcome; sign, which runs it, does not handle it.
	old := compile(t, "help.yaml", helpV1, nil)
	cur := compile(t, "help.yaml", strings.NewReplacer("choices: [back]", "choices: [back, more]", "on: {back: back}", "on: {back: back, more: more}\n  more: {final: more}").Replace(helpV1), nil)
	caller, err := syntax.Load("sign.yaml", []byte(signV1))
	if err != nil {
		t.Fatal(err)
	}
	r := compat.Compare(old, cur, compat.Options{Callers: []*syntax.File{caller}})
	if !r.Strands() {
		t.Fatalf("a new outcome the caller does not handle does not strand:\n%s", dump(r))
	}
	var found bool
	for _, f := range r.Findings {
		if f.Severity == compat.Strands && f.What == "outcome" {
			found = true
			want := "outcome more of help is new, and flow sign, which runs help in state helping, does not handle it"
			if !strings.Contains(f.Msg, want) || !strings.Contains(f.NewNote, "sign.yaml:15:10") {
				t.Errorf("finding %q (%s), want %q and sign.yaml:15:10", f.Msg, f.NewNote, want)
			}
		}
	}
	if !found {
		t.Errorf("no stranding outcome finding:\n%s", dump(r))
	}
	// Without callers, the new outcome only changes things.
	if r := compat.Compare(old, cur, compat.Options{}); r.Strands() {
		t.Errorf("without callers, Strands() = true:\n%s", dump(r))
	}
}

func dump(r *compat.Report) string {
	var b bytes.Buffer
	r.Write(&b)
	return b.String()
}
