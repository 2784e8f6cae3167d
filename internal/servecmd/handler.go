package servecmd

import (
	"net/http"

	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/web"
)

// serveHandler is tether serve's handler: the web pages at / and under
// /web/, the API (and its health, metrics and OpenAPI document) at every
// other path.
func serveHandler(api *httpapi.Server, pages *web.Pages) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	pages.Register(mux)
	return mux
}
