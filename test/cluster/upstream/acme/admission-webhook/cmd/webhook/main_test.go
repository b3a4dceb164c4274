package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	webhook "github.com/acme/admission-webhook"
)

// writeCert writes a self-signed serving certificate for 127.0.0.1 as tls.crt / tls.key into dir.
func writeCert(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "webhook"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// GIVEN the server started on a port with a certificate directory WHEN a pod review with the refuse label and
// one without are posted over HTTPS (verifying the certificate) THEN the first is refused, the second allowed.
func TestServeOverHTTPS(t *testing.T) {
	dir := t.TempDir()
	cert := writeCert(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, dir, log.New(io.Discard, "", 0)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + ln.Addr().String() + webhook.Path

	for _, c := range []struct {
		labels  map[string]string
		allowed bool
	}{{map[string]string{webhook.RefuseLabel: "true"}, false}, {map[string]string{"app": "ok"}, true}} {
		pod, _ := json.Marshal(map[string]any{"metadata": map[string]any{"name": "p", "labels": c.labels}})
		body, _ := json.Marshal(webhook.AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview",
			Request: &webhook.AdmissionRequest{UID: "uid-1", Kind: webhook.GroupVersionKind{Version: "v1", Kind: "Pod"},
				Namespace: "ns", Operation: "CREATE", Object: pod}})
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out webhook.AdmissionReview
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || out.Response == nil {
			t.Fatalf("labels %v: %v, %+v", c.labels, err, out)
		}
		if out.Response.Allowed != c.allowed || out.Response.UID != "uid-1" {
			t.Errorf("labels %v: allowed=%v uid=%q, want allowed=%v", c.labels, out.Response.Allowed, out.Response.UID, c.allowed)
		}
	}
}

func TestMissingCertificateFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := serve(context.Background(), ln, t.TempDir(), log.New(io.Discard, "", 0)); err == nil {
		t.Fatal("serve started without tls.crt/tls.key")
	}
}
