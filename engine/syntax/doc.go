// Package syntax is a flow file as written: the syntax tree (File,
// StateDecl, Expr, ...) with the position of every element, and the
// loader that reads it from YAML (Load, LoadFile, ReadDocument),
// reporting every unknown or repeated key and every value of the wrong
// shape, positioned, at once. What the flow language gains goes here and
// into the engine's checker, not into the engine's API.
//
// It must not know what a flow does: whether its states, actions and
// expressions make sense is the engine's to check when it compiles it.
//
//	f, err := syntax.LoadFile("flows/connect.yaml")
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every problem, file:line:col: message
//	}
//	fl, err := engine.Compile(f, registry)
package syntax
