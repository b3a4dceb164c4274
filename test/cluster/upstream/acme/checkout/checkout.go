// Package checkout is the stand-in for github.com/acme/checkout (examples/service-behind-network-policies.ts).
package checkout

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Line is one item of a basket, its price in cents.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Cents    int    `json:"cents"`
}

// Total is the basket's sum in cents.
func Total(lines []Line) (int, error) {
	total := 0
	for i, l := range lines {
		if l.Quantity <= 0 || l.Cents < 0 {
			return 0, fmt.Errorf("line %d (%s): quantity must be positive and price not negative", i, l.SKU)
		}
		total += l.Quantity * l.Cents
	}
	return total, nil
}

// Handler answers POST /checkout with {"total": cents} and GET /healthz with ok.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		var lines []Line
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&lines) != nil {
			http.Error(w, "POST a JSON list of lines", http.StatusBadRequest)
			return
		}
		total, err := Total(lines)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int{"total": total})
	})
	return mux
}
