// Package suggest finds the known name a misspelt one was meant to be, for
// the "did you mean" of an error message.
package suggest

import "strings"

// Closest returns the name in known that name was most likely meant to be:
// the one fewest edits away (insertions, deletions, substitutions,
// ignoring case), if that is at most a third of name's length (at least 1),
// or else the one sharing the longest start with name, if that start is at
// least two thirds of name (and 4 letters): "" when none is close.
func Closest(name string, known []string) string {
	best, bestDist := "", -1
	limit := max(1, len(name)/3)
	for _, k := range known {
		d := distance(strings.ToLower(name), strings.ToLower(k))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	bestLen := max(4, (2*len(name)+2)/3) - 1
	for _, k := range known {
		if n := commonPrefix(strings.ToLower(name), strings.ToLower(k)); n > bestLen {
			best, bestLen = k, n
		}
	}
	return best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// DidYouMean returns " (did you mean X?)" for the closest name, or "".
func DidYouMean(name string, known []string, prefix string) string {
	if c := Closest(name, known); c != "" {
		return " (did you mean " + prefix + c + "?)"
	}
	return ""
}

// distance is the Levenshtein distance between a and b, over bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
