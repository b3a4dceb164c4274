package checkout

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTotal(t *testing.T) {
	got, err := Total([]Line{{"a", 2, 150}, {"b", 1, 99}})
	if err != nil || got != 399 {
		t.Fatalf("Total = %d, %v; want 399", got, err)
	}
	if _, err := Total([]Line{{"a", 0, 1}}); err == nil {
		t.Error("a zero quantity was accepted")
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/checkout", strings.NewReader(`[{"sku":"a","quantity":3,"cents":5}]`)))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"total":15}` {
		t.Errorf("POST /checkout: %d %s", rec.Code, rec.Body.String())
	}
}
