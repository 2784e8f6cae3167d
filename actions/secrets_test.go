package actions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tetherflow/tether/engine"
)

// TestNoSecretLeaks runs every action that handles a secret against ports
// that echo everything they are given into their errors and answers, and
// checks that no secret reaches an error message or an output not declared
// Secret.
func TestNoSecretLeaks(t *testing.T) {
	const (
		password    = "pw-SECRET-1"
		code        = "code-SECRET-2"
		storedToken = "tok-SECRET-3"
		newToken    = "tok-LEAKED-1" // what leaky.Connect hands out
		refresh     = "rt-LEAKED-1"
		newPassword = "Acct-SECRET-44"
	)
	secrets := []string{password, code, storedToken, "id-" + storedToken, newToken, refresh, newPassword}
	calls := []struct {
		action string
		args   engine.Args
	}{
		{"credentials.sign_in", engine.Args{}},
		{"portal.sign_in", engine.Args{"email": "a@example.com", "password": password}},
		{"sms.check", engine.Args{"ticket": "t1", "code": code}},
		{"sms.send", engine.Args{"ticket": "t1"}},
		{"portal.connect", engine.Args{"ticket": "t1"}},
		{"account.create", engine.Args{"email": "a@example.com", "password": newPassword, "country": "DE"}},
		{"license.activate_free", engine.Args{"account": "a@example.com"}},
		// Wrong kinds: the message must not quote the value either.
		{"portal.sign_in", engine.Args{"email": "a@example.com", "password": []any{password}}},
		{"sms.check", engine.Args{"ticket": "t1", "code": map[string]any{"c": code}}},
	}
	for _, fail := range []bool{false, true} {
		for _, sign := range []SignInStatus{SignInOK, SignInNeedsCode, SignInDenied} {
			for _, c := range calls {
				t.Run(fmt.Sprintf("%s/fail=%v/sign=%d", c.action, fail, sign), func(t *testing.T) {
					port := &leaky{fail: fail, sign: sign}
					// The saved entry is for another account, so that
					// license.activate_free fails and reports it.
					store := &fakeStore{entries: []Credential{{App: "tether", Account: "b@example.com " + storedToken, Tokens: tokens(storedToken)}}}
					p := Ports{Portal: port, Accounts: port, Credentials: store, Now: clock}
					a := actionOf(t, p, c.action)
					spec := a.Spec()
					res, err := a.Run(t.Context(), c.args)
					if err != nil {
						for _, s := range secrets {
							if strings.Contains(err.Error(), s) {
								t.Errorf("error %q contains secret %q", err, s)
							}
						}
					}
					for name, v := range res.Outputs {
						if p, _ := spec.Output(name); p.Secret {
							continue
						}
						text := fmt.Sprint(v)
						for _, s := range secrets {
							if strings.Contains(text, s) {
								t.Errorf("output %s = %q contains secret %q", name, text, s)
							}
						}
					}
				})
			}
		}
	}
}

// TestLeakyPortProvesRedaction makes sure the leaky port really does leak,
// so that TestNoSecretLeaks can fail.
func TestLeakyPortProvesRedaction(t *testing.T) {
	_, err := (&leaky{fail: true}).PasswordSignIn(t.Context(), "a@example.com", "pw-SECRET-1", CaptchaAnswer{})
	if err == nil || !strings.Contains(err.Error(), "pw-SECRET-1") {
		t.Fatalf("leaky.PasswordSignIn error = %v, want one quoting the password", err)
	}
	_, err = runAction(t, Ports{Portal: &leaky{fail: true}}, "portal.sign_in", engine.Args{"email": "a@example.com", "password": "pw-SECRET-1"})
	if err == nil || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("portal.sign_in error = %v, want the password replaced by [redacted]", err)
	}
}
