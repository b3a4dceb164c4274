package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return gitEnv(t, dir, nil, args...)
}

func gitEnv(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+t.TempDir(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// GIVEN a bare repository under the root WHEN it is cloned over HTTPS, with and without .git, with protocol v0
// and v2 THEN the clone holds the commit; a missing repository, a path outside the root and a push are refused.
func TestCloneOverHTTPS(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not on PATH")
	}
	root := t.TempDir()
	work := t.TempDir()
	git(t, work, "init", "-q", "-b", "main", ".")
	if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, work, "add", "hello.txt")
	git(t, work, "commit", "-q", "-m", "first")
	want := git(t, work, "rev-parse", "HEAD")
	git(t, root, "clone", "-q", "--bare", work, filepath.Join(root, "acme", "widget.git"))

	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(newHandler(root, gitPath))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ path, protocol string }{
		{"/acme/widget.git", "version=0"}, {"/acme/widget.git", "version=2"}, {"/acme/widget", "version=2"},
	} {
		dest := filepath.Join(t.TempDir(), "clone")
		// GIT_SSL_CAINFO (not http.sslCAInfo, which that variable overrides): only the test server's certificate.
		gitEnv(t, t.TempDir(), []string{"GIT_SSL_CAINFO=" + ca},
			"-c", "protocol.version="+strings.TrimPrefix(c.protocol, "version="), "clone", "-q", srv.URL+c.path, dest)
		if got := git(t, dest, "rev-parse", "HEAD"); got != want {
			t.Errorf("clone of %s (%s): HEAD %s, want %s", c.path, c.protocol, got, want)
		}
		if b, err := os.ReadFile(filepath.Join(dest, "hello.txt")); err != nil || string(b) != "hello\n" {
			t.Errorf("clone of %s: hello.txt %q, %v", c.path, b, err)
		}
	}

	client := srv.Client()
	for path, status := range map[string]int{
		"/acme/missing.git/info/refs?service=git-upload-pack": http.StatusNotFound,
		"/acme/widget.git/info/refs?service=git-receive-pack": http.StatusForbidden,
		"/acme/widget.git/info/refs?service=git-upload-pack":  http.StatusOK,
		"/widget.git/info/refs?service=git-upload-pack":       http.StatusNotFound,
		"/healthz": http.StatusOK,
	} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, status)
		}
	}
}

func TestRepoPath(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "acme", "widget.git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "acme", "widget.git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/acme/widget.git/info/refs":   "/acme/widget.git/info/refs",
		"/acme/widget/git-upload-pack": "/acme/widget.git/git-upload-pack",
		"/acme/widget.git":             "",
		"/acme/widget.git/":            "",
		"/acme/.git/info/refs":         "",
		"/../acme/widget.git/HEAD":     "",
		"/acme/widget.git/a/../../x":   "",
		"/acme/other.git/info/refs":    "",
	} {
		got, ok := repoPath(root, in)
		if got != want || ok != (want != "") {
			t.Errorf("repoPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
