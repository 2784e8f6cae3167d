package policy

// OverlayKeys returns the keys of an overlay file's top level, as the
// loader accepts them: the overlay's JSON Schema is generated from them
// (internal/schema).
func OverlayKeys() []string { return append([]string(nil), topKeys...) }

// RegionPattern is what a region's name is (DefaultRegion aside, which is
// reserved).
func RegionPattern() string { return regionRE.String() }
