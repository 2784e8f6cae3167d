package api

import "time"

// Licences is the answer of the licences endpoint.
type Licences struct {
	Licences []Licence `json:"licences"`
}

// Licence is a subscription registered to an account.
type Licence struct {
	ID      string    `json:"id"`
	Plan    string    `json:"plan"`
	Name    string    `json:"name"`
	Expires time.Time `json:"expires"`
}

// ActivateRequest is the body of an activation; the empty licence activates
// the Free plan.
type ActivateRequest struct {
	Licence string `json:"licence"`
}

// The statuses of an activation.
const (
	ActivateActivated = "activated"
	ActivateInactive  = "inactive"
)

// Activation is the answer of the activation endpoint.
type Activation struct {
	Status  string `json:"status"`
	Plan    string `json:"plan,omitempty"`
	Licence string `json:"licence,omitempty"`
}

// CreateAccountRequest is the body of an account creation. Country is
// required; a server takes OldRegion, its name before this release, in its
// place until the next (docs/portal-protocol.md).
type CreateAccountRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	Country   string `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case
	OldRegion string `json:"region,omitempty"`
}

// The statuses of an account creation.
const (
	CreateOK      = "ok"
	CreateExists  = "exists"
	CreateInvalid = "invalid"
)

// AccountCreation is the answer of the accounts endpoint.
type AccountCreation struct {
	Status  string `json:"status"`
	Account string `json:"account,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// ReasonMessage is reason as a message of the portal's vocabulary.
	ReasonMessage *Message `json:"reason_message,omitempty"`
}
