package demoportal

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/api"
)

// Lifetimes the protocol fixes rather than the fixture.
const (
	// CodeLifetime is how long an authorization code may be redeemed.
	CodeLifetime = 60 * time.Second
	// ProofWindow is how far from the portal's clock a DPoP proof's iat
	// may be, and how long its jti is remembered.
	ProofWindow = 5 * time.Minute
)

// The kinds of the authorization server's records in the state.
const (
	kindGrant = "grant" // a grant: the tokens of one connection, by grant id
	kindCode  = "code"  // an authorization code, by its hash
	kindSSO   = "sso"   // a Native SSO session, by its id
	kindProof = "jti"   // a DPoP proof seen, by key thumbprint and jti
	kindKeys  = "keys"  // the portal's keys
)

// GrantRecord is one connection of a device: the refresh token family its
// tokens belong to. Gen is the generation of the one refresh token that
// may be used; an older one used again revokes the grant.
type GrantRecord struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Client  string    `json:"client"`
	JKT     string    `json:"jkt,omitempty"`
	Scope   string    `json:"scope,omitempty"`
	SSO     string    `json:"sso,omitempty"`
	Gen     int       `json:"gen"`
	Revoked bool      `json:"revoked,omitempty"`
	Expires time.Time `json:"expires"`
	Plan    string    `json:"plan,omitempty"`
	Licence string    `json:"licence,omitempty"`
}

// codeRecord is an authorization code issued for a sign-in session.
type codeRecord struct {
	Ticket    string `json:"ticket"` // the session's hash
	Account   string `json:"account"`
	Client    string `json:"client"`
	JKT       string `json:"jkt,omitempty"`
	Challenge string `json:"challenge"`
	Scope     string `json:"scope,omitempty"`
	Used      bool   `json:"used,omitempty"`
	Grant     string `json:"grant,omitempty"` // the grant it was redeemed for
}

// ssoRecord is a Native SSO session: a device secret's.
type ssoRecord struct {
	Account string `json:"account"`
	Revoked bool   `json:"revoked,omitempty"`
}

// sealedToken is what an opaque token the portal issues holds, sealed
// (JWE, dir, A256GCM) under its sealing key: a refresh token ("rt") or a
// device secret ("ds"). A portal that has forgotten the grant (the demo
// portal in another process) still knows what it sealed.
type sealedToken struct {
	Kind    string `json:"k"`
	ID      string `json:"id"` // the grant or SSO session
	Gen     int    `json:"gen,omitempty"`
	Client  string `json:"client,omitempty"`
	JKT     string `json:"jkt,omitempty"`
	Account string `json:"sub"`
	Scope   string `json:"scope,omitempty"`
	SSO     string `json:"sso,omitempty"`
	Exp     int64  `json:"exp"`
}

// accessClaims are an access token's (RFC 9068).
type accessClaims struct {
	jwt.Claims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope,omitempty"`
	GrantID  string   `json:"gid"`
	Cnf      *api.Cnf `json:"cnf,omitempty"`
}

// idClaims are an ID token's (OpenID Connect Core, Native SSO).
type idClaims struct {
	jwt.Claims
	Email    string `json:"email"`
	AuthTime int64  `json:"auth_time"`
	SID      string `json:"sid,omitempty"`
	DSHash   string `json:"ds_hash,omitempty"`
}

// Types of the JWTs the portal signs.
const (
	typAccess = "at+jwt"
	typID     = "JWT"
)

// Issuer returns the portal's issuer identifier.
func (p *Portal) Issuer() string { return p.issuer }

// JWKS returns the public keys the portal's tokens verify with.
func (p *Portal) JWKS() jose.JSONWebKeySet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys.Public()
}

// ClientOf returns the client with this id.
func (p *Portal) ClientOf(id string) (api.Client, bool) {
	c, ok := p.clients[id]
	return c, ok
}

// randReader reads bytes from a math/rand source, for keys drawn from the
// portal's seeded source.
type randReader struct{ r *rand.Rand }

func (r randReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(r.r.Uint32())
	}
	return len(b), nil
}

