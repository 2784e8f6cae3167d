package portalserver

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tetherflow/tether/api"
)

// proof is a DPoP proof that checked out: the thumbprint of its key, its
// id and its time.
type proof struct {
	jkt string
	jti string
	iat time.Time
}

// proofClaims are a DPoP proof's (RFC 9449 section 4.2).
type proofClaims struct {
	JTI string           `json:"jti"`
	HTM string           `json:"htm"`
	HTU string           `json:"htu"`
	IAT *jwt.NumericDate `json:"iat"`
	ATH string           `json:"ath,omitempty"`
}

// checkProof checks a DPoP proof as RFC 9449 section 4.3 says: a JWS of
// type dpop+jwt, signed with EdDSA or ES256 by the public key in its
// header, for this method and URL, issued within ProofWindow of now, and,
// with an access token, carrying its hash. Whether its jti is new is the
// portal's to judge (UseProof), since it keeps what it has seen.
func checkProof(raw, method, htu, token string, now time.Time) (proof, error) {
	bad := func(why string) (proof, error) { return proof{}, api.Refuse(api.ErrInvalidDPoPProof, "%s", why) }
	algs := make([]jose.SignatureAlgorithm, len(api.DPoPAlgs))
	for i, a := range api.DPoPAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	tok, err := jwt.ParseSigned(raw, algs)
	if err != nil {
		return bad("not a JWS signed with " + joinAlgs())
	}
	h := tok.Headers[0]
	if t, _ := h.ExtraHeaders[jose.HeaderType].(string); t != "dpop+jwt" {
		return bad("its typ is not dpop+jwt")
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.Valid() || !h.JSONWebKey.IsPublic() {
		return bad("its header has no public jwk")
	}
	var c proofClaims
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		return bad("its signature does not verify with its jwk")
	}
	switch {
	case c.JTI == "" || len(c.JTI) > 200:
		return bad("it has no jti")
	case c.HTM != method:
		return bad("its htm is not this request's method")
	case c.HTU != htu:
		return bad("its htu is not this request's URL")
	case c.IAT == nil:
		return bad("it has no iat")
	}
	iat := c.IAT.Time()
	if d := now.Sub(iat); d > ProofWindow || d < -ProofWindow {
		return bad("its iat is more than 5 minutes from the portal's time")
	}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		if c.ATH != base64.RawURLEncoding.EncodeToString(h[:]) {
			return bad("its ath is not the hash of the access token")
		}
	}
	tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return bad("its jwk has no thumbprint")
	}
	return proof{jkt: base64.RawURLEncoding.EncodeToString(tp), jti: c.JTI, iat: iat}, nil
}

// ProofWindow is how far from the server's time a proof's iat may be.
const ProofWindow = 5 * time.Minute

func joinAlgs() string {
	s := ""
	for i, a := range api.DPoPAlgs {
		if i > 0 {
			s += " or "
		}
		s += a
	}
	return s
}
