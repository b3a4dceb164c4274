// The cluster tier's smoke test: the tier's own app (apps/smoke.ts), synthesized and applied unmodified
// with the real kubectl to the single-node cluster of cluster.sh, then reached as a user reaches it: with
// the system's OpenSSH client, `StrictHostKeyChecking yes` and only the files `cdk8s-go-remote ssh-config`
// and `known-hosts --from-cluster` write, through the kubectl-exec route, the port-forward route and the
// Service's node port. Run by run.sh inside the cluster's namespaces (cluster.sh exec), with:
//
//	KUBECONFIG, CLUSTER_NODE_IP, CLUSTER_STORAGE, CLUSTER_DNS_IP  from the cluster's env file
//	SMOKE_DIST      the directory cdk8s synth wrote
//	SMOKE_KEY       the private key whose public half the app authorizes
//	SMOKE_CLI       the cdk8s-go-remote launcher (bin/cdk8s-go-remote; needs lib/ compiled)
//	SMOKE_TLS_DIR   tls.crt/tls.key for github.com, signed by the tier CA
//	SMOKE_TIMINGS   where to write the measured times (JSON)
//	PATH            kubectl, ssh, node
package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The environment of apps/smoke.ts (NAMESPACE, NAME there).
const (
	namespace = "smoke"
	name      = "smoke"
	alias     = namespace + "-" + name // the Host alias ssh-config writes: <namespace>-<name>
)

func env(t *testing.T, key string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		t.Fatalf("%s is not set: run this test with test/cluster/run.sh", key)
	}
	return v
}

type timings map[string]float64

func (tm timings) since(key string, start time.Time) float64 {
	s := time.Since(start).Seconds()
	tm[key] = float64(int(s*10+0.5)) / 10
	return tm[key]
}

func TestSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	dist, key, cli := env(t, "SMOKE_DIST"), env(t, "SMOKE_KEY"), env(t, "SMOKE_CLI")
	nodeIP, storage := env(t, "CLUSTER_NODE_IP"), env(t, "CLUSTER_STORAGE")
	config, err := clientcmd.BuildConfigFromFlags("", env(t, "KUBECONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(config)
	work := t.TempDir()
	tm := timings{}
	defer func() {
		data, _ := json.MarshalIndent(tm, "", "  ")
		t.Logf("timings: %s", data)
		if err := os.WriteFile(env(t, "SMOKE_TIMINGS"), append(data, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}()

	// GIVEN the synthesized manifests, applied as they are, in their namespace
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	applied := time.Now()
	run(t, ctx, "kubectl", "apply", "-f", dist)

	// THEN the pod becomes Running and Ready, and its workspace claim is bound by the default StorageClass
	pod := waitPodReady(t, ctx, client, "")
	t.Logf("pod %s Ready %.1f s after kubectl apply", pod.Name, tm.since("applyToPodReadySeconds", applied))
	checkWorkspace(t, ctx, client, storage)

	// AND the host keys, read over the API with the real kubectl, and a config per route, are all that
	// OpenSSH is given
	knownHosts := filepath.Join(work, "known_hosts")
	var hostKeys string
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(context.Context) (bool, error) {
		out, err := output(ctx, cli, "known-hosts", dist, "--from-cluster")
		hostKeys = out
		return err == nil && strings.Contains(out, alias+" "), nil
	}); err != nil {
		t.Fatalf("known-hosts --from-cluster printed no host key: %v\n%s", err, hostKeys)
	}
	write(t, knownHosts, hostKeys)
	common := []string{"--identity-file", key, "--known-hosts-file", knownHosts, "--strict"}
	execConfig := filepath.Join(work, "config-exec")
	write(t, execConfig, runOut(t, ctx, cli, append([]string{"ssh-config", dist, "--route", "kubectl-exec"}, common...)...))

	// WHEN OpenSSH logs in through kubectl exec
	marker := randomText(t)
	login := sshUntil(t, ctx, execConfig, 2*time.Minute, "echo logged-in; hostname; printf %s "+marker+" > ~/smoke-marker")
	t.Logf("first SSH login %.1f s after kubectl apply (kubectl exec route)", tm.since("applyToFirstSshSeconds", applied))
	// THEN it reaches the pod's sshd
	if login != "logged-in\n"+pod.Name {
		t.Fatalf("the kubectl-exec route reached something else: %q (pod %s)", login, pod.Name)
	}

	// WHEN OpenSSH logs in through kubectl port-forward, the very command ssh-config names
	localPort := freePort(t)
	pfConfig := filepath.Join(work, "config-port-forward")
	write(t, pfConfig, runOut(t, ctx, cli, append([]string{"ssh-config", dist, "--route", "port-forward", "--local-port", fmt.Sprint(localPort)}, common...)...))
	forward := startPortForward(t, ctx, pfConfig)
	defer forward()
	// THEN the same workspace answers
	if got := sshUntil(t, ctx, pfConfig, time.Minute, "cat ~/smoke-marker"); got != marker {
		t.Fatalf("port-forward route: ~/smoke-marker holds %q, want %q", got, marker)
	}

	// WHEN OpenSSH logs in at the node IP and the Service's node port
	svc, err := client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var nodePort int32
	for _, p := range svc.Spec.Ports {
		if p.Name == "ssh" {
			nodePort = p.NodePort
		}
	}
	if nodePort == 0 {
		t.Fatalf("Service %s (type %s) has no node port for ssh: %+v", name, svc.Spec.Type, svc.Spec.Ports)
	}
	// (at the node IP, and at 127.0.0.1 of the node, where kube-proxy also serves node ports)
	for _, address := range []string{nodeIP, "127.0.0.1"} {
		npConfig := filepath.Join(work, "config-node-port-"+address)
		write(t, npConfig, runOut(t, ctx, cli, append([]string{"ssh-config", dist, "--address", address, "--port", fmt.Sprint(nodePort)}, common...)...))
		// THEN the same workspace answers
		if got := sshUntil(t, ctx, npConfig, time.Minute, "cat ~/smoke-marker"); got != marker {
			t.Fatalf("node port route at %s: ~/smoke-marker holds %q, want %q", address, got, marker)
		}
	}
	t.Logf("SSH through kubectl exec, kubectl port-forward, %s:%d and 127.0.0.1:%d (Service %s, type %s)", nodeIP, nodePort, nodePort, name, svc.Spec.Type)

	// AND kubectl logs shows the host key fingerprints the entrypoint logs (what ssh-config tells a user to
	// compare when no host key is given)
	logs := runOut(t, ctx, "kubectl", "-n", namespace, "logs", "deploy/"+name, "-c", "dev")
	if !strings.Contains(logs, "host key fingerprint") {
		t.Fatalf("kubectl logs deploy/%s -c dev shows no host key fingerprint:\n%s", name, logs)
	}

	// AND a host key that is not the pod's is refused: the strict checking is real
	emptyKnownHosts := filepath.Join(work, "known_hosts.empty")
	write(t, emptyKnownHosts, "")
	strangerConfig := filepath.Join(work, "config-stranger")
	write(t, strangerConfig, strings.ReplaceAll(readFile(t, execConfig), knownHosts, emptyKnownHosts))
	if out, err := ssh(ctx, strangerConfig, "true"); err == nil || !strings.Contains(out, "Host key verification failed") {
		t.Fatalf("ssh with no known host key: err %v, output %q; want 'Host key verification failed'", err, out)
	}

	// AND the pod resolves cluster names and github.com with CoreDNS, and trusts the tier CA
	checkDNSAndTLS(t, ctx, execConfig, nodeIP)

	// WHEN the pod is deleted
	deleted := time.Now()
	if err := client.CoreV1().Pods(namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// THEN a new pod comes, and SSH is back with the same host key (the same known_hosts) and workspace
	newPod := waitPodReady(t, ctx, client, pod.UID)
	if got := sshUntil(t, ctx, execConfig, 2*time.Minute, "hostname; cat ~/smoke-marker"); got != newPod.Name+"\n"+marker {
		t.Fatalf("after the pod was deleted: got %q, want the new pod %s and the marker %q", got, newPod.Name, marker)
	}
	t.Logf("pod deleted -> SSH back on %s in %.1f s", newPod.Name, tm.since("podDeleteToSshSeconds", deleted))
	// Every host key known before is still the pod's. (The image generates the RSA key after sshd has
	// started with the others, so a first read right after the first start may hold fewer keys.)
	again := runOut(t, ctx, cli, "known-hosts", dist, "--from-cluster")
	for _, line := range strings.Split(strings.TrimSpace(hostKeys), "\n") {
		if !contains(strings.Split(strings.TrimSpace(again), "\n"), line) {
			t.Fatalf("host key %q is gone with the pod; the new pod's keys:\n%s", line, again)
		}
	}
}

// waitPodReady waits for a Running and Ready pod of the environment other than the one with UID `not`.
func waitPodReady(t *testing.T, ctx context.Context, client kubernetes.Interface, not types.UID) *corev1.Pod {
	t.Helper()
	var found *corev1.Pod
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=cdk8s-go-remote"})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = fmt.Sprintf("%d pods", len(pods.Items))
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.UID == not || p.DeletionTimestamp != nil {
				continue
			}
			last = describePod(p)
			if p.Status.Phase == corev1.PodRunning && podReady(p) {
				found = p
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no Running and Ready pod in %s: %v; last seen: %s\n%s", namespace, err, last, outputOrErr(ctx, "kubectl", "-n", namespace, "get", "events", "--sort-by=.lastTimestamp"))
	}
	return found
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func describePod(p *corev1.Pod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pod %s phase %s", p.Name, p.Status.Phase)
	for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		switch {
		case s.State.Waiting != nil:
			fmt.Fprintf(&b, "; %s waiting %s %s", s.Name, s.State.Waiting.Reason, s.State.Waiting.Message)
		case s.State.Terminated != nil:
			fmt.Fprintf(&b, "; %s terminated %s (%d)", s.Name, s.State.Terminated.Reason, s.State.Terminated.ExitCode)
		default:
			fmt.Fprintf(&b, "; %s running ready=%v", s.Name, s.Ready)
		}
	}
	return b.String()
}

// checkWorkspace: the pod's claims are Bound, by the default StorageClass's provisioner, under the run's
// storage directory.
func checkWorkspace(t *testing.T, ctx context.Context, client kubernetes.Interface, storage string) {
	t.Helper()
	claims, err := client.CoreV1().PersistentVolumeClaims(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims.Items) == 0 {
		t.Fatalf("no PersistentVolumeClaim in %s", namespace)
	}
	for _, c := range claims.Items {
		if c.Status.Phase != corev1.ClaimBound {
			t.Fatalf("claim %s is %s, want Bound", c.Name, c.Status.Phase)
		}
		pv, err := client.CoreV1().PersistentVolumes().Get(ctx, c.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if by := pv.Annotations["pv.kubernetes.io/provisioned-by"]; by != "rancher.io/local-path" {
			t.Fatalf("volume %s of claim %s was provisioned by %q, want rancher.io/local-path", pv.Name, c.Name, by)
		}
		path := ""
		if pv.Spec.HostPath != nil {
			path = pv.Spec.HostPath.Path
		} else if pv.Spec.Local != nil {
			path = pv.Spec.Local.Path
		}
		if !strings.HasPrefix(path, storage+"/") {
			t.Fatalf("volume %s lives at %q, want a directory under %s", pv.Name, path, storage)
		}
		if st, err := os.Stat(path); err != nil || !st.IsDir() {
			t.Fatalf("volume %s: %q is not a directory on the node: %v", pv.Name, path, err)
		}
		t.Logf("claim %s Bound to %s (storage class %s) at %s", c.Name, pv.Name, ptr(c.Spec.StorageClassName), path)
	}
}

// checkDNSAndTLS: inside the pod, cluster names and github.com resolve through CoreDNS, and an HTTPS server
// on the node that answers for github.com with a certificate of the tier CA is trusted by curl.
func checkDNSAndTLS(t *testing.T, ctx context.Context, config, nodeIP string) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(env(t, "SMOKE_TLS_DIR"), "tls.crt"), filepath.Join(env(t, "SMOKE_TLS_DIR"), "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(nodeIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	body := randomText(t)
	server := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
	}
	go func() { _ = server.ServeTLS(l, "", "") }()
	defer server.Close()

	script := fmt.Sprintf("getent hosts github.com kubernetes.default.svc.cluster.local | awk '{print $1}'; curl -sS --max-time 20 https://github.com:%d/acme/widget.git/info/refs", port)
	got, err := ssh(ctx, config, script)
	if err != nil {
		t.Fatalf("DNS and TLS check in the pod failed: %v\n%s", err, got)
	}
	want := fmt.Sprintf("%s\n10.96.0.1\n%s", nodeIP, body)
	if got != want {
		t.Fatalf("in the pod, github.com and kubernetes.default should resolve to %s and 10.96.0.1, and https://github.com:%d should be trusted:\ngot  %q\nwant %q", nodeIP, port, got, want)
	}
	t.Logf("in the pod: github.com -> %s, kubernetes.default.svc.cluster.local -> 10.96.0.1, HTTPS with the tier CA verified", nodeIP)
}

// ssh runs a command with OpenSSH and the given config file only (-F), never prompting, with this
// machine's global known_hosts out of play. It returns the combined output, trimmed.
func ssh(ctx context.Context, config, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", "-F", config, "-o", "BatchMode=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", alias, command)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// sshUntil retries ssh until the command succeeds (sshd may still be starting) and returns its output.
func sshUntil(t *testing.T, ctx context.Context, config string, timeout time.Duration, command string) string {
	t.Helper()
	var out string
	var last error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		out, last = ssh(ctx, config, command)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("ssh -F %s %s did not succeed within %v: %v\n%s\n--- config ---\n%s", config, alias, timeout, last, out, readFile(t, config))
	}
	return out
}

// startPortForward runs the `kubectl port-forward` command that the config's comment names, and returns
// a function that stops it.
func startPortForward(t *testing.T, ctx context.Context, config string) func() {
	t.Helper()
	var command []string
	for _, line := range strings.Split(readFile(t, config), "\n") {
		if f := strings.Fields(strings.TrimPrefix(line, "#")); len(f) > 2 && f[0] == "kubectl" && contains(f, "port-forward") {
			command = f
		}
	}
	if command == nil {
		t.Fatalf("%s names no kubectl port-forward command:\n%s", config, readFile(t, config))
	}
	cmd := exec.Command(command[0], command[1:]...)
	log := filepath.Join(t.TempDir(), "port-forward.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s", strings.Join(command, " "))
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		if t.Failed() {
			t.Logf("port-forward log:\n%s", readFile(t, log))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func run(t *testing.T, ctx context.Context, name string, args ...string) {
	t.Helper()
	if out, err := output(ctx, name, args...); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func runOut(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := output(ctx, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// output runs a command and returns its stdout (stderr too when it fails).
func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func outputOrErr(ctx context.Context, name string, args ...string) string {
	out, err := output(ctx, name, args...)
	if err != nil {
		return fmt.Sprintf("(%s: %v) %s", name, err, out)
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func randomText(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func ptr(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}