// Sealer seals the portal's keys where its state keeps them, with a key
// kept outside the state (internal/seal's Keys).
type Sealer interface {
	Seal(plaintext, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// WithKeySeal has the portal keep its keys in its state sealed with s.
func WithKeySeal(s Sealer) Option { return func(p *Portal) { p.keySeal = s } }

// keysRecord is the portal's keys as its state keeps them: sealed, or
// in clear when the portal was given no Sealer.
type keysRecord struct {
	Sealed []byte          `json:"sealed,omitempty"`
	Keys   json.RawMessage `json:"keys,omitempty"`
}

// keysAD binds the sealed keys to their place.
var keysAD = []byte("tether portal keys")

// loadKeys gives the portal its keys: the ones WithKeys gave, else the
// state's, else new ones drawn from its source and kept in the state.
func (p *Portal) loadKeys(tx Tx) error {
	if len(p.keys.Signing) > 0 {
		return p.keys.check()
	}
	var rec keysRecord
	ok, err := tx.Record(kindKeys, "portal", time.Time{}, &rec)
	if err != nil {
		return err
	}
	if ok {
		raw := []byte(rec.Keys)
		if rec.Sealed != nil {
			if p.keySeal == nil {
				return errors.New("the portal's keys in its state are sealed, and no seal key is given")
			}
			if raw, err = p.keySeal.Open(rec.Sealed, keysAD); err != nil {
				return fmt.Errorf("the portal's keys in its state do not open with the seal keys given: %w", err)
			}
		}
		p.keys, err = UnmarshalKeys(raw)
		return err
	}
	if p.keys, err = NewKeys(randReader{p.rng}); err != nil {
		return err
	}
	return p.putKeys(tx, p.keys)
}

// putKeys keeps k in the state, sealed when the portal has a Sealer.
func (p *Portal) putKeys(tx Tx, k Keys) error {
	data, err := MarshalKeys(k)
	if err != nil {
		return err
	}
	rec := keysRecord{Keys: data}
	if p.keySeal != nil {
		if rec.Sealed, err = p.keySeal.Seal(data, keysAD); err != nil {
			return err
		}
		rec.Keys = nil
	}
	return tx.PutRecord(kindKeys, "portal", rec, farFuture)
}

// farFuture is when records kept for good expire.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // within UnixNano's range

// RotateKeys adds a new current signing key and sealing key, read from r
// (crypto/rand when nil: not the portal's seeded source, which a restart
// with the same seed would repeat), and keeps the newest keep of each (at
// least 1): what older ones signed and sealed is no longer accepted. Keys
// given with WithKeys are rotated in memory only.
func (p *Portal) RotateKeys(ctx context.Context, r io.Reader, keep int) error {
	if r == nil {
		r = crand.Reader
	}
	return p.update(ctx, "", nil, nil, func(tx Tx) error {
		k := p.keys
		k.Signing, k.Sealing = slices.Clone(k.Signing), slices.Clone(k.Sealing)
		if err := k.Rotate(r); err != nil {
			return err
		}
		k.Retire(keep)
		if err := p.putKeys(tx, k); err != nil {
			return err
		}
		p.keys = k
		return nil
	})
}

// subKey derives a key for one purpose from the portal's first sealing
// key, so that request fingerprints, sealed answers and CAPTCHA
// signatures never share one.
func (p *Portal) subKey(purpose string) []byte {
	m := hmac.New(sha256.New, p.keys.Sealing[0].Key.([]byte))
	m.Write([]byte("tether demo portal: " + purpose))
	return m.Sum(nil)
}

// captchaKey signs the CAPTCHA challenges.
func (p *Portal) captchaKey() []byte { return p.subKey("captcha") }

// sign returns claims signed with the current signing key, as a JWT of
// type typ.
func (p *Portal) sign(typ string, claims any) (string, error) {
	k := p.keys.signer()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// verify checks that tok is a JWT of type typ that one of the portal's
// signing keys signed (EdDSA only: alg none, or any other, is refused),
// issued by the portal, and reads its claims into dest. It does not judge
// times: the caller does.
func (p *Portal) verify(tok, typ string, dest any) (jwt.Claims, error) {
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return jwt.Claims{}, errors.New("not a JWT the portal signs")
	}
	h := parsed.Headers[0]
	if t, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(t, typ) {
		return jwt.Claims{}, fmt.Errorf("not a %s", typ)
	}
	for _, k := range p.keys.Signing {
		if k.KeyID != h.KeyID {
			continue
		}
		var c jwt.Claims
		if err := parsed.Claims(k.Key.(ed25519.PrivateKey).Public(), &c, dest); err != nil {
			return jwt.Claims{}, errors.New("the signature does not verify")
		}
		if c.Issuer != p.issuer {
			return jwt.Claims{}, errors.New("issued by another portal")
		}
		return c, nil
	}
	return jwt.Claims{}, errors.New("signed by a key the portal does not have")
}

// seal returns t sealed under the current sealing key: an opaque token.
func (p *Portal) seal(t sealedToken) (string, error) {
	k := p.keys.sealer()
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: k.Key, KeyID: k.KeyID}, nil)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	obj, err := enc.Encrypt(plain)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// unseal opens an opaque token of kind the portal sealed.
func (p *Portal) unseal(tok, kind string) (sealedToken, bool) {
	obj, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return sealedToken{}, false
	}
	for _, k := range p.keys.Sealing {
		if k.KeyID != obj.Header.KeyID {
			continue
		}
		plain, err := obj.Decrypt(k.Key)
		if err != nil {
			return sealedToken{}, false
		}
		var t sealedToken
		if json.Unmarshal(plain, &t) != nil || t.Kind != kind {
			return sealedToken{}, false
		}
		return t, true
	}
	return sealedToken{}, false
}

