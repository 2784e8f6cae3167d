package wire

import "net/http"

// Problem is an error response (RFC 9457, application/problem+json) with
// a stable Code that clients branch on; Title and Detail are for people.
type Problem struct {
	Type   string `json:"type" doc:"A URI naming the problem: docs/api.md's section for Code." example:"https://github.com/tetherflow/tether/blob/main/docs/api.md#stale_version"`
	Title  string `json:"title" doc:"A short summary of the problem type." example:"Stale version"`
	Status int    `json:"status" example:"409"`
	Detail string `json:"detail,omitempty" doc:"What went wrong this time, for people."`
	// Code is stable: clients branch on it.
	Code      string `json:"code" doc:"What went wrong, stable for clients to branch on." example:"stale_version"`
	Field     string `json:"field,omitempty" doc:"The field an invalid answer got wrong." example:"email"`
	RequestID string `json:"request_id,omitempty" doc:"The request's id, as the server's logs record it."`
	// Errors are the problems of a refused reload, file:line:col: message.
	Errors []string `json:"errors,omitempty" doc:"A refused reload's problems, file:line:col: message."`
	// Session is where the session stands, when the problem is about an
	// answer to it: a client shows it instead of fetching it again.
	Session *Session `json:"session,omitempty" doc:"Where the session stands now, when the problem concerns an answer to it."`
	// RetryAfter is how many seconds to wait (rate_limited); sent as the
	// Retry-After header.
	RetryAfter int `json:"-"`
}

// The problem codes. Each is documented in docs/api.md.
const (
	CodeBadRequest       = "bad_request"              // 400: the request is malformed
	CodeInvalidRequest   = "invalid_request"          // 422: the body does not fit the schema
	CodeInvalidVersion   = "invalid_version"          // 400: If-Match is not a version
	CodeInvalidKey       = "invalid_idempotency_key"  // 400: Idempotency-Key is not 1-255 visible ASCII characters
	CodeSecretRequired   = "secret_required"          // 401: no Authorization: Bearer SECRET
	CodeNotFound         = "session_not_found"        // 404: no such session, or not with this secret
	CodeUnknownFlow      = "unknown_flow"             // 422: the flow is not in the catalog
	CodeInvalidCountry   = "invalid_country"          // 422: the country is not an ISO 3166-1 alpha-2 code
	CodeInvalidRegion    = "invalid_region"           // 422: invalid_country, for a request that names it region (deprecated)
	CodeInvalidDevice    = "invalid_device"           // 422: the device id is malformed
	CodeDeviceKey        = "device_key_required"      // 403: the device exists; its key is missing or wrong
	CodeStale            = "stale_version"            // 409: If-Match names an earlier version
	CodeConflict         = "version_conflict"         // 409: another step was saved first
	CodePromptGone       = "prompt_gone"              // 409: a timer moved the session before the answer
	CodeEnded            = "session_ended"            // 409: the session has ended
	CodeInvalidAnswer    = "invalid_answer"           // 422: the answer does not fit the prompt
	CodeExpired          = "session_expired"          // 410: idle past its expiry
	CodeVersionRequired  = "version_required"         // 428: no If-Match
	CodeKeyRequired      = "idempotency_key_required" // 428: no Idempotency-Key
	CodeKeyReused        = "idempotency_key_reused"   // 422: the key was used for another request
	CodePrecondition     = "precondition_failed"      // 412: If-Match names no strong tag (a weak one never matches)
	CodeDuplicateMember  = "duplicate_member"         // 400: the body names a JSON member twice
	CodeTooLarge         = "body_too_large"           // 413: the body is over the limit
	CodeUnsupportedMedia = "unsupported_media_type"   // 415: the body is not JSON
	CodeRateLimited      = "rate_limited"             // 429: too many requests from this address
	CodeUnavailable      = "unavailable"              // 503: shutting down, or the store cannot be reached
	CodeInternal         = "internal"                 // 500: a fault of the server; the logs have it
	CodeMethodNotAllowed = "method_not_allowed"       // 405
	CodeNotFoundPath     = "not_found"                // 404: no such path
	CodeFlowUnavailable  = "flow_unavailable"         // 500: the flow has problems
	CodeAdminRequired    = "admin_required"           // 401: no or a wrong admin token
	CodeAdminDisabled    = "admin_disabled"           // 403: the server has no admin token
	CodeReloadRefused    = "reload_refused"           // 422: the flows have problems; the old ones keep serving
)

// The media types of a problem, in JSON and in CBOR.
const (
	ProblemContentType    = "application/problem+json"
	problemContentTypeAlt = "application/problem+cbor"
)

// problemTypePrefix is where each code's documentation is.
const problemTypePrefix = "https://github.com/tetherflow/tether/blob/main/docs/api.md#"

// NewProblem returns a Problem with the title of its status, its Type
// the documentation of code.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{Type: problemTypePrefix + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// Error makes a Problem an error: what the client returns for an error
// response, and what the server writes as one.
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus is the response's status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes the response application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/cbor" {
		return problemContentTypeAlt
	}
	return ProblemContentType
}
