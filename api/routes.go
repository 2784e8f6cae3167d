package api

// Endpoint is one path the portal serves.
type Endpoint struct {
	Name   string // e.g. "token"
	Method string // GET or POST
	Path   string
	// Form: the request body is application/x-www-form-urlencoded (the
	// OAuth endpoints); otherwise JSON, or none for a GET.
	Form bool
	// Token: the endpoint takes a DPoP-bound access token (Authorization:
	// DPoP TOKEN with a DPoP proof): the resource APIs, and the
	// introspection endpoint, which it authorises (RFC 7662 section 2.1).
	Token bool
	// Op is the operation of an endpoint that serves one; "" for the
	// challenge and token endpoints, whose requests say theirs.
	Op string
}

// The endpoints, by name.
const (
	EndpointMetadata      = "metadata"
	EndpointOpenID        = "openid-configuration"
	EndpointJWKS          = "jwks"
	EndpointChallenge     = "authorization-challenge"
	EndpointToken         = "token"
	EndpointRevocation    = "revocation"
	EndpointIntrospection = "introspection"
	EndpointLicences      = "licences"
	EndpointActivation    = "activation"
	EndpointAccounts      = "accounts"
)

// Paths of the endpoints, relative to the issuer.
const (
	PathMetadata      = "/.well-known/oauth-authorization-server"
	PathOpenID        = "/.well-known/openid-configuration"
	PathJWKS          = "/jwks.json"
	PathChallenge     = "/authorize-challenge"
	PathToken         = "/token"
	PathRevocation    = "/revoke"
	PathIntrospection = "/introspect"
	PathLicences      = "/v1/licences"
	PathActivation    = "/v1/activation"
	PathAccounts      = "/v1/accounts"
)

// Endpoints returns every endpoint, in the order of the OpenAPI document.
func Endpoints() []Endpoint {
	return []Endpoint{
		{Name: EndpointMetadata, Method: "GET", Path: PathMetadata, Op: OpMetadata},
		{Name: EndpointOpenID, Method: "GET", Path: PathOpenID, Op: OpMetadata},
		{Name: EndpointJWKS, Method: "GET", Path: PathJWKS, Op: OpJWKS},
		{Name: EndpointChallenge, Method: "POST", Path: PathChallenge, Form: true},
		{Name: EndpointToken, Method: "POST", Path: PathToken, Form: true},
		{Name: EndpointRevocation, Method: "POST", Path: PathRevocation, Form: true, Op: OpRevoke},
		{Name: EndpointIntrospection, Method: "POST", Path: PathIntrospection, Form: true, Token: true, Op: OpIntrospect},
		{Name: EndpointLicences, Method: "GET", Path: PathLicences, Token: true, Op: OpListLicences},
		{Name: EndpointActivation, Method: "POST", Path: PathActivation, Token: true, Op: OpActivate},
		{Name: EndpointAccounts, Method: "POST", Path: PathAccounts, Op: OpCreateAccount},
	}
}

// EndpointAt returns the endpoint served at path.
func EndpointAt(path string) (Endpoint, bool) {
	for _, e := range Endpoints() {
		if e.Path == path {
			return e, true
		}
	}
	return Endpoint{}, false
}

// The operations: what a request asks of the portal. An endpoint serves
// one or several (the challenge endpoint one per step of a sign-in, the
// token endpoint one per grant type). Fault injection, idempotency
// records and log records name them.
const (
	OpMetadata       = "metadata"
	OpJWKS           = "jwks"
	OpSignInPassword = "signInPassword"
	OpNewCaptcha     = "newCaptcha"
	OpSendCode       = "sendCode"
	OpCheckCode      = "checkCode"
	OpRecordConsent  = "recordConsent"
	OpAuthorize      = "authorize"
	OpTokenCode      = "tokenCode"
	OpTokenRefresh   = "tokenRefresh"
	OpTokenExchange  = "tokenExchange"
	OpRevoke         = "revoke"
	OpIntrospect     = "introspect"
	OpListLicences   = "listLicences"
	OpActivate       = "activate"
	OpCreateAccount  = "createAccount"
)

// Operations returns every operation, with the endpoint that serves it.
func Operations() map[string]string {
	return map[string]string{
		OpMetadata: EndpointMetadata, OpJWKS: EndpointJWKS,
		OpSignInPassword: EndpointChallenge, OpNewCaptcha: EndpointChallenge, OpSendCode: EndpointChallenge,
		OpCheckCode: EndpointChallenge, OpRecordConsent: EndpointChallenge, OpAuthorize: EndpointChallenge,
		OpTokenCode: EndpointToken, OpTokenRefresh: EndpointToken, OpTokenExchange: EndpointToken,
		OpRevoke: EndpointRevocation, OpIntrospect: EndpointIntrospection,
		OpListLicences: EndpointLicences, OpActivate: EndpointActivation, OpCreateAccount: EndpointAccounts,
	}
}

// Changes reports whether op changes the portal's state, and so is done
// once under an idempotency key.
func Changes(op string) bool {
	switch op {
	case OpMetadata, OpJWKS, OpIntrospect, OpListLicences:
		return false
	}
	_, ok := Operations()[op]
	return ok
}

// Headers of the protocol.
const (
	// HeaderIdempotencyKey carries the key of a state-changing request:
	// the portal does what a key asks once, and answers a repeat of the
	// same request under it with the first answer. Optional: OAuth
	// clients that know nothing of it are served as usual.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderReplayed is set ("true") on an answer given again under an
	// idempotency key, the request not done a second time.
	HeaderReplayed = "Idempotent-Replayed"
	// HeaderClientClock carries the client's time (RFC 3339) when the
	// client runs on a fake clock; only a simulator started to follow it
	// (tether portal serve --clock) reads it.
	HeaderClientClock = "Tether-Client-Clock"
	// HeaderDPoP carries a DPoP proof (RFC 9449).
	HeaderDPoP = "DPoP"
	// MediaJSON is the type of every JSON body; MediaForm that of the
	// OAuth endpoints' requests; MediaProblem that of the non-OAuth
	// endpoints' errors.
	MediaJSON    = "application/json"
	MediaForm    = "application/x-www-form-urlencoded"
	MediaProblem = "application/problem+json"
	MediaJWKS    = "application/jwk-set+json"
)
