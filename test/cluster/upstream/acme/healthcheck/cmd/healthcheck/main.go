// Command healthcheck serves and queries the standard gRPC health service.
//
//	healthcheck serve --listen 127.0.0.1:8081 --service orders
//	healthcheck check --addr 127.0.0.1:8081 --service orders     # prints SERVING; exit 1 otherwise
//	healthcheck selftest --service orders                        # a server on loopback, checked by the client
//
// Every flag can also come from the environment (HEALTHCHECK_<FLAG>, e.g. HEALTHCHECK_LISTEN) or from a YAML
// file named by --config (keys are the flag names); a flag given on the command line wins.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/acme/healthcheck"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	v := viper.New()
	v.SetEnvPrefix("HEALTHCHECK")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	var configFile string
	root := &cobra.Command{
		Use:          "healthcheck",
		Short:        "Serve and query the gRPC health service",
		SilenceUsage: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := v.BindPFlags(cmd.Flags()); err != nil {
				return err
			}
			if configFile == "" {
				return nil
			}
			v.SetConfigFile(configFile)
			return v.ReadInConfig()
		},
	}
	root.PersistentFlags().StringVar(&configFile, "config", "", "a YAML file with flag values")
	root.AddCommand(serveCommand(v), checkCommand(v), selfTestCommand(v))
	return root
}

func serveCommand(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the health service until SIGTERM or SIGINT",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := healthcheck.Listen(v.GetString("listen"), v.GetStringSlice("service")...)
			if err != nil {
				return err
			}
			defer s.Stop()
			fmt.Fprintf(cmd.OutOrStdout(), "serving grpc.health.v1.Health on %s\n", s.Addr())
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.String("listen", "127.0.0.1:8081", "address to listen on")
	f.StringSlice("service", nil, "a service to report as SERVING (repeatable)")
	return cmd
}

func checkCommand(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Print the status of a service; exit 1 unless it is SERVING",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), v.GetDuration("timeout"))
			defer cancel()
			service := v.GetString("service")
			st, err := healthcheck.Check(ctx, v.GetString("addr"), service)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), st)
			if st != "SERVING" {
				return fmt.Errorf("%q is %s", service, st)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("addr", "127.0.0.1:8081", "the server's address")
	f.String("service", "", "the service to check (empty: the whole server)")
	f.Duration("timeout", 5*time.Second, "how long to wait for an answer")
	return cmd
}

func selfTestCommand(v *viper.Viper) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Start a server on loopback and check it with the client",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return healthcheck.SelfTest(cmd.Context(), cmd.OutOrStdout(), v.GetStringSlice("service")...)
		},
	}
	f := cmd.Flags()
	f.StringSlice("service", []string{"default"}, "services to serve and check")
	return cmd
}
