package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

func smsSend(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "sms.send",
			Doc:    "Has the portal send a new code to the account's phone, replacing any previous code.",
			Remote: true,
			Params: []engine.Param{
				ticket("the sign-in ticket, from portal.sign_in", true),
			},
			Outputs: []engine.Param{
				output("phone_masked", value.String, "the phone the code went to, masked (sent)"),
				output("expires_in", value.Duration, "how long the code is valid (sent)"),
				output("wait", value.Duration, "how long until a new code may be sent (too_soon)"),
			},
			// limit also covers a ticket that can take no more codes at
			// all (expired, blocked or already authorised).
			Outcomes: []string{"sent", "too_soon", "limit"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			d, err := p.Portal.SendCode(ctx, c.str("ticket", ""))
			if err != nil {
				return engine.Result{}, fmt.Errorf("send code: %w", err)
			}
			switch d.Status {
			case SendSent:
				return result("sent", "phone_masked", d.PhoneMasked, "expires_in", d.ExpiresIn), nil
			case SendTooSoon:
				return result("too_soon", "wait", d.Wait), nil
			}
			return result("limit"), nil
		},
	}
}

func smsCheck(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "sms.check",
			Doc:    "Checks a code sent by SMS; a right code authorises the ticket.",
			Remote: true,
			Params: []engine.Param{
				ticket("the sign-in ticket, from portal.sign_in", true),
				secret("code", "the code the person entered"),
			},
			Outputs: []engine.Param{
				output("attempts_left", value.Int, "how many more codes may be tried (wrong)"),
			},
			// blocked also covers a ticket that is otherwise dead.
			Outcomes: []string{"ok", "wrong", "expired", "blocked"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Portal == nil, "Portal"); err != nil {
				return engine.Result{}, err
			}
			chk, err := p.Portal.CheckCode(ctx, c.str("ticket", ""), c.str("code", ""))
			if err != nil {
				return engine.Result{}, fmt.Errorf("check code: %w", err)
			}
			switch chk.Status {
			case CheckOK:
				return result("ok"), nil
			case CheckWrong:
				return result("wrong", "attempts_left", chk.AttemptsLeft), nil
			case CheckExpired:
				return result("expired"), nil
			}
			return result("blocked"), nil
		},
	}
}
