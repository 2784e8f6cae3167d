package schema

import "github.com/tetherflow/tether/ui"

// catalogSchema is the schema of a catalog file (docs/locales.md): a
// locale and its messages by id, keyed as ui.CatalogKeys says.
func catalogSchema() (obj, error) {
	props := obj{
		"locale": obj{"type": "string", "pattern": `^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`,
			"description": "the catalog's locale, a BCP 47 tag written as its file is named (de, fr, pt-BR)"},
		"messages": mapOf("the locale's messages, by message id (connect.sign_in.text)",
			obj{"pattern": `^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`}, messageSchema()),
	}
	if err := checkKeys("catalog", ui.CatalogKeys(), props); err != nil {
		return nil, err
	}
	top := object("A Tether catalog: one locale's messages (docs/locales.md). tether validate also checks them against the flows: every message translated, the same placeholders, the plural forms the locale needs.",
		props, "locale", "messages")
	top["title"] = "Tether catalog"
	return top, nil
}
