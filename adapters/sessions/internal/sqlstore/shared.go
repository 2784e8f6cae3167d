package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/tetherflow/tether/catalog"
)

// EncodeBundle is b as an archive row keeps it: JSON.
func EncodeBundle(b *catalog.Bundle) ([]byte, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("version archive: %w", err)
	}
	return data, nil
}

// DecodeBundle reads the archive row of hash, checking that it holds that
// version.
func DecodeBundle(hash string, data []byte) (*catalog.Bundle, error) {
	var b catalog.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("version archive: version %s: %w", hash, err)
	}
	if b.Hash != hash {
		return nil, fmt.Errorf("version archive: the row of version %s holds version %s", hash, b.Hash)
	}
	return &b, nil
}
