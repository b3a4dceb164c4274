package healthcheck

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestCheckFollowsTheServingStatus(t *testing.T) {
	s, err := Listen("127.0.0.1:0", "orders")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	for _, tc := range []struct {
		serving bool
		want    string
	}{{true, "SERVING"}, {false, "NOT_SERVING"}, {true, "SERVING"}} {
		s.SetServing("orders", tc.serving)
		got, err := Check(ctx, s.Addr(), "orders")
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("serving=%v: Check = %q, want %q", tc.serving, got, tc.want)
		}
	}
	if got, err := Check(ctx, s.Addr(), ""); err != nil || got != "SERVING" {
		t.Errorf("the whole server: Check = %q, %v; want SERVING", got, err)
	}
}

func TestCheckRefusesAnUnknownService(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Check(ctx, s.Addr(), "nope"); !errors.Is(err, ErrUnknownService) {
		t.Fatalf("Check(nope) = %v, want ErrUnknownService", err)
	}
}

func TestSelfTest(t *testing.T) {
	var out bytes.Buffer
	if err := SelfTest(context.Background(), &out, "orders", "payments"); err != nil {
		t.Fatal(err)
	}
	want := "(server) SERVING\norders SERVING\npayments SERVING\n"
	if out.String() != want {
		t.Fatalf("SelfTest wrote %q, want %q", out.String(), want)
	}
}
