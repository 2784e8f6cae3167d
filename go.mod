module github.com/tetherflow/tether

go 1.26.0

require (
	github.com/expr-lang/expr v1.17.8 // indirect
	github.com/looplab/fsm v1.0.3 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
