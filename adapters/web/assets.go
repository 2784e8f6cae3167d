package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"path"
	"time"
)

// The templates and the assets are part of the binary: no build step, no
// files to deploy beside it.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed assets
	assetFS embed.FS
)

// parseTemplates parses the page templates, with funcs: render clones
// them with the words of the page's locale.
func parseTemplates(funcs template.FuncMap) (*template.Template, error) {
	return template.New("page.html").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
}

// assetTypes are the content types of the assets, by extension.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// asset is GET /web/assets/{name}: the style sheet, the script, the icon.
// They are revalidated (their ETag is a hash of their content), so a new
// binary's are used at once.
func (p *Pages) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctype, ok := assetTypes[path.Ext(name)]
	data, err := assetFS.ReadFile("assets/" + name)
	if !ok || err != nil {
		p.fail(w, r, http.StatusNotFound, "not_found")
		return
	}
	sum := sha256.Sum256(data)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}
