package actions

import (
	"context"
	"fmt"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/engine/value"
)

func consentRecord(p Ports) engine.Action {
	return &action{
		spec: engine.Spec{
			Name:   "consent.record",
			Doc:    "Records, on the sign-in ticket, that the account holder accepted a document in a given version.",
			Remote: true,
			Params: []engine.Param{
				ticket("the sign-in ticket the acceptance was given in", true),
				param("account", value.String, "the account accepting"),
				param("document", value.String, "the document accepted, e.g. data-provisioning"),
				param("version", value.String, "the version of the document shown"),
				param("region", value.String, "the region whose rules required it"),
				param("accepted_at", value.Time, "when the person accepted"),
			},
			Outputs: []engine.Param{
				output("consent_id", value.String, "identifies the recorded acceptance (recorded)"),
				output("reason", value.String, "why the portal refused it, in its words (refused)"),
				output("refusal", value.Map, "the same as a message, for a {{ }} or a message's parameter: the portal's message id and parameters, said in the person's language (refused)"),
			},
			// refused: the sign-in ticket expired, was used, or is not the
			// account's.
			Outcomes: []string{"recorded", "refused"},
		},
		run: func(ctx context.Context, c *call) (engine.Result, error) {
			if err := needPort(p.Consent == nil, "ConsentLog"); err != nil {
				return engine.Result{}, err
			}
			cs := Consent{
				Account:    c.str("account", ""),
				Document:   c.str("document", ""),
				Version:    c.str("version", ""),
				Region:     c.str("region", ""),
				AcceptedAt: c.time("accepted_at"),
			}
			for _, name := range []string{"account", "document", "version", "region"} {
				if c.str(name, "") == "" {
					return engine.Result{}, fmt.Errorf("%w: parameter %s is empty", ErrArgs, name)
				}
			}
			if cs.AcceptedAt.IsZero() {
				return engine.Result{}, fmt.Errorf("%w: parameter accepted_at is the zero time", ErrArgs)
			}
			rec, err := p.Consent.RecordConsent(ctx, c.str("ticket", ""), cs)
			if err != nil {
				return engine.Result{}, fmt.Errorf("record consent to %s %s: %w", cs.Document, cs.Version, err)
			}
			if !rec.Recorded {
				reason, msg := rec.Reason, rec.ReasonMessage
				if reason == "" {
					reason, msg = "the portal refused the consent", PortalText{ID: "consent.refused"}
				}
				return result("refused", "reason", reason, "refusal", msg.Value(reason)), nil
			}
			return result("recorded", "consent_id", rec.ID), nil
		},
	}
}