// needProof refuses a call by a client that must prove a DPoP key and
// did not.
func (p *Portal) needProof(b api.Binding) *api.Refusal {
	c, ok := p.clients[b.Client]
	switch {
	case !ok:
		return api.Refuse(api.ErrInvalidClient, "unknown client %q", b.Client)
	case c.DPoP && b.JKT == "":
		return api.Refuse(api.ErrInvalidDPoPProof, "client %s must send a DPoP proof with every request", c.ID)
	}
	return nil
}

// grant returns the grant with this id.
func (p *Portal) grant(tx Tx, id string) (GrantRecord, bool, error) {
	var g GrantRecord
	ok, err := tx.Record(kindGrant, id, p.now(), &g)
	return g, ok, err
}

// putGrant keeps g until it expires.
func (p *Portal) putGrant(tx Tx, g GrantRecord) error {
	return tx.PutRecord(kindGrant, g.ID, g, g.Expires)
}

// Authorize issues an authorization code for the sign-in session ticket,
// bound to the session's client, DPoP key and PKCE code challenge (the
// call's, or the session's first): what the authorization challenge
// endpoint answers once the session is authorised. A session not yet
// authorised, or whose account's rules require the regulation on data
// provisioning not accepted during it, gets no code, and the reason. A
// new code voids the session's previous one.
func (p *Portal) Authorize(ctx context.Context, ticket string) (api.Grant, error) {
	var out api.Grant
	ar := api.AuthRequestOf(ctx)
	err := p.update(ctx, api.OpAuthorize, []string{ticket, ar.CodeChallenge, ar.Scope}, &out, func(tx Tx) error {
		t, ok, err := p.ticket(ctx, tx, ticket)
		if err != nil {
			return err
		}
		out, err = p.authorize(tx, t, ok)
		return err
	})
	if err != nil {
		return api.Grant{}, fmt.Errorf("authorize: %w", err)
	}
	return out, nil
}

// authorize issues the code of Authorize for t.
func (p *Portal) authorize(tx Tx, t TicketRecord, ok bool) (api.Grant, error) {
	if reason, msg := p.ticketRefusal(t, ok); reason != "" {
		return api.Grant{Reason: reason, ReasonMessage: msg}, nil
	}
	acc, _, err := tx.Account(t.Account)
	if err != nil {
		return api.Grant{}, err
	}
	if r := p.RulesFor(acc.Country); r.ConsentRequired && t.Consent != r.Document+"@"+r.Version {
		return api.Grant{ConsentRequired: true,
			Reason:        fmt.Sprintf("the regulation on data provisioning (%s, version %s) was not accepted during this sign-in", r.Document, r.Version),
			ReasonMessage: actions.PortalText{ID: "consent.not_accepted", Params: map[string]any{"document": r.Document, "version": r.Version}}}, nil
	}
	if t.Challenge == "" {
		return api.Grant{Reason: "no PKCE code_challenge (S256) was given for this sign-in", ReasonMessage: actions.PortalText{ID: "sign_in.no_pkce"}}, nil
	}
	code := p.newID("ac-", 32)
	rec := codeRecord{Ticket: t.Hash, Account: t.Account, Client: t.Client, JKT: t.JKT, Challenge: t.Challenge, Scope: t.Scope}
	if err := tx.PutRecord(kindCode, hashOf(code), rec, p.now().Add(CodeLifetime)); err != nil {
		return api.Grant{}, err
	}
	t.Issued = hashOf(code)
	if err := tx.PutTicket(t); err != nil {
		return api.Grant{}, err
	}
	return api.Grant{Code: code, Account: acc.Email, Country: acc.Country}, nil
}

