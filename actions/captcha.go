package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

func captchaNew(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "captcha.new",
			Doc:    "Hands out a new CAPTCHA challenge; its answer goes with the next portal.sign_in.",
			Remote: true,
			Outputs: []engine.Param{
				output("captcha_id", value.String, "identifies the challenge to portal.sign_in"),
				output("challenge", value.String, "the text the person must answer, in the portal's words"),
				output("question", value.Map, "the same as a message, for a prompt's {{ }}: the portal's message id (portal.captcha.plus) and its parameters, said in the person's language"),
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
			return result("ready", "captcha_id", ch.ID, "challenge", ch.Text, "question", ch.Message.Value(ch.Text)), nil
		},
	}
}
