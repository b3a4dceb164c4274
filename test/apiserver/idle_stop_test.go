package apiserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// idleStopScript is the image's script, run here as it runs in the container (bash, kubectl on PATH).
const idleStopScript = "../../images/go-remote/go-remote-idle-stop"

// TestIdleStopScript runs the image's idle-stop script with a real ServiceAccount token of an environment
// that has `idleStop`, against this API server. An SSH session is simulated by a real TCP connection to a
// listener on the port the script watches (GO_REMOTE_SSH_PORT; the script reads the real /proc/net/tcp).
// While the connection is open the Deployment must keep its replica; once it closes, the script must scale
// the Deployment to 0 with the token alone (its Role allows deployments/scale of that one name) and exit 0.
// With another Deployment's name the same token must be refused.
func TestIdleStopScript(t *testing.T) {
	ctx := testCtx
	scenarioObjects, deploymentObj := findIdleStopScenario(t)
	deployment := deploymentObj.GetName()
	saName, _, _ := unstructured.NestedString(deploymentObj.Object, "spec", "template", "spec", "serviceAccountName")
	kubectl := filepath.Join(*binDir, "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("no kubectl in %s (tools/k8s/build.sh builds it): %v", *binDir, err)
	}

	// The scenario's identity, Role, binding and Deployment, in a namespace of this test's own, so that what
	// the script does cannot disturb TestScenarios' re-apply checks.
	const ns = "idle-stop-script"
	for _, obj := range scenarioObjects {
		kind := obj.GetKind()
		if kind != "ServiceAccount" && kind != "Role" && kind != "RoleBinding" && kind != "Deployment" {
			continue
		}
		obj = obj.DeepCopy()
		obj.SetNamespace(ns)
		if kind == "RoleBinding" {
			subjects, _, _ := unstructured.NestedSlice(obj.Object, "subjects")
			for _, s := range subjects {
				s.(map[string]any)["namespace"] = ns
			}
			_ = unstructured.SetNestedSlice(obj.Object, subjects, "subjects")
		}
		if _, _, err := testCluster.apply(ctx, obj, "idle-stop-test"); err != nil {
			t.Fatalf("applying %s: %v", describe(obj), err)
		}
	}
	replicas := func() int32 {
		t.Helper()
		scale, err := testCluster.client.AppsV1().Deployments(ns).GetScale(ctx, deployment, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("reading the scale of deployment/%s: %v", deployment, err)
		}
		return scale.Spec.Replicas
	}
	if r := replicas(); r != 1 {
		t.Fatalf("deployment/%s starts with %d replicas, expected 1", deployment, r)
	}

	// What the kubelet would mount: a token bound to the ServiceAccount, the cluster's CA, the namespace.
	expiration := int64(600)
	tr, err := testCluster.client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, saName,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiration}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token for %s: %v", saName, err)
	}
	apiURL := testCluster.client.Discovery().RESTClient().Get().URL()
	caPEM := servingCertificate(t, apiURL.Host)
	saDir := t.TempDir()
	for name, data := range map[string]string{"token": tr.Status.Token, "ca.crt": caPEM, "namespace": ns} {
		if err := os.WriteFile(filepath.Join(saDir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	apiHost, apiPort, err := net.SplitHostPort(apiURL.Host)
	if err != nil {
		t.Fatal(err)
	}

	// The "SSH server": a listener on the port the script watches; no session yet.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	sshPort := listener.Addr().(*net.TCPAddr).Port

	run := func(name string) (*exec.Cmd, *syncBuffer) {
		out := &syncBuffer{}
		cmd := exec.CommandContext(ctx, "bash", idleStopScript)
		cmd.Env = []string{
			"PATH=" + *binDir + ":/usr/bin:/bin",
			"HOME=" + t.TempDir(),
			"GO_REMOTE_IDLE_STOP_SECONDS=3",
			"GO_REMOTE_IDLE_STOP_INTERVAL_SECONDS=1",
			"GO_REMOTE_IDLE_STOP_DEPLOYMENT=" + name,
			fmt.Sprintf("GO_REMOTE_SSH_PORT=%d", sshPort),
			"GO_REMOTE_SERVICE_ACCOUNT_DIR=" + saDir,
			"GO_REMOTE_RUN_DIR=" + t.TempDir(),
			"KUBERNETES_SERVICE_HOST=" + apiHost,
			"KUBERNETES_SERVICE_PORT=" + apiPort,
		}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, out
	}

	// 1. No session, and another Deployment's name: the token may not scale it.
	other, otherOut := run("not-" + deployment)
	waitFor(t, otherOut, "scaling failed", 60*time.Second)
	_ = other.Process.Kill()
	_ = other.Wait()
	if !strings.Contains(otherOut.String(), "forbidden") {
		t.Errorf("scaling another Deployment failed, but not as forbidden:\n%s", otherOut)
	}
	t.Logf("another Deployment's name, refused:\n%s", otherOut)

	// 2. Its own Deployment, with a session open for twice the idle period: nothing happens.
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := listener.Accept(); err == nil {
			accepted <- c
		}
	}()
	client, err := net.Dial("tcp", listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	cmd, out := run(deployment)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, out, "SSH sessions open: 1", 20*time.Second)
	select {
	case err := <-done:
		t.Fatalf("the script ended while a session was open (%v):\n%s", err, out)
	case <-time.After(6 * time.Second):
	}
	if r := replicas(); r != 1 {
		t.Fatalf("deployment/%s has %d replicas while a session is open, expected 1:\n%s", deployment, r, out)
	}

	// 3. The session ends: within the idle period plus a few checks the Deployment is at 0, and the script
	//    has exited 0.
	closed := time.Now()
	client.Close()
	server.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the script failed: %v\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the script did not stop the environment within 60 s of the last session:\n%s", out)
	}
	if r := replicas(); r != 0 {
		t.Fatalf("deployment/%s has %d replicas after the script ended, expected 0:\n%s", deployment, r, out)
	}
	// Never sooner than the idle period after the session ended (less one second: bash's clock counts whole
	// seconds), and not much later either.
	elapsed := time.Since(closed)
	if elapsed < 2*time.Second || elapsed > 30*time.Second {
		t.Errorf("scaled to 0 %.1f s after the session closed; expected 3 s (idle) to 4 s (+ one check) plus kubectl's time", elapsed.Seconds())
	}
	t.Logf("scaled to 0 %.1f s after the session closed (idle period 3 s, checks every 1 s):\n%s", elapsed.Seconds(), out)
}