// tokenAnswer is the token endpoint's answer as kept under an idempotency
// key: the tokens, or the refusal. A refusal is an answer, not an error,
// so that what it changed (a grant revoked for a reused token) is kept.
type tokenAnswer struct {
	Tokens api.TokenResponse `json:"tokens"`
	Err    *api.Refusal      `json:"err,omitempty"`
}

func (a tokenAnswer) result() (api.TokenResponse, error) {
	if a.Err != nil {
		return api.TokenResponse{}, a.Err
	}
	return a.Tokens, nil
}

// ExchangeCode redeems an authorization code (grant_type
// authorization_code) for tokens: the code must be live, the session's
// latest, issued to the calling client and DPoP key, and the PKCE
// verifier must match its challenge. A code redeemed twice revokes the
// tokens of its first redemption. Refusals are *api.Refusal.
func (p *Portal) ExchangeCode(ctx context.Context, code, verifier string) (api.TokenResponse, error) {
	var out tokenAnswer
	err := p.update(ctx, api.OpTokenCode, []string{code, verifier}, &out, func(tx Tx) error {
		var err error
		out, err = p.exchangeCode(ctx, tx, code, verifier)
		return err
	})
	if err != nil {
		return api.TokenResponse{}, fmt.Errorf("token: %w", err)
	}
	return out.result()
}

func (p *Portal) exchangeCode(ctx context.Context, tx Tx, code, verifier string) (tokenAnswer, error) {
	b := api.BindingOf(ctx)
	if e := p.needProof(b); e != nil {
		return tokenAnswer{Err: e}, nil
	}
	var c codeRecord
	ok, err := tx.Record(kindCode, hashOf(code), p.now(), &c)
	switch {
	case err != nil:
		return tokenAnswer{}, err
	case !ok || code == "":
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code is unknown or expired")}, nil
	case c.Client != b.Client:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code was issued to another client")}, nil
	case c.JKT != b.JKT:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code is bound to another DPoP key")}, nil
	case c.Used:
		if g, ok, err := p.grant(tx, c.Grant); err != nil || !ok {
			return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code was used already")}, err
		} else {
			g.Revoked = true
			return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code was used already; the tokens issued for it are revoked")}, p.putGrant(tx, g)
		}
	case !validVerifier(verifier) || oauth2.S256ChallengeFromVerifier(verifier) != c.Challenge:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the PKCE code_verifier does not match the code_challenge")}, nil
	}
	t, ok, err := tx.Ticket(c.Ticket)
	if err != nil {
		return tokenAnswer{}, err
	}
	if !ok || t.Issued != hashOf(code) || t.State != TicketAuthorised {
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the authorization code is void: its sign-in issued a newer one or was used")}, nil
	}
	acc, ok, err := tx.Account(c.Account)
	if err != nil || !ok {
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the account is gone")}, err
	}
	now := p.now()
	g := GrantRecord{ID: p.newID("gr-", 16), Account: acc.Email, Client: c.Client, JKT: c.JKT, Scope: c.Scope, Gen: 1, Expires: now.Add(p.set.TokenTTL)}
	var deviceSecret string
	if hasScope(c.Scope, api.ScopeDeviceSSO) {
		g.SSO = p.newID("sso-", 16)
		if err := tx.PutRecord(kindSSO, g.SSO, ssoRecord{Account: acc.Email}, g.Expires); err != nil {
			return tokenAnswer{}, err
		}
		if deviceSecret, err = p.seal(sealedToken{Kind: "ds", ID: g.SSO, Account: acc.Email, Exp: g.Expires.Unix()}); err != nil {
			return tokenAnswer{}, err
		}
	}
	c.Used, c.Grant = true, g.ID
	t.State = TicketConnected
	if err := tx.PutRecord(kindCode, hashOf(code), c, now.Add(CodeLifetime)); err != nil {
		return tokenAnswer{}, err
	}
	if err := tx.PutTicket(t); err != nil {
		return tokenAnswer{}, err
	}
	if err := p.putGrant(tx, g); err != nil {
		return tokenAnswer{}, err
	}
	tokens, err := p.issue(g, deviceSecret)
	return tokenAnswer{Tokens: tokens}, err
}

// validVerifier reports whether v is a PKCE code verifier (RFC 7636
// section 4.1): 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	return true
}

func hasScope(scope, s string) bool { return slices.Contains(strings.Fields(scope), s) }

