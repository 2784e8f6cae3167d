// Package flowgen writes synthetic flows of any size, for the engine's
// benchmarks and tests: chains and diamonds of states with the prompts,
// guards, assignments, interpolations and loops back that real flows have.
//
//	src := flowgen.Chain(1000, "svc.ping")
//	file, _ := syntax.Load("chain.yaml", src)
//	fl, err := engine.Compile(file, registry)
//
// The flows it writes are valid when action names an action whose one
// outcome is done (every fifth state runs it); an empty action makes every
// state a prompt.
package flowgen

import (
	"fmt"
	"strings"
)

// Chain returns a flow of n states (at least 2) in a line: s0 -> s1 -> ...
// -> done. Every prompt can also go back one state, so that the graph has
// cycles, and its branches are guarded.
func Chain(n int, action string) []byte {
	n = max(n, 2)
	var b strings.Builder
	header(&b, "chain", n)
	for i := range n - 1 {
		next := fmt.Sprintf("s%d", i+1)
		if i == n-2 {
			next = "done"
		}
		prev := fmt.Sprintf("s%d", max(i-1, 0))
		state(&b, i, action, next, prev)
	}
	b.WriteString("  done:\n    final: done\n    success: true\n    message: \"Reached {{ n }}\"\n")
	return []byte(b.String())
}

// Diamond returns a flow of about n states (at least 4) made of diamonds:
// a prompt d<i> chooses left or right, each of which leads to d<i+1>.
func Diamond(n int, action string) []byte {
	k := max(n/3, 1)
	var b strings.Builder
	header(&b, "diamond", n)
	for i := range k {
		next := fmt.Sprintf("d%d", i+1)
		if i == k-1 {
			next = "done"
		}
		fmt.Fprintf(&b, `  d%d:
    ask:
      text: "Fork {{ n }}"
      choices: [left, right]
    on:
      left: l%d
      right:
        - if: n %% 7 == 3
          set: {n: n + 2}
          go: l%d
        - go: r%d
`, i, i, i, i)
		state(&b, -1, action, next, fmt.Sprintf("d%d", i), fmt.Sprintf("l%d", i))
		state(&b, -1, action, next, fmt.Sprintf("d%d", i), fmt.Sprintf("r%d", i))
	}
	b.WriteString("  done:\n    final: done\n    success: true\n")
	return []byte(b.String())
}

func header(b *strings.Builder, name string, n int) {
	start := "s0"
	if name == "diamond" {
		start = "d0"
	}
	fmt.Fprintf(b, `flow: %s_%d
title: Synthetic %s of %d states
start: %s
vars:
  n: 0
  label: ""
  seen: [a, b]
policy:
  limit: 1000000
  wait: 5m
states:
`, name, n, name, n, start)
}

// state writes state number i (or the state named by names[0] when i < 0)
// going to next, and back to prev.
func state(b *strings.Builder, i int, action, next, prev string, names ...string) {
	name := fmt.Sprintf("s%d", i)
	if i < 0 {
		name = names[0]
	}
	// Expressions vary from state to state with k: the guard and the label
	// a state sets are its own; others take one of a few forms (k%3, k%13,
	// k%100) or are the same everywhere ({{ label }}, n + input.x), as real
	// flows repeat some of theirs (connect.yaml writes 30 distinct {{ }}
	// and guards 40 times). The checker compiles a repeated expression once
	// per scope, so a flow of unique expressions takes about twice as long.
	k := vary(name)
	if action != "" && i >= 0 && i%5 == 4 {
		fmt.Fprintf(b, `  %s:
    run: %s
    on:
      done:
        - if: n < policy.limit - %d
          set: {n: n + %d}
          go: %s
        - go: %s
`, name, action, k, k%13+1, next, next)
		return
	}
	fmt.Fprintf(b, `  %s:
    ask:
      text: "Step %s {{ n + %d }}: {{ label }}"
      fields:
        x: {type: number, optional: true}
        note: {type: text, optional: true, if: len(seen) > %d}
      choices: [next, back]
    on:
      next:
        - if: input.x > %d && n < policy.limit
          set: {n: n + input.x, label: '"big %d " + input.note'}
          go: %s
        - set: {n: n + %d}
          go: %s
      back: %s
    after:
      policy.wait: %s
`, name, name, k%100, k%3, k, k, next, k%13+1, next, prev, prev)
}

// vary returns a number between 1 and 1000 that differs from name to name.
func vary(name string) int {
	h := 17
	for i := range len(name) {
		h = (h*31 + int(name[i])) % 1000003
	}
	return h%1000 + 1
}
