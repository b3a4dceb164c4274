package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/healthcheck"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestSelfTestCommand(t *testing.T) {
	out, err := run(t, "selftest", "--service", "orders,payments")
	if err != nil {
		t.Fatalf("selftest: %v\n%s", err, out)
	}
	if want := "(server) SERVING\norders SERVING\npayments SERVING\n"; out != want {
		t.Fatalf("selftest printed %q, want %q", out, want)
	}
}

func TestCheckCommand(t *testing.T) {
	s, err := healthcheck.Listen("127.0.0.1:0", "orders")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	out, err := run(t, "check", "--addr", s.Addr(), "--service", "orders", "--timeout", (10 * time.Second).String())
	if err != nil || out != "SERVING\n" {
		t.Fatalf("check of a serving service: %q, %v", out, err)
	}
	s.SetServing("orders", false)
	out, err = run(t, "check", "--addr", s.Addr(), "--service", "orders")
	if err == nil || !strings.HasPrefix(out, "NOT_SERVING\n") {
		t.Fatalf("check of a service that is not serving: %q, %v; want NOT_SERVING and an error", out, err)
	}
	if _, err := run(t, "check", "--addr", s.Addr(), "--service", "unknown"); err == nil {
		t.Fatal("check of an unknown service succeeded")
	}
}

func TestConfigFileAndEnvironment(t *testing.T) {
	config := filepath.Join(t.TempDir(), "healthcheck.yaml")
	if err := os.WriteFile(config, []byte("service:\n  - orders\n  - payments\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "selftest", "--config", config)
	if err != nil || out != "(server) SERVING\norders SERVING\npayments SERVING\n" {
		t.Fatalf("selftest with services from a config file: %q, %v", out, err)
	}
	t.Setenv("HEALTHCHECK_SERVICE", "billing")
	out, err = run(t, "selftest", "--config", config)
	if err != nil || out != "(server) SERVING\nbilling SERVING\n" {
		t.Fatalf("the environment over the config file: %q, %v", out, err)
	}
	out, err = run(t, "selftest", "--config", config, "--service", "audit")
	if err != nil || out != "(server) SERVING\naudit SERVING\n" {
		t.Fatalf("a flag over the environment: %q, %v", out, err)
	}
}
