// Command goproxy serves a directory in the layout of a Go module cache's download directory
// ($GOMODCACHE/cache/download, which is exactly the GOPROXY protocol's layout) over HTTPS, read only.
// The cluster tier runs it in the cluster's network namespace on the node's address with a certificate of
// the tier CA, so that pods build with GOPROXY=https://<node IP>:8443 and no other network.
//
//	goproxy --root <dir> --listen 10.244.0.1:8443 --cert tls.crt --key tls.key [--ready-file <path>]
//
// Served (GET and HEAD; see https://go.dev/ref/mod#goproxy-protocol):
//
//	/<module>/@v/list               the versions, one a line
//	/<module>/@v/<version>.info     {"Version": ..., "Time": ...}
//	/<module>/@v/<version>.mod      the module's go.mod
//	/<module>/@v/<version>.zip      the module's zip
//
// <module> and <version> are in their escaped form (an upper-case letter is "!" and the lower-case letter),
// as the go command sends them and as the module cache stores them. Everything else is 404: @latest (the go
// command falls back to list), /sumdb/ (so the go command never learns checksums here; it has go.sum), the
// cache's own .lock, .ziphash and partial files, and any path with an element that starts with a dot. Files
// are opened through os.Root, so no path or symbolic link leads out of the root. /healthz answers ok.
// Standard library only.
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
	"path"
	"strings"
	"syscall"
	"time"
)

func main() {
	root := flag.String("root", "", "directory in the layout of $GOMODCACHE/cache/download (required)")
	listen := flag.String("listen", "127.0.0.1:8443", "address to listen on")
	certFile := flag.String("cert", "", "TLS certificate (PEM, chain allowed) (required)")
	keyFile := flag.String("key", "", "TLS private key (PEM) (required)")
	readyFile := flag.String("ready-file", "", "written with the listening address once the server accepts connections")
	flag.Parse()
	if *root == "" || *certFile == "" || *keyFile == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*root, *listen, *certFile, *keyFile, *readyFile); err != nil {
		log.Fatalf("goproxy: %v", err)
	}
}

func run(rootDir, listen, certFile, keyFile, readyFile string) error {
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return fmt.Errorf("--root: %w", err)
	}
	defer func() { _ = root.Close() }()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           logged(newHandler(root)),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
	}
	log.Printf("goproxy: serving %s on https://%s", root.Name(), ln.Addr())
	if readyFile != "" {
		if err := os.WriteFile(readyFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// contentTypes maps what may be served under @v/ to its media type.
var contentTypes = map[string]string{
	".info": "application/json",
	".mod":  "text/plain; charset=utf-8",
	".zip":  "application/zip",
}

// newHandler serves the GOPROXY protocol from root, read only.
func newHandler(root *os.Root) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "this proxy is read only", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/healthz" {
			_, _ = fmt.Fprintln(w, "ok")
			return
		}
		name, ctype, ok := fileFor(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		f, err := root.Open(name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer func() { _ = f.Close() }()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		http.ServeContent(w, r, "", st.ModTime(), f)
	})
}

// fileFor maps a request path to the file under the root that answers it, and its media type:
// /<module>/@v/list or /<module>/@v/<version>.{info,mod,zip}, with every element of <module> a valid escaped
// module path element (lower-case letters, digits, "-._~!", not starting with a dot) and <version> starting
// with "v" and holding no "/". Anything else is not served.
func fileFor(urlPath string) (name, ctype string, ok bool) {
	module, file, found := strings.Cut(strings.TrimPrefix(urlPath, "/"), "/@v/")
	if !found || module == "" || strings.Contains(file, "/") {
		return "", "", false
	}
	for _, elem := range strings.Split(module, "/") {
		if !validElement(elem) {
			return "", "", false
		}
	}
	if file == "list" {
		return module + "/@v/list", "text/plain; charset=utf-8", true
	}
	ext := path.Ext(file)
	ctype, known := contentTypes[ext]
	version := strings.TrimSuffix(file, ext)
	if !known || len(version) < 2 || version[0] != 'v' || !validElement(version) {
		return "", "", false
	}
	return module + "/@v/" + file, ctype, true
}

// validElement reports whether s is non-empty, does not start with a dot, and holds only the characters of an
// escaped module path or version: lower-case ASCII letters, digits, "-", ".", "_", "~", "!" and "+".
func validElement(s string) bool {
	if s == "" || s[0] == '.' {
		return false
	}
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.ContainsRune("-._~!+", c):
		default:
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		h.ServeHTTP(sw, r)
		log.Printf("%s %s %s %d %s", r.RemoteAddr, r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Millisecond))
	})
}
