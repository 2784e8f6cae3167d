package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/tetherflow/tether/catalog"
)

type reloadInput struct {
	Authorization string `header:"Authorization" hidden:"true"`
}

type reloadOutput struct {
	Body *catalog.Changes
}

// reload reloads the flows for an admin: 200 with what changed, or 422
// with the new set's problems when it was refused.
func (s *Server) reload(ctx context.Context, in *reloadInput) (*reloadOutput, error) {
	if s.cfg.Reload == nil {
		return nil, problem(http.StatusForbidden, CodeAdminDisabled, "this server takes no admin requests: start it with TETHER_ADMIN_TOKEN set (or reload it with SIGHUP)")
	}
	if p := s.checkAdmin(in.Authorization); p != nil {
		return nil, p
	}
	ch, err := s.cfg.Reload(ctx)
	if ch != nil && !ch.Applied {
		p := problem(http.StatusUnprocessableEntity, CodeReloadRefused, "the flows have problems; the ones loaded before keep serving")
		p.Errors = ch.Errors
		return nil, p
	}
	if err != nil {
		return nil, s.fail(ctx, err, nil)
	}
	return &reloadOutput{Body: ch}, nil
}

// checkAdmin returns the Problem for an admin request whose Authorization
// does not carry the admin token; nil when it does.
func (s *Server) checkAdmin(authorization string) *Problem {
	if s.cfg.AdminToken == "" {
		return problem(http.StatusForbidden, CodeAdminDisabled, "this server takes no admin requests: start it with TETHER_ADMIN_TOKEN set (or reload it with SIGHUP)")
	}
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
		return problem(http.StatusUnauthorized, CodeAdminRequired, "present the server's admin token: Authorization: Bearer TOKEN")
	}
	return nil
}
