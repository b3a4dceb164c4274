package cluster

// Helpers of the cluster tier's test: the commands it runs (kubectl, the cdk8s-go-remote command, OpenSSH,
// flux.sh), waiting on the cluster, and the timings it writes.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// harness: what run.sh hands the test (see tier_test.go), and the timings it collects.
type harness struct {
	client     kubernetes.Interface
	kubeconfig string
	dist       string // what apps/synth.ts wrote: the dist/ folder committed to the GitOps repository
	repos      string // the git server's root: acme/dev-environments.git and the upstream repositories
	key        string // the private key the tier's apps authorize
	cli        string // bin/cdk8s-go-remote
	fluxSh     string // test/cluster/flux/flux.sh
	containsJS string // test/cluster/flux/contains.js
	caSh       string // test/cluster/ca.sh
	work       string
	nodeIP     string
	state      string            // the cluster's state directory (CLUSTER_STATE)
	upstream   map[string]string // "acme/widget" -> the commit the git server serves

	mu      sync.Mutex
	timings map[string]float64
}

func env(t *testing.T, key string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		t.Fatalf("%s is not set: run this test with test/cluster/run.sh", key)
	}
	return v
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		kubeconfig: env(t, "KUBECONFIG"),
		dist:       env(t, "TIER_DIST"),
		repos:      env(t, "TIER_REPOS"),
		key:        env(t, "TIER_KEY"),
		cli:        env(t, "TIER_CLI"),
		fluxSh:     env(t, "TIER_FLUX_SH"),
		containsJS: env(t, "TIER_CONTAINS_JS"),
		caSh:       env(t, "TIER_CA_SH"),
		nodeIP:     env(t, "CLUSTER_NODE_IP"),
		state:      env(t, "CLUSTER_STATE"),
		work:       t.TempDir(),
		upstream:   map[string]string{},
		timings:    map[string]float64{},
	}
	config, err := clientcmd.BuildConfigFromFlags("", h.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	config.QPS, config.Burst = 50, 100
	h.client = kubernetes.NewForConfigOrDie(config)
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, env(t, "TIER_UPSTREAM"))), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			h.upstream[f[0]] = f[1]
		}
	}
	return h
}

// record keeps the time since start (seconds, one decimal) under key and returns it.
func (h *harness) record(key string, start time.Time) float64 {
	return h.recordSeconds(key, time.Since(start))
}

func (h *harness) recordSeconds(key string, d time.Duration) float64 {
	s := float64(int(d.Seconds()*10+0.5)) / 10
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timings[key] = s
	return s
}

func (h *harness) writeTimings(t *testing.T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.timings))
	for k := range h.timings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s: %.1f s", k, h.timings[k])
	}
	t.Logf("timings:%s", b.String())
	data, _ := json.MarshalIndent(h.timings, "", "  ")
	if err := os.WriteFile(os.Getenv("TIER_TIMINGS"), append(data, '\n'), 0o644); err != nil {
		t.Error(err)
	}
}

// ---- commands --------------------------------------------------------------------------------------------

