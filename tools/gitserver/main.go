// Command gitserver serves the bare Git repositories under a directory over smart HTTP (read only: clone and
// fetch) with TLS, as `git http-backend` behind Go's CGI handler. The cluster tier runs it on the node's
// address, port 443, with a certificate for github.com signed by the tier's CA, so that the URLs the examples
// name (https://github.com/<org>/<repo>.git) are cloned unmodified.
//
//	gitserver --root <dir> --listen 127.0.0.1:8443 --cert tls.crt --key tls.key [--ready-file <path>]
//
// <dir>/<org>/<repo>.git is served as https://<host>/<org>/<repo>.git (and /<org>/<repo>, as GitHub does).
// Standard library only; it needs git on PATH (or --git).
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
	"net/http/cgi"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	root := flag.String("root", "", "directory holding <org>/<repo>.git bare repositories (required)")
	listen := flag.String("listen", "127.0.0.1:8443", "address to listen on")
	certFile := flag.String("cert", "", "TLS certificate (PEM, chain allowed) (required)")
	keyFile := flag.String("key", "", "TLS private key (PEM) (required)")
	gitBin := flag.String("git", "git", "the git program")
	readyFile := flag.String("ready-file", "", "written with the listening address once the server accepts connections")
	flag.Parse()
	if *root == "" || *certFile == "" || *keyFile == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*root, *listen, *certFile, *keyFile, *gitBin, *readyFile); err != nil {
		log.Fatalf("gitserver: %v", err)
	}
}

func run(root, listen, certFile, keyFile, gitBin, readyFile string) error {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	if st, err := os.Stat(absRoot); err != nil || !st.IsDir() {
		return fmt.Errorf("--root %s is not a directory", root)
	}
	git, err := exec.LookPath(gitBin)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           logged(newHandler(absRoot, git)),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
	}
	log.Printf("gitserver: serving %s on https://%s", absRoot, ln.Addr())
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

// newHandler returns the smart-HTTP handler: git http-backend as a CGI program, for repositories under root.
func newHandler(root, git string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("service") == "git-receive-pack" || strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			http.Error(w, "this server is read only", http.StatusForbidden)
			return
		}
		path, ok := repoPath(root, r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		env := []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}
		if p := r.Header.Get("Git-Protocol"); p != "" {
			env = append(env, "GIT_PROTOCOL="+p) // protocol v2, as git's documentation configures Apache
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = path
		h := &cgi.Handler{
			Path: git,
			Args: []string{"http-backend"},
			Env:  env,
			// cgi.Handler passes PATH_INFO = URL path minus Root; git http-backend resolves it under GIT_PROJECT_ROOT.
			Root:   "/",
			Stderr: os.Stderr,
		}
		h.ServeHTTP(w, r2)
	})
	return mux
}

// repoPath maps a request path to the path git http-backend is given: /<org>/<repo>[.git]/<rest> becomes
// /<org>/<repo>.git/<rest> when <root>/<org>/<repo>.git is a bare repository. Anything else (.., other depths,
// a missing repository) is not found.
func repoPath(root, urlPath string) (string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(urlPath, "/"), "/", 3)
	if len(parts) < 3 || parts[2] == "" {
		return "", false
	}
	org, repo, rest := parts[0], strings.TrimSuffix(parts[1], ".git"), parts[2]
	for _, s := range []string{org, repo} {
		if s == "" || s == "." || s == ".." || strings.HasPrefix(s, ".") {
			return "", false
		}
	}
	for _, s := range strings.Split(rest, "/") {
		if s == ".." {
			return "", false
		}
	}
	dir := filepath.Join(root, org, repo+".git")
	if st, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	return "/" + org + "/" + repo + ".git/" + rest, true
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
		log.Printf("%s %s %s?%s %d %s", r.RemoteAddr, r.Method, r.URL.Path, r.URL.RawQuery, sw.status, time.Since(start).Round(time.Millisecond))
	})
}
