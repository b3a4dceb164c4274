package apiserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// controlPlane is an etcd and a kube-apiserver that listen on 127.0.0.1 only and keep their state in a
// temporary directory, and a kube-controller-manager running the resource-quota controller only (controllers_test.go).
// Nothing else of a cluster runs: no other controller, no scheduler, no kubelet.
type controlPlane struct {
	dir    string
	procs  []*process
	config *rest.Config // an admin (system:masters) client
}

type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once the process has exited
}

// startControlPlane starts etcd and kube-apiserver from binDir and waits until the API server is ready.
// On error everything started so far is stopped again.
func startControlPlane(ctx context.Context, binDir string) (_ *controlPlane, err error) {
	dir, err := os.MkdirTemp("", "apiserver-tier-")
	if err != nil {
		return nil, err
	}
	cp := &controlPlane{dir: dir}
	defer func() {
		if err != nil {
			cp.stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	host := fmt.Sprintf("https://127.0.0.1:%d", ports[2])

	etcd, err := cp.start("etcd", filepath.Join(binDir, "etcd"),
		"--name=tier", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=tier="+peerURL, "--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return nil, err
	}

	// Serving certificate (self-signed CA plus leaf, the CA doubles as the client's trust root), the
	// service-account signing key, and a bearer token for an admin in system:masters.
	servingCert, servingKey, err := cert.GenerateSelfSignedCertKey("127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1)}, nil)
	if err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := keyutil.MarshalPrivateKeyToPEM(saKey)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(secret)
	files := map[string][]byte{
		"serving.crt": servingCert,
		"serving.key": servingKey,
		"sa.key":      saKeyPEM,
		"tokens.csv":  []byte(token + `,admin,admin,"system:masters"` + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}

	apiserver, err := cp.start("kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[2]),
		"--tls-cert-file="+filepath.Join(dir, "serving.crt"), "--tls-private-key-file="+filepath.Join(dir, "serving.key"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer="+host,
		"--service-account-key-file="+filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none", // newer versions refuse a loopback address in the kubernetes Service's endpoints
		"--allow-privileged=true")         // as kubeadm and OpenShift clusters run
	if err != nil {
		return nil, err
	}

	cp.config = &rest.Config{
		Host:            host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: servingCert},
		QPS:             100,
		Burst:           200,
	}
	client, err := kubernetes.NewForConfig(cp.config)
	if err != nil {
		return nil, err
	}
	var lastErr, exited error
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, p := range []*process{etcd, apiserver} {
			select {
			case <-p.done:
				exited = p.exited()
				return false, exited
			default:
			}
		}
		_, lastErr = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return lastErr == nil, nil
	})
	if exited != nil {
		return nil, exited
	} else if err != nil {
		return nil, fmt.Errorf("kube-apiserver did not become ready: %w (last answer: %v)\n%s", err, lastErr, apiserver.tail())
	}
	if err := cp.startControllerManager(binDir, host, servingCert, token); err != nil {
		return nil, err
	}
	return cp, nil
}

// start runs a program with its output in <dir>/<name>.log.
func (cp *controlPlane) start(name, path string, args ...string) (*process, error) {
	p := &process{name: name, log: filepath.Join(cp.dir, name+".log"), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// The kernel kills the process when the test binary dies, however it ends (panic, timeout, SIGKILL).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	cp.procs = append(cp.procs, p)
	return p, nil
}

// stop ends the processes in reverse order (SIGTERM, then SIGKILL after 15 s) and deletes the directory.
func (cp *controlPlane) stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		p := cp.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	cp.procs = nil
	_ = os.RemoveAll(cp.dir)
}

func (p *process) exited() error {
	return fmt.Errorf("%s exited: %s\n%s", p.name, p.cmd.ProcessState, p.tail())
}

// tail returns the last lines of the process's log, for error messages.
func (p *process) tail() string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Sprintf("--- last lines of %s ---\n%s", p.log, strings.Join(lines, "\n"))
}

// freePorts returns n distinct TCP ports that are free on 127.0.0.1 right now.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(errors.New("no free port on 127.0.0.1"), err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
