// Command webhook serves the pod validating webhook over HTTPS.
//
//	webhook --port=9443 --cert-dir=<dir>   # <dir>/tls.crt and <dir>/tls.key, as cert-manager's Secret holds them
//
// The certificate is read again when its files change (cert-manager renews it in place).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	webhook "github.com/acme/admission-webhook"
)

func main() {
	port := flag.Int("port", 9443, "HTTPS port")
	bind := flag.String("bind-address", "", "address to listen on (all addresses when empty)")
	certDir := flag.String("cert-dir", "", "directory holding tls.crt and tls.key (required)")
	flag.Parse()
	if *certDir == "" {
		fmt.Fprintln(os.Stderr, "webhook: --cert-dir is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "webhook: ", log.LstdFlags)
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, fmt.Sprint(*port)))
	if err != nil {
		logger.Fatal(err)
	}
	if err := serve(ctx, ln, *certDir, logger); err != nil {
		logger.Fatal(err)
	}
}

// serve answers on ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, certDir string, logger *log.Logger) error {
	certs := &certLoader{crt: filepath.Join(certDir, "tls.crt"), key: filepath.Join(certDir, "tls.key")}
	if _, err := certs.get(nil); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, webhook.Handler(logger))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") })
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{GetCertificate: certs.get, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Printf("serving %s on https://%s", webhook.Path, ln.Addr())
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// certLoader keeps the key pair, reloading it when either file's modification time changes.
type certLoader struct {
	crt, key string
	mu       sync.Mutex
	stamp    string
	cert     *tls.Certificate
}

func (c *certLoader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	stamp := ""
	for _, f := range []string{c.crt, c.key} {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		stamp += st.ModTime().String() + fmt.Sprint(st.Size())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert == nil || stamp != c.stamp {
		cert, err := tls.LoadX509KeyPair(c.crt, c.key)
		if err != nil {
			return nil, err
		}
		c.cert, c.stamp = &cert, stamp
	}
	return c.cert, nil
}
