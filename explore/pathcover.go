package explore

// CoveringPaths picks paths that together take every branch any of the
// given paths takes: greedily, the path that takes the most branches not
// yet taken, the shorter on a tie, then the earlier. It returns their
// indexes in ascending order. Taking every branch means every outcome that
// has a handler, every timer and every state a branch goes to.
func CoveringPaths(paths []Path) []int {
	// The greedy loop looks at every branch of every path once per pick:
	// number the branches once, so that it compares small ints, not keys
	// of three strings.
	ids := map[BranchKey]int32{}
	n := 0
	for i := range paths {
		n += len(paths[i].Branches)
	}
	all := make([]int32, 0, n)
	taken := make([][]int32, len(paths))
	for i := range paths {
		start := len(all)
		for _, b := range paths[i].Branches {
			id, ok := ids[b]
			if !ok {
				id = int32(len(ids))
				ids[b] = id
			}
			all = append(all, id)
		}
		taken[i] = all[start:len(all):len(all)]
	}
	left := make([]bool, len(ids))
	for i := range left {
		left[i] = true
	}
	nleft := len(ids)
	var picked []int
	used := make([]bool, len(paths))
	for nleft > 0 {
		best, bestGain := -1, 0
		for i, bs := range taken {
			if used[i] {
				continue
			}
			gain := 0
			for _, b := range bs {
				if left[b] {
					gain++
				}
			}
			if gain > bestGain || (gain == bestGain && gain > 0 && len(paths[i].Steps) < len(paths[best].Steps)) {
				best, bestGain = i, gain
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		picked = append(picked, best)
		for _, b := range taken[best] {
			if left[b] {
				left[b] = false
				nleft--
			}
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
