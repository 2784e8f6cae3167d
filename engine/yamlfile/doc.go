// Package yamlfile reads the YAML files Tether is given as user data
// (flows, policy overlays, answers files, the demo fixture, path files)
// and says what is wrong with them: it decodes a file within budgets of
// size, nodes and nesting, refuses repeated keys and second documents,
// words YAML's syntax errors plainly, suggests the key an unknown one was
// meant to be, and positions every problem as file:line:col (Pos, Error,
// ErrorList).
//
// It must not know what any file means: each reader walks the node tree
// it returns and says what the keys and values are.
//
//	src, err := yamlfile.ReadFile(path, yamlfile.Limits{})
//	if err != nil {
//		return err // an ErrorList: the file is over the size budget
//	}
//	top, err := yamlfile.Decode(path, src, yamlfile.Limits{})
package yamlfile
