// Package webhook is a validating admission webhook for pods: a pod carrying the label RefuseLabel is refused,
// every other pod is allowed. Standard library only: the admission.k8s.io/v1 types it needs are declared here.
package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
)

// RefuseLabel is the documented label: a pod that carries it (with any value) is refused.
const RefuseLabel = "admission.acme.io/refuse"

// Path is where the API server sends pod reviews (the ValidatingWebhookConfiguration's clientConfig path).
const Path = "/validate-v1-pod"

// AdmissionReview is admission.k8s.io/v1 AdmissionReview, with the fields this webhook reads and writes.
type AdmissionReview struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Request    *AdmissionRequest  `json:"request,omitempty"`
	Response   *AdmissionResponse `json:"response,omitempty"`
}

// GroupVersionKind names the reviewed object's kind.
type GroupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// AdmissionRequest is the part of the review the API server fills in.
type AdmissionRequest struct {
	UID       string           `json:"uid"`
	Kind      GroupVersionKind `json:"kind"`
	Namespace string           `json:"namespace,omitempty"`
	Name      string           `json:"name,omitempty"`
	Operation string           `json:"operation"`
	Object    json.RawMessage  `json:"object,omitempty"`
}

// Status is the metav1.Status carried by a refusal.
type Status struct {
	Code    int32  `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// AdmissionResponse is the webhook's answer.
type AdmissionResponse struct {
	UID     string  `json:"uid"`
	Allowed bool    `json:"allowed"`
	Result  *Status `json:"status,omitempty"`
}

type objectMeta struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Labels       map[string]string `json:"labels"`
}

// Review decides on one request.
func Review(req *AdmissionRequest) *AdmissionResponse {
	resp := &AdmissionResponse{UID: req.UID, Allowed: true}
	if req.Kind.Group != "" || req.Kind.Kind != "Pod" || len(req.Object) == 0 {
		return resp // not a pod (or a DELETE, which has no object): nothing to check
	}
	var pod struct {
		Metadata objectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(req.Object, &pod); err != nil {
		resp.Allowed = false
		resp.Result = &Status{Code: http.StatusBadRequest, Message: fmt.Sprintf("cannot read the pod: %v", err)}
		return resp
	}
	if value, ok := pod.Metadata.Labels[RefuseLabel]; ok {
		name := pod.Metadata.Name
		if name == "" {
			name = pod.Metadata.GenerateName + "*"
		}
		resp.Allowed = false
		resp.Result = &Status{Code: http.StatusForbidden, Message: fmt.Sprintf(
			"acme/admission-webhook refuses pod %s/%s: it carries the label %s=%q", req.Namespace, name, RefuseLabel, value)}
	}
	return resp
}

// Handler serves AdmissionReviews on POST: the response echoes the request's apiVersion, kind and uid.
func Handler(logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST an AdmissionReview", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var review AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, "the body is not an AdmissionReview with a request", http.StatusBadRequest)
			return
		}
		resp := Review(review.Request)
		if logger != nil {
			logger.Printf("%s %s %s/%s: allowed=%v", review.Request.Operation, review.Request.Kind.Kind,
				review.Request.Namespace, review.Request.Name, resp.Allowed)
		}
		out := AdmissionReview{APIVersion: review.APIVersion, Kind: review.Kind, Response: resp}
		if out.APIVersion == "" {
			out.APIVersion = "admission.k8s.io/v1"
		}
		if out.Kind == "" {
			out.Kind = "AdmissionReview"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}