// output runs a command and returns its stdout (with stderr too when it fails).
func output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func runOut(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := output(ctx, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func kubectl(ctx context.Context, args ...string) (string, error) {
	return output(ctx, "kubectl", args...)
}

func mustKubectl(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	return runOut(t, ctx, "kubectl", args...)
}

// flux runs test/cluster/flux/flux.sh (a GitOps repository commit, a wait) and returns its stdout, trimmed.
func (h *harness) flux(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	return strings.TrimSpace(runOut(t, ctx, "bash", append([]string{h.fluxSh}, args...)...))
}

// commitFolder makes the GitOps repository's folder hold exactly these files (name -> content), commits
// and returns the commit.
func (h *harness) commitFolder(t *testing.T, ctx context.Context, folder, message string, files map[string]string) string {
	t.Helper()
	dir, err := os.MkdirTemp(h.work, "commit-")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		write(t, filepath.Join(dir, name), content)
	}
	return h.flux(t, ctx, "repo-set", "--repos", h.repos, "--path", folder, "--from", dir, "--message", message)
}

// waitApplied waits until each Kustomization (flux-system) has applied the commit and is Ready.
func (h *harness) waitApplied(t *testing.T, ctx context.Context, commit string, kustomizations ...string) {
	t.Helper()
	for _, k := range kustomizations {
		h.flux(t, ctx, "wait-applied", "--kubeconfig", h.kubeconfig, "--kustomization", k, "--commit", commit, "--timeout", "300")
	}
}

// checkStored: every object of the manifests is in the cluster with every field as written (contains.js;
// Flux and the API server add only their own labels, defaults and status).
func (h *harness) checkStored(t *testing.T, ctx context.Context, manifests []string) string {
	t.Helper()
	args := []string{"get", "-o", "json"}
	for _, m := range manifests {
		args = append(args, "--filename="+m)
	}
	live := mustKubectl(t, ctx, args...)
	cmd := exec.CommandContext(ctx, "node", append([]string{h.containsJS}, manifests...)...)
	cmd.Stdin = strings.NewReader(live)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("an object in the cluster differs from its synthesized manifest: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// manifestsIn lists the YAML manifests of a synthesized folder (not its kustomization.yaml).
func manifestsIn(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no manifest in %s", dir)
	}
	return out
}

// ---- Flux objects of the tier (not the library's: they say what the GitOps repository delivers) ------------

func kustomizationYAML(name, path string) string {
	return fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: flux-system
spec:
  sourceRef:
    kind: GitRepository
    name: dev-environments
  path: %s
  interval: 10m
  prune: true
  wait: false
  timeout: 5m
`, name, path)
}

func namespaceYAML(name string, labels map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", name)
	if len(labels) > 0 {
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  labels:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s: %q\n", k, labels[k])
		}
	}
	return b.String()
}

// ---- pods ------------------------------------------------------------------------------------------------

// waitReady waits for a Running and Ready pod of the environment (label app.kubernetes.io/instance=<name>)
// other than the one with UID `not`.
func (h *harness) waitReady(t *testing.T, ctx context.Context, namespace, name string, not types.UID, timeout time.Duration) *corev1.Pod {
	t.Helper()
	var found *corev1.Pod
	last := "no pod yet"
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		pods, err := h.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name})
		if err != nil {
			last = err.Error()
			return false, nil
		}
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
		events, _ := kubectl(ctx, "-n", namespace, "get", "events", "--sort-by=.lastTimestamp")
		t.Fatalf("no Running and Ready pod of %s/%s: %v; last seen: %s\n%s", namespace, name, err, last, events)
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

// waitGone waits until `kubectl get` of the object says NotFound.
func waitGone(t *testing.T, ctx context.Context, namespace, object string, timeout time.Duration) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		out, err := kubectl(ctx, "-n", namespace, "get", object, "-o", "name")
		return err != nil && strings.Contains(out, "NotFound"), nil
	})
	if err != nil {
		t.Fatalf("%s/%s is still there after %v", namespace, object, timeout)
	}
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

// ---- SSH -------------------------------------------------------------------------------------------------

// sshClient: the client files of one environment, written by the cdk8s-go-remote command only.
type sshClient struct {
	alias      string // <namespace>-<name>
	config     string // ssh -F
	knownHosts string
	hostKeys   string // what known-hosts --from-cluster printed
}

// clientFiles reads the environment's host keys from the pod with `known-hosts --from-cluster` (the real
// kubectl) and writes the ssh config for a route with `ssh-config ... --strict`.
func (h *harness) clientFiles(t *testing.T, ctx context.Context, dist, namespace, name string, route ...string) *sshClient {
	t.Helper()
	dir := filepath.Join(h.work, "ssh", namespace+"-"+name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := &sshClient{alias: namespace + "-" + name, knownHosts: filepath.Join(dir, "known_hosts")}
	// The host keys are on the workspace once the entrypoint ran; the pod may just be starting.
	var out string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		out, err = output(ctx, h.cli, "known-hosts", dist, "--env", namespace+"/"+name, "--from-cluster")
		return err == nil && strings.Contains(out, c.alias+" ssh-ed25519 "), nil
	})
	if err != nil {
		t.Fatalf("known-hosts --from-cluster printed no host key for %s: %v\n%s", c.alias, err, out)
	}
	c.hostKeys = out
	write(t, c.knownHosts, out)
	c.config = h.sshConfig(t, ctx, dist, namespace, name, c.knownHosts, "config-"+strings.Join(append([]string{"default"}, route...), "-"), route...)
	return c
}

// sshConfig writes `ssh-config <dist> --env ns/name --strict ...` (one route) to a file and returns its path.
func (h *harness) sshConfig(t *testing.T, ctx context.Context, dist, namespace, name, knownHosts, file string, route ...string) string {
	t.Helper()
	args := append([]string{"ssh-config", dist, "--env", namespace + "/" + name, "--identity-file", h.key,
		"--known-hosts-file", knownHosts, "--strict"}, route...)
	path := filepath.Join(h.work, "ssh", namespace+"-"+name, strings.ReplaceAll(file, "/", "_"))
	write(t, path, runOut(t, ctx, h.cli, args...))
	return path
}

func (c *sshClient) withConfig(config string) *sshClient {
	copy := *c
	copy.config = config
	return &copy
}

// sshArgs: only -F <config>; BatchMode and GlobalKnownHostsFile=/dev/null only restrict (no prompt, this
// machine's known hosts play no part).
func (c *sshClient) sshArgs(extra ...string) []string {
	return append([]string{"-F", c.config, "-o", "BatchMode=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20"}, extra...)
}

// run runs the command in a login shell (the environment's variables, /etc/profile.d) over SSH and returns the
// combined output, trimmed.
// Extra options (such as -l <user>) only go before the alias.
func (c *sshClient) run(ctx context.Context, timeout time.Duration, command string, extra ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", append(c.sshArgs(extra...), c.alias, "bash -lc "+shellQuote(command))...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

func (c *sshClient) must(t *testing.T, ctx context.Context, timeout time.Duration, command string) string {
	t.Helper()
	out, err := c.run(ctx, timeout, command)
	if err != nil {
		t.Fatalf("ssh %s %q: %v\n%s", c.alias, command, err, out)
	}
	return out
}

// until retries the command until it succeeds (sshd may be starting) and returns its output.
func (c *sshClient) until(t *testing.T, ctx context.Context, timeout time.Duration, command string) string {
	t.Helper()
	var out string
	var last error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		out, last = c.run(ctx, time.Minute, command)
		if last != nil && strings.Contains(out, "Host key verification failed") {
			return false, fmt.Errorf("host key refused: %s", out)
		}
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("ssh -F %s %s %q did not succeed within %v: %v / %v\n%s\n--- config ---\n%s", c.config, c.alias, command, timeout, err, last, out, readFileOr(c.config))
	}
	return out
}

// forward starts `ssh -N -L 127.0.0.1:<free>:<host>:<port>` and returns the local port and a stop function.
func (c *sshClient) forward(t *testing.T, ctx context.Context, host string, port int) (int, func()) {
	t.Helper()
	local := freePort(t)
	cmd := exec.Command("ssh", append(c.sshArgs("-N", "-o", "ExitOnForwardFailure=yes", "-L", fmt.Sprintf("127.0.0.1:%d:%s:%d", local, host, port)), c.alias)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return local, func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ssh -L log: %s", out.String())
		}
	}
}

// startPortForward runs the `kubectl port-forward` command that the config's comment names, and returns a
// function that stops it.
func startPortForward(t *testing.T, config string) func() {
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
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s", strings.Join(command, " "))
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("port-forward log:\n%s", out.String())
		}
	}
}

// delveCall sends one JSON-RPC request to delve's API (what test/e2e/harness.ts delveCall does).
func delveCall(port int, method string) (map[string]any, error) {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req, _ := json.Marshal(map[string]any{"method": method, "params": []any{map[string]any{}}, "id": 1})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	var reply struct {
		Result map[string]any `json:"result"`
		Error  any            `json:"error"`
	}
	if err := json.Unmarshal(line, &reply); err != nil {
		return nil, fmt.Errorf("delve answered %q: %v", line, err)
	}
	if reply.Error != nil {
		return nil, fmt.Errorf("delve %s: %v", method, reply.Error)
	}
	return reply.Result, nil
}

// ---- small things ----------------------------------------------------------------------------------------

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
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

func readFileOr(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
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

// object: what the tests need of a manifest's object.
type object struct {
	kind, namespace, name string
	raw                   map[string]any
}

// readObjects reads every document of the YAML files.
func readObjects(t *testing.T, files []string) []object {
	t.Helper()
	var out []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var raw map[string]any
			if err := d.Decode(&raw); err != nil {
				if err == io.EOF {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			if raw == nil {
				continue
			}
			meta, _ := raw["metadata"].(map[string]any)
			o := object{raw: raw}
			o.kind, _ = raw["kind"].(string)
			o.namespace, _ = meta["namespace"].(string)
			o.name, _ = meta["name"].(string)
			out = append(out, o)
		}
	}
	return out
}