// findIdleStopScenario returns the objects of the first scenario with a Deployment that runs idle stop,
// and that Deployment (whose name the construct passes to the script).
func findIdleStopScenario(t *testing.T) ([]*unstructured.Unstructured, *unstructured.Unstructured) {
	t.Helper()
	for _, dir := range filepath.SplitList(*scenarioDirs) {
		scenarios, err := loadScenarios(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scenarios {
			for _, obj := range s.objects {
				if obj.GetKind() != "Deployment" {
					continue
				}
				containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
				for _, c := range containers {
					env, _, _ := unstructured.NestedSlice(c.(map[string]any), "env")
					for _, e := range env {
						e := e.(map[string]any)
						if e["name"] == "GO_REMOTE_IDLE_STOP_DEPLOYMENT" {
							if e["value"] != obj.GetName() {
								t.Fatalf("%s: GO_REMOTE_IDLE_STOP_DEPLOYMENT is %v, not the Deployment's own name", describe(obj), e["value"])
							}
							return s.objects, obj
						}
					}
				}
			}
		}
	}
	t.Fatal("no scenario has a Deployment with idle stop (GO_REMOTE_IDLE_STOP_DEPLOYMENT): test/apiserver/scenarios.ts must write one")
	return nil, nil
}

// servingCertificate returns the API server's serving certificate, PEM-encoded. The tier's server uses a
// self-signed certificate, which is also the trust root its clients are given.
func servingCertificate(t *testing.T, hostPort string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", hostPort, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the certificate only
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		t.Fatal("the API server presented no certificate")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[len(certs)-1].Raw}))
}

// waitFor waits until out contains text, or fails after timeout.
func waitFor(t *testing.T, out *syncBuffer, text string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx, timeout)
	defer cancel()
	for !strings.Contains(out.String(), text) {
		select {
		case <-ctx.Done():
			t.Fatalf("the script did not print %q within %s:\n%s", text, timeout, out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestIdleStopScriptUnreachableAPIServer runs the image's idle-stop script with the real kubectl against a
// closed port: it must write a kubeconfig that names the token file (never the token itself, mode 0600),
// report each failed attempt and keep trying rather than exit. (Moved here from the unit tier, which needs no
// Kubernetes build: this tier builds kubectl anyway.)
func TestIdleStopScriptUnreachableAPIServer(t *testing.T) {
	dir := t.TempDir()
	saDir := filepath.Join(dir, "sa")
	if err := os.Mkdir(saDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"token": "not-a-real-token", "ca.crt": "not-a-real-ca", "namespace": "team"} {
		if err := os.WriteFile(filepath.Join(saDir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close() // a port nothing listens on

	out := &syncBuffer{}
	cmd := exec.CommandContext(testCtx, "bash", idleStopScript)
	cmd.Env = []string{
		"PATH=" + *binDir + ":/usr/bin:/bin", // the pinned kubectl first
		"HOME=" + dir,
		"GO_REMOTE_IDLE_STOP_SECONDS=1",
		"GO_REMOTE_IDLE_STOP_INTERVAL_SECONDS=1",
		"GO_REMOTE_IDLE_STOP_DEPLOYMENT=alice",
		"GO_REMOTE_SSH_PORT=1",
		"GO_REMOTE_SERVICE_ACCOUNT_DIR=" + saDir,
		"GO_REMOTE_RUN_DIR=" + dir,
		"KUBERNETES_SERVICE_HOST=127.0.0.1",
		fmt.Sprintf("KUBERNETES_SERVICE_PORT=%d", port),
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-done }()

	deadline := time.After(30 * time.Second)
	for strings.Count(out.String(), "scaling failed; trying again") < 2 {
		select {
		case err := <-done:
			t.Fatalf("the script exited (%v) instead of trying again:\n%s", err, out)
		case <-deadline:
			t.Fatalf("no two failed attempts within 30 s:\n%s", out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "scaling deployment/alice to 0 replicas") {
		t.Errorf("the script did not say what it scales:\n%s", out)
	}
	kubeconfigPath := filepath.Join(dir, "idle-stop.kubeconfig")
	kubeconfig, err := os.ReadFile(kubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("tokenFile: %q", saDir+"/token"),
		fmt.Sprintf("server: \"https://127.0.0.1:%d\"", port),
		`namespace: "team"`,
	} {
		if !strings.Contains(string(kubeconfig), want) {
			t.Errorf("the kubeconfig lacks %s:\n%s", want, kubeconfig)
		}
	}
	if strings.Contains(string(kubeconfig), "not-a-real-token") {
		t.Errorf("the kubeconfig holds the token itself:\n%s", kubeconfig)
	}
	if info, err := os.Stat(kubeconfigPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the kubeconfig's mode is %v (%v), expected 0600", info.Mode().Perm(), err)
	}
}
