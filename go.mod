module github.com/tetherflow/tether

go 1.26.0

require (
	github.com/expr-lang/expr v1.17.8
	github.com/looplab/fsm v1.0.3
	github.com/rogpeppe/go-internal v1.16.0
	golang.org/x/crypto v0.59.0
	golang.org/x/term v0.48.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
