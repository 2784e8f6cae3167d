package api

import (
	"fmt"
	"net/http"
	"strings"
)

// ClientID is the client identifier of tether itself: a public,
// first-party client whose tokens are DPoP-bound.
const ClientID = "tether"

// Scopes tether asks for: an ID token, a device secret for Native SSO,
// and the licence APIs.
const (
	ScopeOpenID    = "openid"
	ScopeDeviceSSO = "device_sso"
	ScopeLicences  = "licences"
	Scope          = ScopeOpenID + " " + ScopeDeviceSSO + " " + ScopeLicences
)

// Parameters of the authorization challenge request: those of the draft
// (client_id, response_type, scope, auth_session, code_challenge,
// code_challenge_method) and the portal's own, which the draft leaves to
// each authorization server (its Appendix B).
const (
	ParamClientID            = "client_id"
	ParamResponseType        = "response_type"
	ParamScope               = "scope"
	ParamAuthSession         = "auth_session"
	ParamCodeChallenge       = "code_challenge"
	ParamCodeChallengeMethod = "code_challenge_method"
	ParamLoginHint           = "login_hint"
	// ParamUsername and ParamPassword sign in (the account's email
	// address and password).
	ParamUsername = "username"
	ParamPassword = "password"
	// ParamNewCaptcha ("true") asks for a CAPTCHA challenge;
	// ParamCaptchaID and ParamCaptcha answer one, with the password.
	ParamNewCaptcha = "new_captcha"
	ParamCaptchaID  = "captcha_id"
	ParamCaptcha    = "captcha"
	// ParamOTPSend ("sms") has the portal text a new code for the
	// session; ParamOTP answers it.
	ParamOTPSend = "otp_send"
	ParamOTP     = "otp"
	// The regional consent, accepted during the session.
	ParamConsentAccount    = "consent_account"
	ParamConsentDocument   = "consent_document"
	ParamConsentVersion    = "consent_version"
	ParamConsentRegion     = "consent_region"
	ParamConsentAcceptedAt = "consent_accepted_at"
)

// Parameters of the token, revocation and introspection requests.
const (
	ParamGrantType          = "grant_type"
	ParamCode               = "code"
	ParamCodeVerifier       = "code_verifier"
	ParamRefreshToken       = "refresh_token"
	ParamSubjectToken       = "subject_token"
	ParamSubjectTokenType   = "subject_token_type"
	ParamActorToken         = "actor_token"
	ParamActorTokenType     = "actor_token_type"
	ParamAudience           = "audience"
	ParamRequestedTokenType = "requested_token_type"
	ParamToken              = "token"
	ParamTokenTypeHint      = "token_type_hint"
)

// Grant and token types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeDeviceSecret  = "urn:openid:params:token-type:device-secret"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeRefreshToken  = "urn:ietf:params:oauth:token-type:refresh_token"
	CodeChallengeS256      = "S256"
	TokenTypeDPoP          = "DPoP"
	TokenTypeBearer        = "Bearer"
)

// Error codes: RFC 6749's and RFC 9449's, the draft's, and the portal's
// own, which the draft leaves to each authorization server.
const (
	ErrInvalidRequest            = "invalid_request"
	ErrInvalidClient             = "invalid_client"
	ErrInvalidGrant              = "invalid_grant"
	ErrUnsupportedGrantType      = "unsupported_grant_type"
	ErrUnsupportedResponseType   = "unsupported_response_type"
	ErrInvalidScope              = "invalid_scope"
	ErrAccessDenied              = "access_denied"
	ErrInvalidDPoPProof          = "invalid_dpop_proof"
	ErrInvalidToken              = "invalid_token"
	ErrTemporarilyUnavailable    = "temporarily_unavailable"
	ErrInsufficientAuthorization = "insufficient_authorization"
	ErrInvalidSession            = "invalid_session"
	ErrRedirectToWeb             = "redirect_to_web"
	// The portal's own.
	ErrOTPTooSoon = "otp_too_soon" // a code was sent too recently; wait says how long
	ErrOTPLimit   = "otp_limit"    // no more codes for this session
	ErrOTPWrong   = "otp_wrong"    // a wrong code; attempts_left more may be tried
	ErrOTPExpired = "otp_expired"  // no valid code: expired, used, or none sent
	ErrOTPBlocked = "otp_blocked"  // too many wrong codes
)

