package explore

// CoveringPaths picks paths that together take every branch any of the
// given paths takes: greedily, the path that takes the most branches not
// yet taken, the shorter on a tie, then the earlier. It returns their
// indexes in ascending order. Taking every branch means every outcome that
// has a handler, every timer and every state a branch goes to.
func CoveringPaths(paths []Path) []int {
	left := map[BranchKey]bool{}
	for _, p := range paths {
		for _, b := range p.Branches {
			left[b] = true
		}
	}
	var picked []int
	used := make([]bool, len(paths))
	for len(left) > 0 {
		best, bestGain := -1, 0
		for i, p := range paths {
			if used[i] {
				continue
			}
			gain := 0
			for _, b := range p.Branches {
				if left[b] {
					gain++
				}
			}
			if gain > bestGain || (gain == bestGain && gain > 0 && len(p.Steps) < len(paths[best].Steps)) {
				best, bestGain = i, gain
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		picked = append(picked, best)
		for _, b := range paths[best].Branches {
			delete(left, b)
		}
	}
	out := picked[:0:0]
	for i := range paths {
		if used[i] {
			out = append(out, i)
		}
	}
	return out
}