// issue returns g's tokens: an access token, a refresh token of g's
// generation, and an ID token (with the device secret's hash when one is
// issued) when g's scope has openid.
func (p *Portal) issue(g GrantRecord, deviceSecret string) (api.TokenResponse, error) {
	now := p.now()
	ttl := p.set.AccessTokenTTL
	at := accessClaims{
		Claims: jwt.Claims{Issuer: p.issuer, Subject: g.Account, Audience: jwt.Audience{api.Audience(p.issuer)},
			Expiry: jwt.NewNumericDate(now.Add(ttl)), IssuedAt: jwt.NewNumericDate(now), ID: p.newID("at-", 16)},
		ClientID: g.Client, Scope: g.Scope, GrantID: g.ID,
	}
	out := api.TokenResponse{TokenType: api.TokenTypeBearer, ExpiresIn: int64(ttl / time.Second), Scope: g.Scope, DeviceSecret: deviceSecret}
	if g.JKT != "" {
		at.Cnf = &api.Cnf{JKT: g.JKT}
		out.TokenType = api.TokenTypeDPoP
	}
	var err error
	if out.AccessToken, err = p.sign(typAccess, at); err != nil {
		return api.TokenResponse{}, err
	}
	if out.RefreshToken, err = p.seal(sealedToken{Kind: "rt", ID: g.ID, Gen: g.Gen, Client: g.Client, JKT: g.JKT,
		Account: g.Account, Scope: g.Scope, SSO: g.SSO, Exp: g.Expires.Unix()}); err != nil {
		return api.TokenResponse{}, err
	}
	if hasScope(g.Scope, api.ScopeOpenID) {
		id := idClaims{
			Claims: jwt.Claims{Issuer: p.issuer, Subject: g.Account, Audience: jwt.Audience{g.Client},
				Expiry: jwt.NewNumericDate(now.Add(ttl)), IssuedAt: jwt.NewNumericDate(now)},
			Email: g.Account, AuthTime: now.Unix(), SID: g.SSO,
		}
		if deviceSecret != "" {
			id.DSHash = halfHash(deviceSecret)
		}
		if out.IDToken, err = p.sign(typID, id); err != nil {
			return api.TokenResponse{}, err
		}
	}
	return out, nil
}

// halfHash is the ds_hash of a device secret (Native SSO): the left half
// of its SHA-256, base64url.
func halfHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

// Refresh redeems a refresh token (grant_type refresh_token) for new
// tokens and a new refresh token; the one redeemed is spent. The token
// must be the grant's latest, issued to the calling client and, for a
// DPoP-bound grant, used with a proof of the same key. A spent refresh
// token used again revokes the whole grant. Refusals are *api.Refusal.
func (p *Portal) Refresh(ctx context.Context, refresh string) (api.TokenResponse, error) {
	var out tokenAnswer
	err := p.update(ctx, api.OpTokenRefresh, []string{refresh}, &out, func(tx Tx) error {
		var err error
		out, err = p.refresh(ctx, tx, refresh)
		return err
	})
	if err != nil {
		return api.TokenResponse{}, fmt.Errorf("token: %w", err)
	}
	return out.result()
}

func (p *Portal) refresh(ctx context.Context, tx Tx, refresh string) (tokenAnswer, error) {
	b := api.BindingOf(ctx)
	if e := p.needProof(b); e != nil {
		return tokenAnswer{Err: e}, nil
	}
	st, ok := p.unseal(refresh, "rt")
	switch {
	case !ok:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "not a refresh token this portal issued")}, nil
	case !p.now().Before(time.Unix(st.Exp, 0)):
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the refresh token has expired")}, nil
	case st.Client != b.Client:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the refresh token was issued to another client")}, nil
	case st.JKT != b.JKT:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the refresh token is bound to another DPoP key")}, nil
	}
	g, ok, err := p.grant(tx, st.ID)
	if err != nil {
		return tokenAnswer{}, err
	}
	if !ok {
		// A grant this portal's state does not hold (the demo portal of
		// another process): the sealed token is its record.
		g = GrantRecord{ID: st.ID, Account: st.Account, Client: st.Client, JKT: st.JKT, Scope: st.Scope, SSO: st.SSO, Gen: st.Gen, Expires: time.Unix(st.Exp, 0).UTC()}
	}
	switch {
	case g.Revoked:
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the grant was revoked")}, nil
	case st.Gen != g.Gen:
		g.Revoked = true
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the refresh token was used already: the grant is revoked")}, p.putGrant(tx, g)
	}
	if _, ok, err := tx.Account(g.Account); err != nil || !ok {
		return tokenAnswer{Err: api.Refuse(api.ErrInvalidGrant, "the account is gone")}, err
	}
	g.Gen++
	if err := p.putGrant(tx, g); err != nil {
		return tokenAnswer{}, err
	}
	tokens, err := p.issue(g, "")
	return tokenAnswer{Tokens: tokens}, err
}

