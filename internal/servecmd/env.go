package servecmd

import (
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/seal"
)

// getenv reads the environment the command runs in.
func getenv(env *cli.Env, name string) string {
	if env.Getenv == nil {
		return ""
	}
	return env.Getenv(name)
}

// sealKeys returns the keys that seal what tether keeps at rest in dir.
func sealKeys(env *cli.Env, dir string) (*seal.Keys, error) {
	keys, _, err := env.SealKeys(dir)
	return keys, err
}
