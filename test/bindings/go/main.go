// The Go app of the bindings tier (test/bindings/run.sh): the environments of test/bindings/app.ts, declared
// through the Go bindings, as a Go user of cdk8s writes them.
//
//	go run . <outdir> <error-file>
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-go-remote/cdk8s-go-remote-go/cdk8sgoremote"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2"
	"github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2/k8s"
)

const (
	alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop"
	bob   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHnZ5lq9DYcB4QIw9u3M8ohgo+ChIEKOaVtCuOEpDpvA bob@desktop"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run . <outdir> <error-file>")
		os.Exit(2)
	}
	outdir, errorFile := os.Args[1], os.Args[2]
	defer jsii.Close()

	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(outdir)})

	// 1. The smallest environment: keys, a repository, the chart's namespace.
	basic := cdk8s.NewChart(app, jsii.String("basic"), &cdk8s.ChartProps{Namespace: jsii.String("dev")})
	cdk8sgoremote.NewGoRemoteEnvironment(basic, jsii.String("alice"), &cdk8sgoremote.GoRemoteEnvironmentProps{
		AuthorizedKeys: jsii.Strings(alice),
		Git:            &cdk8sgoremote.GitRepository{Url: jsii.String("https://github.com/acme/widget.git"), Ref: jsii.String("main")},
	})

	// 2. Operator development: node access built by static factory and method calls, programs with enums
	//    and optional props, a map, the workspace (a cdk8s Size), another exposure.
	operator := cdk8s.NewChart(app, jsii.String("operator"), nil)
	op := cdk8sgoremote.NewGoRemoteEnvironment(operator, jsii.String("op"), &cdk8sgoremote.GoRemoteEnvironmentProps{
		AuthorizedKeys:  jsii.Strings(alice, bob),
		Name:            jsii.String("op-dev"),
		Namespace:       jsii.String("operators"),
		Image:           jsii.String("registry.example.com/team/go-remote:1.2.3"),
		ImagePullPolicy: cdk8splus27.ImagePullPolicy_ALWAYS,
		Git: &cdk8sgoremote.GitRepository{
			Url:          jsii.String("https://github.com/acme/widget-operator.git"),
			CheckoutPath: jsii.String("example.com/acme/operator"),
		},
		Programs: &[]*cdk8sgoremote.Program{
			{
				Name: jsii.String("manager"), Command: jsii.String("go run ./cmd/manager"), Port: jsii.Number(8080),
				Autorestart: cdk8sgoremote.AutoRestart_NEVER, Environment: &map[string]*string{"LOG_LEVEL": jsii.String("debug")},
			},
			{
				Name: jsii.String("metrics"), Command: jsii.String("/usr/local/bin/metrics-proxy"), Port: jsii.Number(9090),
				Expose: jsii.Bool(false), Autostart: jsii.Bool(false),
			},
		},
		NodeAccess: cdk8sgoremote.NodeAccess_Privileged().
			WithHostPid().
			WithCapabilities(jsii.String("SYS_PTRACE"), jsii.String("NET_ADMIN")).
			WithHostPath(&cdk8sgoremote.HostPathMount{
				Path: jsii.String("/var/run/crio/crio.sock"), MountPath: jsii.String("/var/run/crio/crio.sock"),
				Type: cdk8sgoremote.HostPathType_SOCKET, ReadOnly: jsii.Bool(false),
			}),
		Exposure: cdk8sgoremote.ServiceExposure_NodePort(),
		Workspace: &cdk8sgoremote.WorkspaceOptions{
			Size: cdk8s.Size_Gibibytes(jsii.Number(50)), StorageClassName: jsii.String("fast"), AccessMode: cdk8sgoremote.WorkspaceAccessMode_READ_WRITE_ONCE_POD,
		},
		Env: &map[string]*string{
			"CGO_ENABLED": jsii.String("0"),
			"GOFLAGS":     jsii.String("-mod=mod"),
			"GOPRIVATE":   jsii.String("example.com/*"),
		},
	})
	// Reading the construct back across the boundary: a ConfigMap (cdk8s-plus-27 L1) built from its properties.
	checkoutPath := ""
	if op.CheckoutPath() != nil {
		checkoutPath = *op.CheckoutPath()
	}
	k8s.NewKubeConfigMap(operator, jsii.String("connection"), &k8s.KubeConfigMapProps{
		Metadata: &k8s.ObjectMeta{Name: jsii.String("op-dev-connection"), Namespace: op.Namespace()},
		Data: &map[string]*string{
			"name":         op.Name(),
			"sshUser":      op.SshUser(),
			"sshPort":      jsii.String(fmt.Sprint(*op.SshPort())),
			"checkoutPath": jsii.String(checkoutPath),
			"nodeAccess":   op.NodeAccess().Settings().Name,
			"service":      op.Service().Name(),
		},
	})

	// 3. OpenShift without node access, inside the cluster only.
	openshift := cdk8s.NewChart(app, jsii.String("openshift"), &cdk8s.ChartProps{Namespace: jsii.String("team-a")})
	cdk8sgoremote.NewGoRemoteEnvironment(openshift, jsii.String("carol"), &cdk8sgoremote.GoRemoteEnvironmentProps{
		AuthorizedKeys: jsii.Strings(bob),
		Platform:       cdk8sgoremote.Platform_OPENSHIFT,
		NodeAccess:     cdk8sgoremote.NodeAccess_None(),
		Exposure:       cdk8sgoremote.ServiceExposure_ClusterIp(),
		Workspace:      &cdk8sgoremote.WorkspaceOptions{Size: cdk8s.Size_Gibibytes(jsii.Number(20))},
	})

	app.Synth()

	// Bad input crosses the boundary as the library's own message. Two problems at once: both must arrive.
	message := badEnvironment()
	if message == "" {
		fmt.Fprintln(os.Stderr, "the bad environment was accepted")
		os.Exit(1)
	}
	if err := os.WriteFile(errorFile, []byte(message+"\n"), 0o644); err != nil {
		panic(err)
	}
}

// badEnvironment declares an environment with two problems and returns the message of the panic the
// constructor raises ("" if it returns).
func badEnvironment() (message string) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok {
				message = err.Error()
			} else {
				message = fmt.Sprint(r)
			}
		}
	}()
	chart := cdk8s.NewChart(cdk8s.NewApp(nil), jsii.String("bad"), nil)
	cdk8sgoremote.NewGoRemoteEnvironment(chart, jsii.String("bad"), &cdk8sgoremote.GoRemoteEnvironmentProps{
		AuthorizedKeys: jsii.Strings(alice),
		Name:           jsii.String("Bad_Name"),
		Programs: &[]*cdk8sgoremote.Program{
			{Name: jsii.String("server"), Command: jsii.String("go run ."), Port: jsii.Number(2222)},
		},
	})
	return ""
}