// ErrorCodes returns every error code the portal answers with.
func ErrorCodes() []string {
	return []string{ErrInvalidRequest, ErrInvalidClient, ErrInvalidGrant, ErrUnsupportedGrantType,
		ErrUnsupportedResponseType, ErrInvalidScope, ErrAccessDenied, ErrInvalidDPoPProof, ErrInvalidToken,
		ErrTemporarilyUnavailable, ErrInsufficientAuthorization, ErrInvalidSession,
		ErrOTPTooSoon, ErrOTPLimit, ErrOTPWrong, ErrOTPExpired, ErrOTPBlocked}
}

// StatusOf returns the HTTP status an OAuth error is answered with.
func StatusOf(code string) int {
	switch code {
	case ErrInsufficientAuthorization, ErrRedirectToWeb:
		return http.StatusForbidden // the draft's
	case ErrInvalidClient, ErrInvalidToken:
		return http.StatusUnauthorized
	case ErrTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// OAuthError is the body of an OAuth error (RFC 6749 section 5.2). Its
// description is ASCII without '"' and '\', as the draft wants, and holds
// no secret.
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// Refusal is a request the authorization server refuses: an error code
// (Err...) and a description that holds no secret. It is the error a
// portal returns for it; a server answers it as an OAuthError.
type Refusal struct {
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
}

func (e *Refusal) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// Refuse returns the refusal with code and the description format makes
// of args, cleaned for an error_description.
func Refuse(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Description: CleanDescription(fmt.Sprintf(format, args...))}
}

// Client is a client the portal knows: tether itself, whose tokens must
// be DPoP-bound, and the other applications of the vendor.
type Client struct {
	ID   string
	DPoP bool // every request must carry a DPoP proof; its tokens are bound to the key
}

// CleanDescription returns s fit for an error_description: the draft
// allows %x20-21 / %x23-5B / %x5D-7E.
func CleanDescription(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}

// ChallengeResponse is an answer of the authorization challenge
// endpoint: an authorization code (200), or an error (400, or 403 for
// insufficient_authorization), with the session to go on with and what
// the portal wants next. Every member after AuthSession is the portal's
// own (the draft's Appendix B shows the pattern).
type ChallengeResponse struct {
	AuthorizationCode string `json:"authorization_code,omitempty"`
	Error             string `json:"error,omitempty"`
	ErrorDescription  string `json:"error_description,omitempty"`
	AuthSession       string `json:"auth_session,omitempty"`

	// The account signed in to, and its jurisdiction.
	Account         string `json:"account,omitempty"`
	Country         string `json:"country,omitempty"`
	Region          string `json:"region,omitempty"`
	ConsentRequired bool   `json:"consent_required,omitempty"`
	ConsentDocument string `json:"consent_document,omitempty"`
	ConsentVersion  string `json:"consent_version,omitempty"`
	ConsentID       string `json:"consent_id,omitempty"`

	// The SMS code.
	OTPRequired  bool    `json:"otp_required,omitempty"`
	PhoneMasked  string  `json:"phone_masked,omitempty"`
	OTPSent      bool    `json:"otp_sent,omitempty"`
	OTPExpiresIn float64 `json:"otp_expires_in,omitempty"` // seconds
	Wait         float64 `json:"wait,omitempty"`           // seconds
	AttemptsLeft int     `json:"attempts_left,omitempty"`

	// The CAPTCHA.
	CaptchaRequired  bool   `json:"captcha_required,omitempty"`
	CaptchaWrong     bool   `json:"captcha_wrong,omitempty"`
	CaptchaID        string `json:"captcha_id,omitempty"`
	CaptchaChallenge string `json:"captcha_challenge,omitempty"`

	// captcha_challenge and error_description as messages of the
	// portal's vocabulary, for a client to say in its user's language;
	// a client that knows them not ignores them (RFC 6749 5.1) and shows
	// the words.
	CaptchaMessage *Message `json:"captcha_challenge_message,omitempty"`
	ErrorMessage   *Message `json:"error_description_message,omitempty"`
}

// TokenResponse is a successful answer of the token endpoint (RFC 6749
// section 5.1), with the ID token (OpenID Connect), the device secret
// (Native SSO) and the auth session (the draft).
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	IDToken         string `json:"id_token,omitempty"`
	Scope           string `json:"scope,omitempty"`
	DeviceSecret    string `json:"device_secret,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	AuthSession     string `json:"auth_session,omitempty"`
}

// Introspection is the answer of the introspection endpoint (RFC 7662),
// with the portal's own members: the account's country and the plan and
// licence activated on the device.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	Cnf       *Cnf   `json:"cnf,omitempty"`
	Country   string `json:"country,omitempty"`
	Plan      string `json:"plan,omitempty"`
	Licence   string `json:"licence,omitempty"`
}

// Cnf is a token's confirmation: the thumbprint (RFC 7638) of the DPoP
// key it is bound to.
type Cnf struct {
	JKT string `json:"jkt"`
}

// Metadata is the authorization server's metadata (RFC 8414), served at
// both well-known paths (OpenID Connect discovery reads the same).
type Metadata struct {
	Issuer                         string   `json:"issuer"`
	AuthorizationChallengeEndpoint string   `json:"authorization_challenge_endpoint"`
	TokenEndpoint                  string   `json:"token_endpoint"`
	JWKSURI                        string   `json:"jwks_uri"`
	RevocationEndpoint             string   `json:"revocation_endpoint"`
	IntrospectionEndpoint          string   `json:"introspection_endpoint"`
	ScopesSupported                []string `json:"scopes_supported"`
	ResponseTypesSupported         []string `json:"response_types_supported"`
	GrantTypesSupported            []string `json:"grant_types_supported"`
	TokenEndpointAuthMethods       []string `json:"token_endpoint_auth_methods_supported"`
	RevocationAuthMethods          []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods       []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethods           []string `json:"code_challenge_methods_supported"`
	DPoPSigningAlgs                []string `json:"dpop_signing_alg_values_supported"`
	SubjectTypesSupported          []string `json:"subject_types_supported"`
	IDTokenSigningAlgs             []string `json:"id_token_signing_alg_values_supported"`
	NativeSSOSupported             bool     `json:"native_sso_supported"`
	ResourceLicences               string   `json:"tether_licences_endpoint"`
	ResourceActivation             string   `json:"tether_activation_endpoint"`
	ResourceAccounts               string   `json:"tether_accounts_endpoint"`
}

// SigningAlg is the algorithm the portal signs tokens with; DPoPAlgs the
// ones it takes DPoP proofs in.
const SigningAlg = "EdDSA"

// DPoPAlgs are the algorithms of the DPoP proofs the portal takes.
var DPoPAlgs = []string{"EdDSA", "ES256"}

// MetadataFor returns the metadata of the portal whose issuer identifier
// (and base URL) is issuer.
func MetadataFor(issuer string) Metadata {
	return Metadata{
		Issuer:                         issuer,
		AuthorizationChallengeEndpoint: issuer + PathChallenge,
		TokenEndpoint:                  issuer + PathToken,
		JWKSURI:                        issuer + PathJWKS,
		RevocationEndpoint:             issuer + PathRevocation,
		IntrospectionEndpoint:          issuer + PathIntrospection,
		ScopesSupported:                []string{ScopeOpenID, ScopeDeviceSSO, ScopeLicences},
		ResponseTypesSupported:         []string{"code"},
		GrantTypesSupported:            []string{GrantAuthorizationCode, GrantRefreshToken, GrantTokenExchange},
		TokenEndpointAuthMethods:       []string{"none"},
		RevocationAuthMethods:          []string{"none"},
		IntrospectionAuthMethods:       []string{TokenTypeDPoP},
		CodeChallengeMethods:           []string{CodeChallengeS256},
		DPoPSigningAlgs:                DPoPAlgs,
		SubjectTypesSupported:          []string{"public"},
		IDTokenSigningAlgs:             []string{SigningAlg},
		NativeSSOSupported:             true,
		ResourceLicences:               issuer + PathLicences,
		ResourceActivation:             issuer + PathActivation,
		ResourceAccounts:               issuer + PathAccounts,
	}
}

// Audience is the audience of the portal's access tokens: its resource
// APIs.
func Audience(issuer string) string { return issuer + "/v1" }
