package httpapi

// HumaOnly returns a server of s's Config whose answers all go through
// huma.
func HumaOnly(s *Server) (*Server, error) {
	h, err := New(s.cfg)
	if err != nil {
		return nil, err
	}
	h.noDirect = true
	return h, nil
}

// OnDirect has f told of each answer s answers directly.
func OnDirect(s *Server, f func()) { s.onDirect = f }
