package portaltest

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// OldDemoSecret is the public constant the demo portal keyed its device
// tokens' MACs with before it spoke OAuth: a token forged with it made a
// device look connected. Kept here only to forge such tokens in tests.
const OldDemoSecret = "tether-demo-portal-secret"

// ForgeOldToken returns a device token in the old format, for account,
// with a MAC made with OldDemoSecret: what an attacker could forge.
func ForgeOldToken(account string) string {
	body := "tok-0123456789abcdef01234567-" + strconv.FormatInt(Start.Unix(), 36)
	m := hmac.New(sha256.New, []byte(OldDemoSecret))
	m.Write([]byte(body + "\x00" + account))
	return body + "-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// forgeries returns tokens an attacker could present instead of the real
// access token real, by what they are.
func forgeries(t *testing.T, real string) map[string]string {
	t.Helper()
	parts := strings.Split(real, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a compact JWS: %d parts", len(parts))
	}
	var header, claims map[string]any
	decode := func(s string, v any) {
		data, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || json.Unmarshal(data, v) != nil {
			t.Fatalf("the access token's parts do not decode")
		}
	}
	decode(parts[0], &header)
	decode(parts[1], &claims)
	enc := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	altered := map[string]any{}
	for k, v := range claims {
		altered[k] = v
	}
	altered["sub"] = "solo@example.com"
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(opts *jose.SignerOptions, key jose.JSONWebKey) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, opts.WithType("at+jwt"))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign([]byte(mustJSON(t, claims)))
		if err != nil {
			t.Fatal(err)
		}
		out, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	kid, _ := header["kid"].(string)
	return map[string]string{
		"a made-up token": "tok-made-up",
		"a device token forged with the old public key": ForgeOldToken("free@example.com"),
		"an altered token":                 parts[0] + "." + enc(altered) + "." + parts[2],
		"a token with alg none":            enc(map[string]any{"alg": "none", "typ": "at+jwt"}) + "." + parts[1] + ".",
		"a token signed by an unknown key": sign(&jose.SignerOptions{}, jose.JSONWebKey{Key: priv, KeyID: kid}),
		"a token carrying its own key":     sign(&jose.SignerOptions{EmbedJWK: true}, jose.JSONWebKey{Key: priv}),
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// FlipSignatureBit returns the compact JWS tok with one bit of its
// signature flipped: a token altered by a byte, which no verifier may
// accept. (Changing the last characters instead would sometimes change
// nothing: they may already be what is written, and the last one carries
// padding bits a decoder ignores.) tok is returned as it is when it is not
// a compact JWS.
func FlipSignatureBit(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return tok
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return tok
	}
	sig[0] ^= 1
	return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
}
