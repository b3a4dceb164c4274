package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func review(t *testing.T, h http.Handler, body string) (*http.Response, AdmissionReview) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body)))
	var out AdmissionReview
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("response is not JSON: %v\n%s", err, rec.Body.String())
		}
	}
	return rec.Result(), out
}

func podReview(uid string, labels map[string]string) string {
	pod, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "p", "namespace": "team", "labels": labels}})
	b, _ := json.Marshal(AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Request: &AdmissionRequest{
		UID: uid, Kind: GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "team", Name: "p", Operation: "CREATE", Object: pod}})
	return string(b)
}

func TestPodWithTheLabelIsRefused(t *testing.T) {
	resp, out := review(t, Handler(nil), podReview("u-1", map[string]string{RefuseLabel: "yes", "app": "x"}))
	if resp.StatusCode != http.StatusOK || out.Response == nil {
		t.Fatalf("status %d, response %+v", resp.StatusCode, out.Response)
	}
	if out.Response.Allowed || out.Response.UID != "u-1" {
		t.Fatalf("response %+v: want refused, uid u-1", out.Response)
	}
	if out.Response.Result == nil || out.Response.Result.Code != http.StatusForbidden ||
		!strings.Contains(out.Response.Result.Message, RefuseLabel) || !strings.Contains(out.Response.Result.Message, "team/p") {
		t.Errorf("status %+v: want 403 naming the label and the pod", out.Response.Result)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Errorf("apiVersion/kind %q/%q not echoed", out.APIVersion, out.Kind)
	}
}

func TestOtherPodsAreAllowed(t *testing.T) {
	for _, labels := range []map[string]string{nil, {"app": "x"}, {"admission.acme.io/other": "yes"}} {
		_, out := review(t, Handler(nil), podReview("u-2", labels))
		if out.Response == nil || !out.Response.Allowed || out.Response.UID != "u-2" || out.Response.Result != nil {
			t.Errorf("labels %v: response %+v, want allowed", labels, out.Response)
		}
	}
}

func TestNotAPodIsAllowed(t *testing.T) {
	resp := Review(&AdmissionRequest{UID: "u-3", Kind: GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Object: json.RawMessage(`{"metadata":{"labels":{"admission.acme.io/refuse":"x"}}}`)})
	if !resp.Allowed {
		t.Errorf("a Deployment was refused: %+v", resp)
	}
	if resp := Review(&AdmissionRequest{UID: "u-4", Kind: GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: "DELETE"}); !resp.Allowed {
		t.Errorf("a DELETE without object was refused: %+v", resp)
	}
}

func TestBadRequests(t *testing.T) {
	h := Handler(nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", rec.Code)
	}
	for _, body := range []string{"not json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, Path, bytes.NewBufferString(body)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("POST %q: %d, want 400", body, rec.Code)
		}
	}
	// A pod object that cannot be read is refused with 400, not allowed by accident.
	resp := Review(&AdmissionRequest{UID: "u-5", Kind: GroupVersionKind{Version: "v1", Kind: "Pod"}, Object: json.RawMessage(`[1]`)})
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusBadRequest {
		t.Errorf("unreadable pod: %+v", resp)
	}
}
