package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// writeFile writes content to dir/name, creating the directories.
func writeFile(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = root.Close() })
	return root
}

func get(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestServesTheModuleCacheLayout(t *testing.T) {
	// GIVEN a module cache download directory with a module whose path has upper-case letters (escaped)
	dir := t.TempDir()
	m := "github.com/!burnt!sushi/toml/@v/"
	writeFile(t, dir, m+"list", []byte("v1.2.0\n"))
	writeFile(t, dir, m+"v1.2.0.info", []byte(`{"Version":"v1.2.0","Time":"2024-01-01T00:00:00Z"}`))
	writeFile(t, dir, m+"v1.2.0.mod", []byte("module github.com/BurntSushi/toml\n"))
	writeFile(t, dir, m+"v1.2.0.zip", []byte("PK-not-really"))
	writeFile(t, dir, m+"v1.2.0.lock", nil)
	writeFile(t, dir, m+"v1.2.0.ziphash", []byte("h1:x"))
	writeFile(t, dir, m+"v1.2.0.zip.partial", []byte("x"))
	writeFile(t, dir, "sumdb/sum.golang.org/supported", nil)
	writeFile(t, dir, "github.com/x/.hidden/@v/v1.0.0.mod", []byte("module github.com/x/.hidden\n"))
	srv := httptest.NewServer(newHandler(openRoot(t, dir)))
	defer srv.Close()

	// THEN list, .info, .mod and .zip are served with their media types
	for _, tc := range []struct{ path, ctype, body string }{
		{m + "list", "text/plain; charset=utf-8", "v1.2.0\n"},
		{m + "v1.2.0.info", "application/json", `{"Version":"v1.2.0","Time":"2024-01-01T00:00:00Z"}`},
		{m + "v1.2.0.mod", "text/plain; charset=utf-8", "module github.com/BurntSushi/toml\n"},
		{m + "v1.2.0.zip", "application/zip", "PK-not-really"},
	} {
		code, h, body := get(t, http.MethodGet, srv.URL+"/"+tc.path)
		if code != http.StatusOK || h.Get("Content-Type") != tc.ctype || body != tc.body {
			t.Errorf("GET /%s = %d %q %q; want 200 %q %q", tc.path, code, h.Get("Content-Type"), body, tc.ctype, tc.body)
		}
	}
	// AND HEAD gives the length without a body
	if code, h, body := get(t, http.MethodHead, srv.URL+"/"+m+"v1.2.0.zip"); code != http.StatusOK ||
		h.Get("Content-Length") != "13" || body != "" {
		t.Errorf("HEAD .zip = %d, length %q, body %q", code, h.Get("Content-Length"), body)
	}
	if code, _, body := get(t, http.MethodGet, srv.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}

	// AND nothing else is: the cache's own files, @latest, sumdb, unescaped or hidden paths, traversal
	for _, p := range []string{
		m + "v1.2.0.lock", m + "v1.2.0.ziphash", m + "v1.2.0.zip.partial",
		"github.com/!burnt!sushi/toml/@latest",
		"sumdb/sum.golang.org/supported",
		"github.com/BurntSushi/toml/@v/v1.2.0.mod",
		"github.com/x/.hidden/@v/v1.0.0.mod",
		m + "../../../../etc/passwd", "github.com/../../etc/@v/v1.0.0.mod", m + "%2e%2e/v1.2.0.mod",
		m + "1.2.0.mod", m, "", "github.com/!burnt!sushi/toml/@v/sub/v1.2.0.mod",
	} {
		if code, _, _ := get(t, http.MethodGet, srv.URL+"/"+p); code != http.StatusNotFound {
			t.Errorf("GET /%s = %d, want 404", p, code)
		}
	}
	// AND it is read only
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if code, h, _ := get(t, method, srv.URL+"/"+m+"v1.2.0.mod"); code != http.StatusMethodNotAllowed ||
			h.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s = %d (Allow %q), want 405", method, code, h.Get("Allow"))
		}
	}
}

func TestNoSymbolicLinkLeadsOutOfTheRoot(t *testing.T) {
	// GIVEN a file outside the root and links to it (a file and a directory) inside
	outside := t.TempDir()
	writeFile(t, outside, "secret.mod", []byte("secret"))
	writeFile(t, outside, "@v/v1.0.0.mod", []byte("secret"))
	dir := t.TempDir()
	writeFile(t, dir, "example.com/a/@v/v1.0.0.info", []byte("{}"))
	if err := os.Symlink(filepath.Join(outside, "secret.mod"), filepath.Join(dir, "example.com/a/@v/v1.0.0.mod")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "example.com/b")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(openRoot(t, dir)))
	defer srv.Close()
	// THEN neither is followed
	for _, p := range []string{"example.com/a/@v/v1.0.0.mod", "example.com/b/@v/v1.0.0.mod"} {
		if code, _, body := get(t, http.MethodGet, srv.URL+"/"+p); code != http.StatusNotFound {
			t.Errorf("GET /%s = %d %q, want 404", p, code, body)
		}
	}
}

