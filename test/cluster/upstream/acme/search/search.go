// Package search is the stand-in for github.com/acme/search (examples/fleet-argocd.ts, search team): a tiny
// inverted index.
package search

import (
	"sort"
	"strings"
	"unicode"
)

// Index maps words to the documents that contain them.
type Index map[string]map[string]bool

// Add indexes a document's text under its id.
func (ix Index) Add(id, text string) {
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if ix[w] == nil {
			ix[w] = map[string]bool{}
		}
		ix[w][id] = true
	}
}

// Query returns, sorted, the ids of the documents holding every word of q.
func (ix Index) Query(q string) []string {
	var result map[string]bool
	for _, w := range strings.Fields(strings.ToLower(q)) {
		next := map[string]bool{}
		for id := range ix[w] {
			if result == nil || result[id] {
				next[id] = true
			}
		}
		result = next
	}
	ids := make([]string, 0, len(result))
	for id := range result {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
