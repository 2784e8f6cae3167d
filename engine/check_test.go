package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine/syntax"
	"github.com/tetherflow/tether/engine/yamlfile"
)

// ok is a minimal valid flow; cases below are variations of it.
const okFlow = `flow: t
start: a
states:
  a:
    ask:
      choices: [next]
    on:
      next: done
  done:
    final: ok
`

func TestLoadAndCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		subs flows
		want []string
	}{
		{
			name: "yaml syntax error",
			want: []string{
				"t.yaml:3:8: a \":\" where no key can start: quote a value that holds \": \", or indent the line as the keys around it are",
			},
			src: "flow: t\nstart: a\n states: {}\n",
		},
		{
			name: "empty file",
			want: []string{
				"t.yaml:1:1: empty flow file",
			},
			src: "",
		},
		{
			name: "not a mapping",
			want: []string{
				"t.yaml:1:1: flow file must be a mapping, not a list",
			},
			src: "- a\n- b\n",
		},
		{
			name: "unknown top-level key",
			want: []string{
				"t.yaml:2:1: unknown key \"strat\" in flow file (did you mean start?)",
			},
			src: "flow: t\nstrat: a\n" + okFlow[len("flow: t\n"):],
		},
		{
			name: "a typo of a key: did you mean, not the list",
			want: []string{
				"t.yaml:6:21: unknown key \"sucess\" in state done (did you mean success?)",
				"t.yaml:6:35: unknown key \"colour\" in state done (want one of: run, with, timeout, retry, ask, final, success, message, output, sensitive, on, after)",
			},
			src: "flow: t\nstart: a\nstates:\n  a:\n    ask: {text: Hi}\n  done: {final: ok, sucess: true, colour: red}\n",
		},
		{
			name: "duplicate state",
			want: []string{
				"t.yaml:6:3: duplicate key \"a\" (first at t.yaml:4:3)",
			},
			src: `flow: t
start: a
states:
  a:
    final: ok
  a:
    final: ok
`,
		},
		{
			name: "missing flow, start and states",
			want: []string{
				"t.yaml:1:1: missing key \"flow\" (the flow's name)",
				"t.yaml:1:1: missing key \"start\" (the first state)",
				"t.yaml:1:1: missing key \"states\"",
			},
			src: "title: nothing\n",
		},
		{
			name: "bad names",
			want: []string{
				"t.yaml:1:7: flow \"my-flow\" is not a valid name (letters, digits and _, not starting with a digit)",
				"t.yaml:4:3: vars name \"2x\" is not a valid name (letters, digits and _, not starting with a digit)",
				"t.yaml:8:17: choice \"go on\" is not a valid name (letters, digits and _, not starting with a digit)",
				"t.yaml:10:7: event \"go on\" is not a valid name (letters, digits and _, not starting with a digit)",
				"t.yaml:11:3: state name \"bad-state\" is not a valid name (letters, digits and _, not starting with a digit)",
			},
			src: `flow: my-flow
start: a
vars:
  2x: 1
states:
  a:
    ask:
      choices: [go on]
    on:
      go on: done
  bad-state:
    final: ok
  done:
    final: ok
`,
		},
		{
			name: "recursive alias in a value",
			// A cyclic tree cannot be walked: the first cycle stops the load.
			src: "flow: t\nstart: a\nvars:\n  v: &l [1, *l]\n  w: {a: &m {b: *m}}\nstates: {a: {final: ok}}\n",
			want: []string{
				"t.yaml:4:13: alias *l refers to a node that contains it",
			},
		},
		{
			name: "two of run, ask and final",
			want: []string{
				"t.yaml:4:3: state a has run and final: a state does exactly one of run, ask or final",
			},
			src: `flow: t
start: a
states:
  a:
    run: svc.ping
    final: ok
`,
		},
		{
			name: "unknown field type",
			want: []string{
				"t.yaml:7:23: unknown field type \"phone\" (want one of: text, email, secret, code, choice, captcha, consent, number)",
			},
			src: `flow: t
start: a
states:
  a:
    ask:
      fields:
        phone: {type: phone}
    on:
      continue: done
  done:
    final: ok
`,
		},
		{
			name: "unknown target state",
			want: []string{
				"t.yaml:8:13: unknown state dnoe (did you mean done?)",
			},
			src: `flow: t
start: a
states:
  a:
    ask:
      choices: [next]
    on:
      next: dnoe
  done:
    final: ok
`,
		},
		{
			name: "unknown start state",
			want: []string{
				"t.yaml:2:8: start: unknown state aa (did you mean a?)",
			},
			src: "flow: t\nstart: aa\n" + okFlow[len("flow: t\nstart: a\n"):],
		},
		{
			name: "unknown action",
			want: []string{
				"t.yaml:5:10: unknown action svc.pnig (did you mean svc.ping?)",
			},
			src: `flow: t
start: a
states:
  a:
    run: svc.pnig
    on:
      done: done
  done:
    final: ok
`,
		},
		{
			name: "unknown subflow without resolver",
			want: []string{
				"t.yaml:5:10: unknown flow other (no subflows are available)",
			},
			src: `flow: t
start: a
states:
  a:
    run: flow:other
    on:
      ok: done
  done:
    final: ok
`,
		},
		{
			name: "unknown subflow",
			want: []string{
				"t.yaml:5:10: unknown flow other: no such flow",
			},
			subs: flows{},
			src: `flow: t
start: a
states:
  a:
    run: flow:other
    on:
      ok: done
  done:
    final: ok
`,
		},
		{
			name: "subflow cycle",
			want: []string{
				"u.yaml:5:10: subflow cycle: t runs u runs t",
			},
			subs: flows{"u": `flow: u
start: a
states:
  a:
    run: flow:t
    on:
      ok: done
  done:
    final: ok
`, "t": okFlow},
			src: `flow: t
start: a
states:
  a:
    run: flow:u
    on:
      ok: done
  done:
    final: ok
`,
		},
		{
			name: "unknown and missing parameters",
			want: []string{
				"t.yaml:5:10: action svc.check needs parameter email (with: {email: ...})",
				"t.yaml:6:12: action svc.check has no parameter emial (did you mean email?)",
			},
			src: `flow: t
start: a
states:
  a:
    run: svc.check
    with: {emial: '"x"', password: '"y"'}
    on:
      ok: done
      wrong: done
  done:
    final: ok
`,
		},
		{
			// A parameter by its name before a rename: the new name, and
			// no second error for the parameter it stands for.
			name: "renamed parameter",
			want: []string{
				"t.yaml:6:12: action svc.check has no parameter login (did you mean email? login is its old name)",
			},
			src: `flow: t
start: a
states:
  a:
    run: svc.check
    with: {login: '"x"', password: '"y"'}
    on:
      ok: done
      wrong: done
  done:
    final: ok
`,
		},
		{
			name: "unreachable state",
			want: []string{
				"t.yaml:11:3: state lost is unreachable from a",
			},
			src: okFlow + "  lost:\n    final: lost\n",
		},
		{
			name: "no way out",
			want: []string{
				"t.yaml:10:3: state b has no way out: no final state can be reached from it",
			},
			src: `flow: t
start: a
states:
  a:
    ask:
      choices: [next, loop]
    on:
      next: done
      loop: b
  b:
    ask:
      choices: [again]
    on:
      again: b
  done:
    final: ok
`,
		},
		{
			name: "unhandled outcome, unhandled choice, event never received",
			want: []string{
				"t.yaml:4:3: state a does not handle choice back",
				"t.yaml:9:7: state a never receives skip (its choices: next, back)",
				"t.yaml:10:3: state b does not handle outcome wrong of action svc.check",
			},
			src: `flow: t
start: a
states:
  a:
    ask:
      choices: [next, back]
    on:
      next: b
      skip: done
  b:
    run: svc.check
    with: {email: '"e"', password: '"p"'}
    on:
      ok: done
  done:
    final: ok
`,
		},
		{
			name: "hidden branch and run branch without go",
			want: []string{
				"t.yaml:12:11: branch 2 of next in state a is never tried: the branch before it has no if",
				"t.yaml:14:3: state b has no way out: it is not final and goes nowhere",
				"t.yaml:18:9: branch of done in run state b must say where to go (a run state cannot stay)",
			},
			src: `flow: t
start: a
vars:
  n: 0
states:
  a:
    ask:
      choices: [next]
    on:
      next:
        - go: b
        - if: n > 1
          go: done
  b:
    run: svc.ping
    on:
      done:
        set: {n: n + 1}
  done:
    final: ok
`,
		},
		{
			name: "expression does not compile",
			want: []string{
				"t.yaml:11:15: unknown name failurez\n | failurez + 1 >= 3\n | ^",
				"t.yaml:13:35: unknown field nope\n | failures >= policy.nope\n | ...................^",
			},
			src: `flow: t
start: a
vars:
  failures: 0
states:
  a:
    ask:
      choices: [next]
    on:
      next:
        - if: failurez + 1 >= 3
          go: done
        - if: "failures >= policy.nope"
          go: done
        - go: done
  done:
    final: ok
`,
		},
		{
			name: "expression of the wrong type",
			want: []string{
				`t.yaml:12:15: if: expression "n + 1" is an int, want a bool`,
				"t.yaml:14:20: variable n: expression \"label\" is a string, want an int",
			},
			src: `flow: t
start: a
vars:
  n: 0
  label: x
states:
  a:
    ask:
      choices: [next]
    on:
      next:
        - if: n + 1
          go: done
        - set: {n: label}
          go: done
  done:
    final: ok
`,
		},
		{
			name: "set of unknown variable and reserved names",
			want: []string{
				"t.yaml:5:3: variable input: \"input\" is reserved (policy, input, result, now)",
				"t.yaml:6:3: variable policy: \"policy\" is reserved (policy, input, result, now)",
				"t.yaml:13:15: set: unknown variable failure (did you mean failures?)",
			},
			src: `flow: t
start: a
vars:
  failures: 0
  input: x
  policy: 1
states:
  a:
    ask:
      choices: [next]
    on:
      next:
        set: {failure: 1}
        go: done
  done:
    final: ok
`,
		},
		{
			name: "secret field assigned to a variable",
			want: []string{
				"t.yaml:14:19: secret input.password flows into variable pw; secrets live only for the step that uses them",
				"t.yaml:14:40: secret input flows into variable all; secrets live only for the step that uses them",
				"t.yaml:21:19: secret input.password flows into variable pw; secrets live only for the step that uses them",
			},
			src: `flow: t
start: a
vars:
  pw: ""
  all: {}
states:
  a:
    ask:
      fields:
        email: {type: email}
        password: {type: secret}
    on:
      continue:
        set: {pw: input.password, all: input}
        go: b
  b:
    run: svc.check
    with: {email: input.email, password: input.password}
    on:
      ok:
        set: {pw: input.password}
        go: done
      wrong: done
  done:
    final: ok
`,
		},
		{
			name: "secret output assigned and secret passed to a plain parameter",
			want: []string{
				"t.yaml:16:19: secret input.password passed to parameter email of action svc.check, which is not secret",
				"t.yaml:19:20: secret result.token flows into variable tok; secrets live only for the step that uses them",
				"t.yaml:24:17: secret input.password passed to parameter msg of action svc.log, which is not secret",
			},
			src: `flow: t
start: a
vars:
  tok: ""
  n: 0
states:
  a:
    ask:
      fields:
        email: {type: email}
        password: {type: secret}
    on:
      continue: b
  b:
    run: svc.check
    with: {email: input.password, password: input.password, note: input.email}
    on:
      ok:
        set: {tok: result.token, n: result.count}
        go: c
      wrong: done
  c:
    run: svc.log
    with: {msg: input.password}
    on:
      done: done
  done:
    final: ok
`,
		},
		{
			name: "secrets in prompt text and final output",
			want: []string{
				"t.yaml:6:40: unknown field password\n |  input.password \n | .......^",
				"t.yaml:13:24: unknown field password\n | input.password\n | ......^",
			},
			src: `flow: t
start: a
states:
  a:
    ask:
      text: "Your password is {{ input.password }}"
      fields:
        password: {type: secret}
    on:
      continue: done
  done:
    final: ok
    output: {pw: input.password}
`,
		},
		{
			name: "timers on run states",
			want: []string{
				"t.yaml:9:7: timer in state a: a run state does not wait, so its timers never fire (timers belong to ask states and subflow states)",
			},
			src: `flow: t
start: a
states:
  a:
    run: svc.ping
    on:
      done: done
    after:
      5s: done
  done:
    final: ok
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, tt.src, nil, tt.subs)
			got := errorLines(err)
			if joinLines(got) != joinLines(tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", joinLines(got), joinLines(tt.want))
			}
		})
	}
}

// TestErrorsAllAtOnceSorted checks that the checker does not stop at the
// first problem and that the list comes back in file order, whatever order
// the checker found the problems in.
func TestErrorsAllAtOnceSorted(t *testing.T) {
	src := `flow: t
start: a
vars:
  n: 0
states:
  a:
    ask:
      choices: [next, other]
    on:
      next:
        set: {m: 1}
        go: b
  b:
    run: svc.nope
    on:
      done: c
  c:
    run: svc.ping
    on:
      done:
        if: n + "x"
        go: done
  done:
    final: ok
`
	_, err := compile(t, src, nil, nil)
	var list yamlfile.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Compile error = %T %v, want an yamlfile.ErrorList", err, err)
	}
	wantLines := []int{6, 11, 14, 21}
	if len(list) != len(wantLines) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(wantLines), err)
	}
	for i, e := range list {
		if e.Pos.Line != wantLines[i] {
			t.Errorf("error %d at line %d, want line %d: %v", i, e.Pos.Line, wantLines[i], e)
		}
	}
	if got, want := strings.Count(err.Error(), "\n"), strings.Count(err.Error(), "\n |")+len(list)-1; got != want {
		t.Errorf("ErrorList.Error() has %d newlines, want %d (one error a line plus snippets):\n%v", got, want, err)
	}
}

// TestExprErrorPosition checks that an expression error points into the
// YAML scalar at the offending character, whatever the scalar's style.
func TestExprErrorPosition(t *testing.T) {
	tests := []struct {
		name  string
		guard string // the text after "if:" on line 9
		want  string // position of the first error
	}{
		{"plain", " n > nope", "t.yaml:9:17"},
		{"double quoted", ` "n > nope"`, "t.yaml:9:18"},
		{"single quoted", ` 'n > nope'`, "t.yaml:9:18"},
		{"extra spaces", `    n > nope`, "t.yaml:9:20"},
		{"block scalar, second line", " |\n          n > 1 &&\n          nope", "t.yaml:11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "flow: t\nstart: a\nvars: {n: 0}\nstates:\n  a:\n    ask: {}\n    on:\n      continue:\n" +
				"        if:" + tt.guard + "\n        go: done\n  done:\n    final: ok\n"
			_, err := compile(t, src, nil, nil)
			var list yamlfile.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Compile(%q) = %v, want errors", src, err)
			}
			if got := list[0].Pos.String(); got != tt.want {
				t.Errorf("position = %s, want %s\n%s", got, tt.want, err)
			}
			if !strings.HasSuffix(list[0].Snippet, "^") || !strings.Contains(list[0].Snippet, "nope") {
				t.Errorf("snippet = %q, want expr's caret snippet of the line with nope", list[0].Snippet)
			}
		})
	}
}

// TestAliasBomb checks that a "billion laughs" value is refused rather than
// expanded: ten levels of ten aliases would be 10^10 values.
func TestAliasBomb(t *testing.T) {
	src := "flow: t\nstart: a\nvars:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 1; i <= 9; i++ {
		src += fmt.Sprintf("  l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
			i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	src += "states: {a: {final: ok}}\n"
	_, err := syntax.Load("t.yaml", []byte(src))
	// l4's fourth *l3 (11111 nodes each) passes the file's 50000.
	const want = "t.yaml:8:27: alias *l3 takes the file past 50000 YAML nodes once aliases are expanded"
	if err == nil || err.Error() != want {
		t.Fatalf("Load = %v, want %s", err, want)
	}
}

// An expression written twice is compiled once per scope: the same source
// under other input types is compiled again (and may fail there), and a
// failing expression is reported wherever it is written.
func TestRepeatedExpressions(t *testing.T) {
	const src = `flow: t
start: a
vars:
  n: 0
states:
  a:
    ask:
      text: "{{ n + 1 }}"
      fields:
        x: {type: number}
      choices: [next]
    on:
      next:
        - if: input.x > 1
          set: {n: input.x + 1}
          go: b
        - go: b
  b:
    ask:
      text: "{{ n + 1 }}"
      fields:
        x: {type: text}
      choices: [next]
    on:
      next:
        - if: input.x > 1
          go: done
        - set: {n: input.x + 1}
          go: done
  done:
    final: ok
`
	_, err := compile(t, src, testRegistry(t, nil), nil)
	got := errorLines(err)
	if len(got) != 2 || !strings.HasPrefix(got[0], "t.yaml:26:23: invalid operation") || !strings.HasPrefix(got[1], "t.yaml:28:28: invalid operation") {
		t.Fatalf("errors:\n%s\nwant b's guard and b's set refused (input.x is text there)", joinLines(got))
	}
	fixed := strings.Replace(strings.Replace(src, "- if: input.x > 1\n          go: done", "- if: len(input.x) > 1\n          go: done", 1), "set: {n: input.x + 1}\n          go: done", "set: {n: len(input.x) + 1}\n          go: done", 1)
	fl := mustCompile(t, fixed, testRegistry(t, nil), nil)
	s := start(t, fl, newClock().ports(testRegistry(t, nil)))
	if p := s.Current().Prompt; p == nil || p.Title.Text != "1" {
		t.Fatalf("a's text = %+v, want 1", p)
	}
	send(t, s, "next", map[string]any{"x": 4})
	if p := s.Current().Prompt; p == nil || p.Title.Text != "6" {
		t.Fatalf("b's text = %+v, want 6 (n = 4 + 1, then + 1)", p)
	}
}
