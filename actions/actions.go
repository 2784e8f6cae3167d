package actions

import (
	"time"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

// DefaultApp is the application name Tether saves its connection under.
const DefaultApp = "tether"

// New returns every action of the library, using the ports in p. Actions
// whose port is nil are returned all the same; running them fails with an
// error wrapping ErrNoPort.
func New(p Ports) []engine.Action {
	if p.Now == nil {
		p.Now = time.Now
	}
	return []engine.Action{
		credentialsSignIn(p),
		portalSignIn(p),
		captchaNew(p),
		smsSend(p),
		smsCheck(p),
		consentRecord(p),
		portalConnect(p),
		licenseList(p),
		licenseActivate(p),
		licenseActivateFree(p),
		accountCreate(p),
	}
}

// Registry returns a registry holding every action of the library.
func Registry(p Ports) (*engine.Registry, error) {
	return engine.NewRegistry(New(p)...)
}

// Shorthands for declaring parameters and outputs.

func param(name string, k value.Kind, doc string) engine.Param {
	return engine.Param{Name: name, Kind: k, Required: true, Doc: doc}
}

func optional(name string, k value.Kind, doc string) engine.Param {
	return engine.Param{Name: name, Kind: k, Doc: doc}
}

func secret(name string, doc string) engine.Param {
	return engine.Param{Name: name, Kind: value.String, Required: true, Secret: true, Doc: doc}
}

// renamed notes p's name before a rename, for the checker's hint.
func renamed(p engine.Param, old string) engine.Param {
	p.OldName = old
	return p
}

func output(name string, k value.Kind, doc string) engine.Param {
	return engine.Param{Name: name, Kind: k, Doc: doc}
}

// ticket is the portal's sign-in ticket, as an output or a parameter. A
// ticket is not a credential by itself, but an authorised one can be
// exchanged for a device token while it lives, so it is sensitive: kept
// in the session's variables, masked in every log and transcript.
func ticket(doc string, isParam bool) engine.Param {
	return engine.Param{Name: "ticket", Kind: value.String, Required: isParam, Sensitive: true, Doc: doc}
}