// SSOSignIn signs in by OpenID Connect Native SSO: the ID token and
// device secret another application of the vendor holds on the device,
// exchanged at the token endpoint (RFC 8693). The device secret must be
// one the portal sealed, of a live, unrevoked SSO session; the ID token
// one it signed for that session (its sid and ds_hash), whatever its
// expiry. The answer opens an authorised sign-in session, bound to the
// calling client and DPoP key, for the device to finish at the
// authorization challenge endpoint: so every device connects through the
// one path where consent is recorded. Anything else is SignInDenied.
func (p *Portal) SSOSignIn(ctx context.Context, idToken, deviceSecret string) (actions.SignIn, error) {
	var out actions.SignIn
	err := p.update(ctx, api.OpTokenExchange, []string{idToken, deviceSecret}, &out, func(tx Tx) error {
		if e := p.needProof(api.BindingOf(ctx)); e != nil {
			return e
		}
		st, ok := p.unseal(deviceSecret, "ds")
		if !ok || !p.now().Before(time.Unix(st.Exp, 0)) {
			return nil
		}
		var sso ssoRecord
		known, err := tx.Record(kindSSO, st.ID, p.now(), &sso)
		if err != nil || known && sso.Revoked {
			return err
		}
		var id idClaims
		if _, err := p.verify(idToken, typID, &id); err != nil || id.SID != st.ID || id.DSHash != halfHash(deviceSecret) || id.Subject != st.Account {
			return nil
		}
		acc, ok, err := tx.Account(st.Account)
		if err != nil || !ok {
			return err
		}
		ticket, err := p.newTicket(ctx, tx, acc.Email, TicketAuthorised)
		out = actions.SignIn{Status: actions.SignInOK, Account: acc.Email, Ticket: ticket, Jurisdiction: p.jurisdiction(acc)}
		return err
	})
	if err != nil {
		return actions.SignIn{}, fmt.Errorf("token exchange: %w", err)
	}
	return out, nil
}

// liveAccess returns the grant and account of an access token the
// resource APIs take: one the portal signed, unexpired, its grant not
// revoked, presented with a proof of the DPoP key it is bound to. Any
// other gives an error wrapping actions.ErrTokenRejected.
func (p *Portal) liveAccess(ctx context.Context, tx Tx, tok string) (GrantRecord, AccountRecord, error) {
	var at accessClaims
	c, err := p.verify(tok, typAccess, &at)
	if err == nil {
		err = c.ValidateWithLeeway(jwt.Expected{AnyAudience: jwt.Audience{api.Audience(p.issuer)}, Time: p.now()}, 0)
	}
	if err != nil {
		return GrantRecord{}, AccountRecord{}, fmt.Errorf("%w: %v", actions.ErrTokenRejected, err)
	}
	jkt := ""
	if at.Cnf != nil {
		jkt = at.Cnf.JKT
	}
	if jkt != api.BindingOf(ctx).JKT {
		return GrantRecord{}, AccountRecord{}, fmt.Errorf("%w: no proof of the token's DPoP key", actions.ErrTokenRejected)
	}
	g, ok, err := p.grant(tx, at.GrantID)
	if err != nil {
		return GrantRecord{}, AccountRecord{}, err
	}
	if !ok {
		g = GrantRecord{ID: at.GrantID, Account: c.Subject, Client: at.ClientID, JKT: jkt, Scope: at.Scope, Expires: c.Expiry.Time()}
	}
	if g.Revoked {
		return GrantRecord{}, AccountRecord{}, fmt.Errorf("%w: the grant was revoked", actions.ErrTokenRejected)
	}
	acc, ok, err := tx.Account(c.Subject)
	if err != nil {
		return GrantRecord{}, AccountRecord{}, err
	}
	if !ok {
		return GrantRecord{}, AccountRecord{}, fmt.Errorf("%w: the account is gone", actions.ErrTokenRejected)
	}
	return g, acc, nil
}

