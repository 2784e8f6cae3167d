// Package actions is Tether's action library: the steps a connect flow runs
// with `run: NAME` (credentials.sign_in, portal.sign_in, captcha.new,
// sms.send, consent.record, license.activate, account.create, ...).
//
// Each action declares its parameters, outputs and outcomes in an
// engine.Spec, checks the kinds of the arguments it is called with, and talks
// to the outside world only through the small port interfaces declared in
// ports.go. Adapters (the demo portal and its HTTP client, the credential store)
// implement the ports; the wiring in cmd/ passes them in a Ports value:
//
//	reg, err := actions.Registry(actions.Ports{
//		Portal:      portal,
//		Licences:    portal,
//		Accounts:    portal,
//		Consent:     portal,
//		Captcha:     portal,
//		Credentials: credstore.New(path),
//		Now:         clock.Now,
//	})
//
// Expected refusals (a wrong password, a wrong code, a licence that is not
// the account's) are outcomes; an action returns a Go error only when it
// cannot be carried out (a port that fails or is not configured, arguments of
// the wrong kind). Secrets — passwords, codes, device tokens — never appear
// in an error message or in an output that is not declared Secret: every
// action redacts the secrets it handled from both before returning.
//
// Every output an action declares is present in every Result it returns;
// outputs an outcome does not define hold their kind's zero value.
package actions
