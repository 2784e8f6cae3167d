package api

import (
	"context"

	"github.com/tetherflow/tether/actions"
)

// Portal is what the protocol carries: every port through which the
// actions reach the portal, and the token check tether status makes. The
// server serves one; the client is one.
type Portal interface {
	actions.Portal
	actions.Licences
	actions.Accounts
	actions.ConsentLog
	actions.Captcha
	// CheckToken reports whether the portal accepts a device token, and
	// for which account and plan, without signing in with it.
	CheckToken(ctx context.Context, token string) (actions.TokenCheck, error)
}

// The operations of the protocol, by their OpenAPI operationId.
const (
	OpSignInPassword = "signInPassword"
	OpSignInToken    = "signInToken"
	OpNewCaptcha     = "newCaptcha"
	OpSendCode       = "sendCode"
	OpCheckCode      = "checkCode"
	OpRecordConsent  = "recordConsent"
	OpConnect        = "connect"
	OpListLicences   = "listLicences"
	OpActivate       = "activate"
	OpCreateAccount  = "createAccount"
	OpCheckToken     = "checkToken"
)

// Headers of the protocol.
const (
	// HeaderIdempotencyKey carries the key of a state-changing request
	// (every POST): the portal does what a key asks once, and answers a
	// repeat of the same request under it with the first answer.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderClientClock carries the client's time (RFC 3339) when the
	// client runs on a fake clock; only a simulator started to follow it
	// (tether portal serve --clock) reads it.
	HeaderClientClock = "Tether-Client-Clock"
	// MediaJSON is the type of every request and response body;
	// MediaProblem that of an error's.
	MediaJSON    = "application/json"
	MediaProblem = "application/problem+json"
)

// Route is one operation: its method and path, and what it requires.
type Route struct {
	Op     string // the operationId
	Method string // GET or POST
	Path   string
	// Token: the operation is authorised by a device token, sent as
	// "Authorization: Bearer TOKEN".
	Token bool
}

// Keyed reports whether requests of the route change the portal's state
// and so must carry an Idempotency-Key: every POST.
func (r Route) Keyed() bool { return r.Method == "POST" }

// Routes returns every operation of the protocol, in the order of the
// OpenAPI document.
func Routes() []Route {
	return []Route{
		{Op: OpSignInPassword, Method: "POST", Path: "/v1/sign-in/password"},
		{Op: OpSignInToken, Method: "POST", Path: "/v1/sign-in/token"},
		{Op: OpNewCaptcha, Method: "POST", Path: "/v1/captcha"},
		{Op: OpSendCode, Method: "POST", Path: "/v1/code/send"},
		{Op: OpCheckCode, Method: "POST", Path: "/v1/code/check"},
		{Op: OpRecordConsent, Method: "POST", Path: "/v1/consents"},
		{Op: OpConnect, Method: "POST", Path: "/v1/connect"},
		{Op: OpListLicences, Method: "GET", Path: "/v1/licences", Token: true},
		{Op: OpActivate, Method: "POST", Path: "/v1/activate", Token: true},
		{Op: OpCreateAccount, Method: "POST", Path: "/v1/accounts"},
		{Op: OpCheckToken, Method: "GET", Path: "/v1/token", Token: true},
	}
}

// RouteOf returns the route of the operation op.
func RouteOf(op string) (Route, bool) {
	for _, r := range Routes() {
		if r.Op == op {
			return r, true
		}
	}
	return Route{}, false
}