// Introspect says whether the portal takes tok, an access or refresh
// token, now (RFC 7662), with its account's country and the plan and
// licence activated on the device, to a caller authorised by caller: an
// access token the portal takes, presented with a proof of its DPoP key
// (RFC 7662 section 2.1 wants the endpoint to require authorisation, so
// that no one can scan for tokens). Without one it returns an error
// wrapping actions.ErrTokenRejected, whatever tok is. The caller is only
// told of its own tokens: those bound to the key it proved, or, bound to
// none, of its grant; any other is not active.
func (p *Portal) Introspect(ctx context.Context, caller, tok string) (api.Introspection, error) {
	var out api.Introspection
	err := p.update(ctx, api.OpIntrospect, nil, nil, func(tx Tx) error {
		cg, _, err := p.liveAccess(ctx, tx, caller)
		if err != nil {
			return err
		}
		if tok == "" {
			return api.Refuse(api.ErrInvalidRequest, "token is required")
		}
		out, err = p.introspect(ctx, tx, cg, tok)
		return err
	})
	if err != nil {
		return api.Introspection{}, fmt.Errorf("introspect: %w", err)
	}
	return out, nil
}

// introspect describes tok to the caller whose grant is caller.
func (p *Portal) introspect(ctx context.Context, tx Tx, caller GrantRecord, tok string) (api.Introspection, error) {
	b := api.BindingOf(ctx)
	var g GrantRecord
	out := api.Introspection{Active: true, Iss: p.issuer}
	if st, ok := p.unseal(tok, "rt"); ok {
		grant, known, err := p.grant(tx, st.ID)
		if err != nil {
			return api.Introspection{}, err
		}
		if !known {
			grant = GrantRecord{ID: st.ID, Account: st.Account, Client: st.Client, JKT: st.JKT, Scope: st.Scope, Gen: st.Gen, Expires: time.Unix(st.Exp, 0).UTC()}
		}
		if grant.Gen != st.Gen || !p.now().Before(grant.Expires) {
			return api.Introspection{}, nil
		}
		g, out.Exp = grant, st.Exp
	} else {
		var at accessClaims
		c, err := p.verify(tok, typAccess, &at)
		if err == nil {
			err = c.ValidateWithLeeway(jwt.Expected{Time: p.now()}, 0)
		}
		if err != nil {
			return api.Introspection{}, nil
		}
		grant, known, err := p.grant(tx, at.GrantID)
		if err != nil {
			return api.Introspection{}, err
		}
		if !known {
			grant = GrantRecord{ID: at.GrantID, Account: c.Subject, Client: at.ClientID, Scope: at.Scope}
			if at.Cnf != nil {
				grant.JKT = at.Cnf.JKT
			}
		}
		g, out.Exp, out.Iat, out.Jti = grant, int64(*c.Expiry), int64(*c.IssuedAt), c.ID
	}
	if g.Revoked || g.JKT != b.JKT || g.JKT == "" && g.ID != caller.ID {
		return api.Introspection{}, nil
	}
	acc, ok, err := tx.Account(g.Account)
	if err != nil || !ok {
		return api.Introspection{}, err
	}
	out.Sub, out.ClientID, out.Scope, out.Country, out.Plan, out.Licence = g.Account, g.Client, g.Scope, acc.Country, g.Plan, g.Licence
	out.TokenType = api.TokenTypeBearer
	if g.JKT != "" {
		out.TokenType, out.Cnf = api.TokenTypeDPoP, &api.Cnf{JKT: g.JKT}
	}
	return out, nil
}

// Revoke revokes the grant of tok, an access or refresh token, or the
// Native SSO session of a device secret (RFC 7009): none of its tokens is
// taken any more. A token of another client, or bound to a DPoP key the
// request does not prove, is refused: only the client holding a token
// revokes it. An unknown one is ignored, as RFC 7009 wants.
func (p *Portal) Revoke(ctx context.Context, tok string) error {
	var out struct {
		Err *api.Refusal `json:"err,omitempty"`
	}
	err := p.update(ctx, api.OpRevoke, []string{tok}, &out, func(tx Tx) error {
		b := api.BindingOf(ctx)
		if st, ok := p.unseal(tok, "ds"); ok {
			return tx.PutRecord(kindSSO, st.ID, ssoRecord{Account: st.Account, Revoked: true}, time.Unix(st.Exp, 0))
		}
		var g GrantRecord
		if st, ok := p.unseal(tok, "rt"); ok {
			g = GrantRecord{ID: st.ID, Account: st.Account, Client: st.Client, JKT: st.JKT, Scope: st.Scope, SSO: st.SSO, Gen: st.Gen, Expires: time.Unix(st.Exp, 0).UTC()}
		} else {
			var at accessClaims
			c, err := p.verify(tok, typAccess, &at)
			if err != nil {
				return nil
			}
			g = GrantRecord{ID: at.GrantID, Account: c.Subject, Client: at.ClientID, Expires: c.Expiry.Time().Add(p.set.AccessTokenTTL)}
			if at.Cnf != nil {
				g.JKT = at.Cnf.JKT
			}
		}
		if g.Client != b.Client || g.JKT != "" && g.JKT != b.JKT {
			out.Err = api.Refuse(api.ErrInvalidClient, "the token was issued to another client, or is bound to a key the request does not prove")
			return nil
		}
		if known, ok, err := p.grant(tx, g.ID); err != nil {
			return err
		} else if ok {
			g = known
		}
		g.Revoked = true
		return p.putGrant(tx, g)
	})
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	if out.Err != nil {
		return out.Err
	}
	return nil
}

