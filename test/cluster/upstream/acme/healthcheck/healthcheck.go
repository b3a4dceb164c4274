// Package healthcheck serves and queries the standard gRPC health service (grpc.health.v1.Health).
package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Server is a gRPC server that answers the health service for the services it was given.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
	lis    net.Listener
}

// Listen starts a health server on addr (e.g. "127.0.0.1:0"). Every named service starts SERVING, as does
// the server as a whole (the empty service name).
func Listen(addr string, services ...string) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{grpc: grpc.NewServer(), health: health.NewServer(), lis: lis}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	for _, svc := range services {
		s.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	go func() { _ = s.grpc.Serve(lis) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// SetServing marks a service SERVING or NOT_SERVING.
func (s *Server) SetServing(service string, serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(service, st)
}

// Stop stops the server and closes its listener.
func (s *Server) Stop() {
	s.health.Shutdown()
	s.grpc.Stop()
}

// ErrUnknownService is returned by Check for a service the server does not know.
var ErrUnknownService = errors.New("unknown service")

// Check asks the health service at addr for the status of service ("" for the whole server) and returns
// the status name, e.g. "SERVING" or "NOT_SERVING".
func Check(ctx context.Context, addr, service string) (string, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if status.Code(err) == codes.NotFound {
		return "", fmt.Errorf("%w %q at %s", ErrUnknownService, service, addr)
	}
	if err != nil {
		return "", err
	}
	return resp.GetStatus().String(), nil
}

// SelfTest starts a server on the loopback interface with the given services, checks each of them and the
// server as a whole, writes one line per check to w and stops the server.
func SelfTest(ctx context.Context, w io.Writer, services ...string) error {
	s, err := Listen("127.0.0.1:0", services...)
	if err != nil {
		return err
	}
	defer s.Stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, svc := range append([]string{""}, services...) {
		st, err := Check(ctx, s.Addr(), svc)
		if err != nil {
			return err
		}
		name := svc
		if name == "" {
			name = "(server)"
		}
		if _, err := fmt.Fprintf(w, "%s %s\n", name, st); err != nil {
			return err
		}
	}
	return nil
}
