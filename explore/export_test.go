package explore

// FullKeys makes Paths key configurations by every variable, live or not,
// and by the clock itself: the search as it was before keys left out dead
// variables and the clock.
func FullKeys(o *PathOptions) { o.fullKeys = true }