// UseProof notes the DPoP proof jti of the key jkt, issued at iat, and
// refuses it when its time is more than ProofWindow from the portal's
// clock or it was seen before: a replayed proof.
func (p *Portal) UseProof(ctx context.Context, jkt, jti string, iat time.Time) error {
	return p.update(ctx, "", nil, nil, func(tx Tx) error {
		now := p.now()
		if iat.Before(now.Add(-ProofWindow)) || iat.After(now.Add(ProofWindow)) {
			return api.Refuse(api.ErrInvalidDPoPProof, "the proof's iat is more than %s from the portal's time", ProofWindow)
		}
		var seen bool
		key := jkt + "/" + jti
		if ok, err := tx.Record(kindProof, key, now, &seen); err != nil {
			return err
		} else if ok {
			return api.Refuse(api.ErrInvalidDPoPProof, "the proof was used before (its jti is not new)")
		}
		if err := tx.ForgetRecords(now.Add(-ProofWindow)); err != nil {
			return err
		}
		return tx.PutRecord(kindProof, key, true, iat.Add(2*ProofWindow))
	})
}

// OtherApp returns the credential the vendor application app holds on a
// device where it signed in, as the fixture's Native SSO session of app
// says: a device secret and an ID token the portal issues now, for a demo
// or a test to put in the device's store. An expired session's device
// secret is refused by SSOSignIn, as an expired sign-in would be.
func (p *Portal) OtherApp(ctx context.Context, app string) (actions.Credential, error) {
	var s SSOSession
	var apps []string
	for _, x := range p.sso {
		if x.App == app {
			s = x
		}
		apps = append(apps, x.App)
	}
	if s.App == "" {
		return actions.Credential{}, fmt.Errorf("%w %q (it has: %s)", ErrNoSuchApp, app, strings.Join(apps, ", "))
	}
	var out actions.Credential
	err := p.update(ctx, "", nil, nil, func(tx Tx) error {
		acc, _, err := tx.Account(normEmail(s.Account))
		if err != nil {
			return err
		}
		sid := "sso-" + app
		if err := tx.PutRecord(kindSSO, sid, ssoRecord{Account: acc.Email}, s.Expires); err != nil {
			return err
		}
		ds, err := p.seal(sealedToken{Kind: "ds", ID: sid, Account: acc.Email, Exp: s.Expires.Unix()})
		if err != nil {
			return err
		}
		issued := s.SavedAt
		if issued.IsZero() {
			issued = p.now()
		}
		id, err := p.sign(typID, idClaims{
			Claims: jwt.Claims{Issuer: p.issuer, Subject: acc.Email, Audience: jwt.Audience{app},
				Expiry: jwt.NewNumericDate(issued.Add(p.set.AccessTokenTTL)), IssuedAt: jwt.NewNumericDate(issued)},
			Email: acc.Email, AuthTime: issued.Unix(), SID: sid, DSHash: halfHash(ds),
		})
		out = actions.Credential{App: app, Account: acc.Email, Country: acc.Country, SavedAt: s.SavedAt,
			Tokens: actions.Tokens{Issuer: p.issuer, IDToken: id, DeviceSecret: ds}}
		return err
	})
	return out, err
}

// ErrNoSuchApp is wrapped by OtherApp's error for an application the
// fixture has no Native SSO session of.
var ErrNoSuchApp = errors.New("the fixture has no Native SSO session of")

// SessionClient returns the client that opened the sign-in session
// ticket: a request that goes on with a session need not name its client
// again (the draft's section 5.1).
func (p *Portal) SessionClient(ctx context.Context, ticket string) (string, bool) {
	var client string
	ok := false
	p.update(ctx, "", nil, nil, func(tx Tx) error {
		t, found, err := tx.Ticket(hashOf(ticket))
		if err == nil && found && ticket != "" {
			client, ok = t.Client, true
		}
		return err
	})
	return client, ok
}
