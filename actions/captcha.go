package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
)

func captchaNew(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "captcha.new",
			Doc:  "Hands out a new captcha challenge.",
			Outputs: []engine.Param{
				output("captcha_id", engine.String, "identifies the challenge to captcha.check"),
				output("challenge", engine.String, "the text the person must answer"),
			},
			Outcomes: []string{"ready"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Captcha == nil, "Captcha"); err != nil {
				return engine.Result{}, err
			}
			ch, err := p.Captcha.NewChallenge(ctx)
			if err != nil {
				return engine.Result{}, fmt.Errorf("new challenge: %w", err)
			}
			return result("ready", "captcha_id", ch.ID, "challenge", ch.Text), nil
		},
	}
}

func captchaCheck(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name: "captcha.check",
			Doc:  "Checks the answer to a captcha challenge; a challenge can be answered once.",
			Params: []engine.Param{
				param("captcha_id", engine.String, "the challenge, from captcha.new"),
				param("answer", engine.String, "the person's answer"),
			},
			Outcomes: []string{"ok", "wrong"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Captcha == nil, "Captcha"); err != nil {
				return engine.Result{}, err
			}
			ok, err := p.Captcha.CheckAnswer(ctx, c.str("captcha_id", ""), c.str("answer", ""))
			if err != nil {
				return engine.Result{}, fmt.Errorf("check answer: %w", err)
			}
			if ok {
				return result("ok"), nil
			}
			return result("wrong"), nil
		},
	}
}