// hash1 is the go.sum hash ("h1:") of the files, as golang.org/x/mod/sumdb/dirhash.Hash1 computes it:
// the SHA-256 of the lines "<sha256 hex>  <name>\n" for the files sorted by name.
func hash1(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	summary := sha256.New()
	for _, name := range names {
		_, _ = fmt.Fprintf(summary, "%x  %s\n", sha256.Sum256(files[name]), name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil))
}

// publish writes module@version in the proxy layout under dir (list, .info, .mod, .zip) and returns its two
// go.sum lines. greeting is what its Hello returns.
func publish(t *testing.T, dir, module, version, greeting string) string {
	t.Helper()
	goMod := []byte("module " + module + "\n\ngo 1.21\n")
	files := map[string][]byte{
		module + "@" + version + "/go.mod":   goMod,
		module + "@" + version + "/greet.go": []byte("package greet\n\nfunc Hello() string { return " + fmt.Sprintf("%q", greeting) + " }\n"),
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	v := module + "/@v/"
	writeFile(t, dir, v+"list", []byte(version+"\n"))
	writeFile(t, dir, v+version+".info", []byte(`{"Version":"`+version+`","Time":"2025-01-01T00:00:00Z"}`))
	writeFile(t, dir, v+version+".mod", goMod)
	writeFile(t, dir, v+version+".zip", zipped.Bytes())
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", module, version, hash1(files), module, version,
		hash1(map[string][]byte{"go.mod": goMod}))
}

// goCommand runs the real go command in dir with the proxy as the only module source: an empty module cache,
// no GOFLAGS but -modcacherw, the default checksum database (unreachable: every other HTTPS request goes to a
// proxy that refuses connections), the server's certificate as the only trusted one, and no go env file.
func goCommand(t *testing.T, dir, proxyURL, certFile, modCache string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOENV=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOFLAGS=-modcacherw",
		"GOPROXY="+proxyURL, "GOSUMDB=", "GONOSUMDB=", "GONOSUMCHECK=", "GOPRIVATE=", "GONOPROXY=", "GOINSECURE=",
		"GOMODCACHE="+modCache, "GOPATH="+filepath.Join(filepath.Dir(modCache), "gopath"),
		"SSL_CERT_FILE="+certFile, "SSL_CERT_DIR=",
		"HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1", "NO_PROXY=127.0.0.1",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTheGoCommandBuildsFromTheProxyWithGoSumAlone(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	// GIVEN a proxy root with example.com/greet v1.0.0 and an HTTPS server for it
	dir := t.TempDir()
	sums := publish(t, dir, "example.com/greet", "v1.0.0", "hello from the proxy")
	var mu sync.Mutex
	var requests []string
	handler := newHandler(openRoot(t, dir))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	certFile := filepath.Join(t.TempDir(), "server.crt")
	writeFile(t, filepath.Dir(certFile), "server.crt",
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	// AND a main module that requires it, with its go.sum
	app := t.TempDir()
	writeFile(t, app, "go.mod", []byte("module example.com/app\n\ngo 1.21\n\nrequire example.com/greet v1.0.0\n"))
	writeFile(t, app, "go.sum", []byte(sums))
	writeFile(t, app, "main.go", []byte("package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n"))

	// WHEN the go command builds it with an empty module cache
	modCache := filepath.Join(t.TempDir(), "mod")
	out, err := goCommand(t, app, srv.URL, certFile, modCache, "build", "-o", "app", ".")
	if err != nil {
		t.Fatalf("go build through the proxy failed: %v\n%s", err, out)
	}
	// THEN the program is built from the proxy's module, with no checksum database asked
	got, err := exec.Command(filepath.Join(app, "app")).Output()
	if err != nil || string(got) != "hello from the proxy\n" {
		t.Fatalf("the built program printed %q (%v)", got, err)
	}
	mu.Lock()
	joined := strings.Join(requests, " ")
	mu.Unlock()
	for _, want := range []string{"/example.com/greet/@v/v1.0.0.mod", "/example.com/greet/@v/v1.0.0.zip"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the go command did not request %s (requests: %s)", want, joined)
		}
	}
	if strings.Contains(joined, "/sumdb/") {
		t.Errorf("the go command asked the proxy for a checksum database: %s", joined)
	}

	// AND a module that does not match go.sum is refused, whatever the proxy serves
	_ = publish(t, dir, "example.com/greet", "v1.0.0", "tampered")
	out, err = goCommand(t, app, srv.URL, certFile, filepath.Join(t.TempDir(), "mod"), "build", "-o", "app", ".")
	if err == nil || !strings.Contains(out, "SECURITY ERROR") {
		t.Fatalf("a tampered module was not refused: %v\n%s", err, out)
	}
}
