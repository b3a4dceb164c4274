package cluster

// Stage 2: the platform team's developers leave, and the tier's team is replaced by examples/delve-webhook.ts
// and the tier's apps/access.ts and apps/node.ts. Checks 3 (the API server calls the webhook in the dev pod),
// 5 (node access), 6 (API access) and the Pod Security refusal.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	webhookNamespace    = "webhooks"        // examples/delve-webhook.ts's namespace (created by the cluster's admin)
	webhookTarget       = "webhook-target"  // labelled webhook-dev=enabled: what the example's webhook selects
	restrictedNamespace = "tier-restricted" // apps/access.ts, Pod Security restricted
	nodeNamespace       = "tier-node"       // apps/node.ts, Pod Security privileged
)

// The Namespaces the tier lists in clusters/tier from stage 2 on (what a cluster's admin gives the teams).
func serviceNamespaces() string {
	return strings.Join([]string{
		namespaceYAML(webhookNamespace, nil),
		namespaceYAML(webhookTarget, map[string]string{"webhook-dev": "enabled"}),
		namespaceYAML(restrictedNamespace, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}),
		namespaceYAML(nodeNamespace, map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}),
	}, "---\n")
}

func (h *harness) stageServices(t *testing.T, ctx context.Context) {
	// WHEN the platform team's developers leave: their environments are removed from Git
	for _, developer := range []string{"erin", "frank"} {
		h.flux(t, ctx, "repo-remove-env", "--repos", h.repos, "--folder", "dist/"+platformFolder, "--env", developer)
	}
	// AND the stage's commit replaces the tier's team by the webhook example and the tier's access and node apps;
	// meanwhile the tier plays cert-manager's part for the webhook's Certificate
	certCtx, stopCerts := context.WithCancel(ctx)
	defer stopCerts()
	issued := make(chan error, 1)
	go func() { issued <- h.certManager(certCtx, webhookNamespace) }()
	committed := time.Now()
	commit := h.commitFolder(t, ctx, "clusters/tier", "stage 2: the webhook under delve, API access and node access", map[string]string{
		"namespaces.yaml":            serviceNamespaces(),
		"example-delve-webhook.yaml": kustomizationYAML("example-delve-webhook", "./dist/examples/delve-webhook"),
		"tier-access.yaml":           kustomizationYAML("tier-access", "./dist/tier/access"),
		"tier-node.yaml":             kustomizationYAML("tier-node", "./dist/tier/node"),
	})
	h.waitApplied(t, ctx, commit, rootKustomization, "dev-platform", "example-delve-webhook", "tier-access", "tier-node")
	t.Logf("commit %s applied by Flux in %.1f s", commit[:12], h.record("services.commitToAppliedSeconds", committed))

	// THEN the previous stage's environments are pruned, their workspaces and namespaces kept
	waitGone(t, ctx, "flux-system", "kustomization/tier-team", 2*time.Minute)
	for _, e := range []struct{ namespace, name string }{{"platform--erin", "erin"}, {"platform--frank", "frank"}, {"tier--" + dana, dana}, {"tier--" + ivan, ivan}} {
		waitGone(t, ctx, e.namespace, "deployment/"+e.name, 2*time.Minute)
		mustKubectl(t, ctx, "-n", e.namespace, "get", "persistentvolumeclaim/"+e.name+"-workspace", "-o", "name")
	}
	select {
	case err := <-issued:
		if err != nil {
			t.Fatalf("the cert-manager stand-in: %v", err)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("the cert-manager stand-in did not finish in 5 minutes")
	}

	// AND every pod of the stage is Running and Ready
	webhookEnv := strings.TrimPrefix(strings.TrimSpace(mustKubectl(t, ctx, "-n", webhookNamespace, "get", "deployment", "-l", "app.kubernetes.io/managed-by=cdk8s-go-remote", "-o", "name")), "deployment.apps/")
	var last time.Time
	for _, e := range []struct{ namespace, name string }{{webhookNamespace, webhookEnv}, {restrictedNamespace, "access"}, {nodeNamespace, "socket"}, {nodeNamespace, "hostproc"}} {
		if ready := readySince(h.waitReady(t, ctx, e.namespace, e.name, "", 5*time.Minute)); ready.After(last) {
			last = ready
		}
	}
	t.Logf("every pod Running and Ready %.0f s after the commit", h.recordSeconds("services.commitToEveryPodReadySeconds", last.Sub(committed)))
	manifests := manifestsIn(t, filepath.Join(h.dist, "examples", "delve-webhook"))
	manifests = append(manifests, manifestsIn(t, filepath.Join(h.dist, "tier", "access"))...)
	manifests = append(manifests, manifestsIn(t, filepath.Join(h.dist, "tier", "node"))...)
	t.Log(h.checkStored(t, ctx, manifests))

	t.Run("checks", func(t *testing.T) {
		t.Run("webhook", func(t *testing.T) {
			t.Parallel()
			h.checkWebhook(t, ctx, webhookEnv, committed)
		})
		t.Run("API access and the default profile", func(t *testing.T) {
			t.Parallel()
			h.checkAccess(t, ctx)
		})
		t.Run("runtime socket", func(t *testing.T) {
			t.Parallel()
			h.checkRuntimeSocket(t, ctx)
		})
		t.Run("hostProc", func(t *testing.T) {
			t.Parallel()
			h.checkHostProc(t, ctx)
		})
		t.Run("Pod Security restricted refuses the privileged pod", func(t *testing.T) {
			t.Parallel()
			h.checkRefused(t, ctx)
		})
	})
}

// certManager writes what cert-manager would for the Certificates of the namespace (README: no cert-manager
// controller runs): the Secret `spec.secretName` with a key and a certificate for `spec.dnsNames`, signed by
// the tier CA, as a CA issuer's (tls.crt, tls.key, ca.crt and cert-manager's annotations); and, as cainjector
// does, the CA in `caBundle` of every webhook of the webhook configurations annotated
// `cert-manager.io/inject-ca-from: <namespace>/<certificate>`. It waits for the objects Flux applies.
func (h *harness) certManager(ctx context.Context, namespace string) error {
	type certificate struct {
		Metadata struct{ Name, Namespace string }
		Spec     struct {
			SecretName string
			DNSNames   []string `json:"dnsNames"`
			IssuerRef  struct{ Name, Kind, Group string }
		}
	}
	var certs struct{ Items []certificate }
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		out, err := kubectl(ctx, "-n", namespace, "get", "certificates.cert-manager.io", "-o", "json")
		return err == nil && json.Unmarshal([]byte(out), &certs) == nil && len(certs.Items) > 0, nil
	})
	if err != nil {
		return fmt.Errorf("no Certificate in %s: %v", namespace, err)
	}
	for _, c := range certs.Items {
		if len(c.Spec.DNSNames) == 0 || c.Spec.SecretName == "" {
			return fmt.Errorf("Certificate %s has no dnsNames or secretName", c.Metadata.Name)
		}
		dir := filepath.Join(h.work, "certificates", c.Metadata.Name)
		sans := []string{"issue", dir, c.Spec.DNSNames[0]}
		for _, n := range c.Spec.DNSNames {
			sans = append(sans, "DNS:"+n)
		}
		if out, err := output(ctx, "bash", append([]string{h.caSh}, sans...)...); err != nil {
			return fmt.Errorf("ca.sh issue: %v %s", err, out)
		}
		data := map[string]string{}
		for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			data[f] = base64.StdEncoding.EncodeToString(b)
		}
		secret, _ := json.Marshal(map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
			"metadata": map[string]any{
				"name": c.Spec.SecretName, "namespace": namespace,
				"annotations": map[string]string{
					"cert-manager.io/certificate-name": c.Metadata.Name,
					"cert-manager.io/alt-names":        strings.Join(c.Spec.DNSNames, ","),
					"cert-manager.io/issuer-name":      c.Spec.IssuerRef.Name,
					"cert-manager.io/issuer-kind":      c.Spec.IssuerRef.Kind,
					"cert-manager.io/issuer-group":     c.Spec.IssuerRef.Group,
				},
			},
			"data": data,
		})
		if out, err := kubectlStdin(ctx, string(secret), "create", "-f", "-"); err != nil {
			return fmt.Errorf("creating Secret %s: %v %s", c.Spec.SecretName, err, out)
		}
		inject := namespace + "/" + c.Metadata.Name
		injected := 0
		err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
			for _, kind := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"} {
				out, err := kubectl(ctx, "get", kind, "-o", "json")
				if err != nil {
					return false, nil
				}
				var list struct {
					Items []struct {
						Metadata struct {
							Name        string
							Annotations map[string]string
						}
						Webhooks []any
					}
				}
				if json.Unmarshal([]byte(out), &list) != nil {
					return false, nil
				}
				for _, w := range list.Items {
					if w.Metadata.Annotations["cert-manager.io/inject-ca-from"] != inject {
						continue
					}
					var patch []map[string]any
					for i := range w.Webhooks {
						patch = append(patch, map[string]any{"op": "add", "path": fmt.Sprintf("/webhooks/%d/clientConfig/caBundle", i), "value": data["ca.crt"]})
					}
					p, _ := json.Marshal(patch)
					if out, err := kubectl(ctx, "patch", kind, w.Metadata.Name, "--type=json", "--field-manager=cainjector", "-p", string(p)); err != nil {
						return false, fmt.Errorf("injecting the CA into %s: %v %s", w.Metadata.Name, err, out)
					}
					injected++
				}
			}
			return injected > 0, nil
		})
		if err != nil {
			return fmt.Errorf("no webhook configuration to inject %s into: %v", inject, err)
		}
	}
	return nil
}

func kubectlStdin(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// checkWebhook (check 3): the API server calls the program in the dev pod through the webhook Service, and with
// the program stopped, failurePolicy Ignore admits what it would refuse.
func (h *harness) checkWebhook(t *testing.T, ctx context.Context, env string, committed time.Time) {
	image := os.Getenv("CLUSTER_PAUSE_IMAGE")
	pod := func(name string, refuse, dryRun bool) (string, error) {
		args := []string{"-n", webhookTarget, "run", name, "--image=" + image, "--image-pull-policy=IfNotPresent", "--restart=Never"}
		if refuse {
			args = append(args, "--labels=admission.acme.io/refuse=yes")
		}
		if dryRun {
			args = append(args, "--dry-run=server")
		}
		return kubectl(ctx, args...)
	}
	// delve builds the webhook, then runs it: until then the API server ignores the failing call. A server-side
	// dry run (the webhook declares sideEffects None) creates nothing meanwhile.
	var out string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 8*time.Minute, true, func(context.Context) (bool, error) {
		var err error
		out, err = pod("probe", true, true)
		return err != nil && strings.Contains(out, "denied the request"), nil
	})
	if err != nil {
		t.Fatalf("the webhook never refused a pod: %v; last: %s\n%s", err, out, outputOr(ctx, "kubectl", "-n", webhookNamespace, "logs", "deploy/"+env, "-c", "dev", "--tail=40"))
	}
	t.Logf("the webhook, built and run by delve in the dev pod, answers the API server %.1f s after the commit", h.record("services.commitToWebhookServingSeconds", committed))

	// WHEN a pod the handler refuses is created THEN the API server refuses it with the handler's message
	out, err = pod("refused", true, false)
	want := `denied the request: acme/admission-webhook refuses pod webhook-target/refused: it carries the label admission.acme.io/refuse="yes"`
	if err == nil || !strings.Contains(out, want) {
		t.Fatalf("creating a pod labelled admission.acme.io/refuse: err %v, %q; want %q", err, out, want)
	}
	// AND another pod is created
	if out, err := pod("allowed", false, false); err != nil {
		t.Fatalf("a pod without the label was not created: %v %s", err, out)
	}
	// AND the program in the dev pod logged both reviews
	logs := mustKubectl(t, ctx, "-n", webhookNamespace, "logs", "deploy/"+env, "-c", "dev")
	for _, line := range []string{"CREATE Pod webhook-target/refused: allowed=false", "CREATE Pod webhook-target/allowed: allowed=true"} {
		if !strings.Contains(logs, line) {
			t.Fatalf("the dev pod's log lacks %q:\n%s", line, logs)
		}
	}
	t.Logf("the API server refused the labelled pod with the handler's message and admitted the other; the dev pod logged both reviews")

	// WHEN the program is stopped with supervisorctl in the dev container (the example authorizes its author's
	// key, not ours, so through kubectl exec rather than SSH)
	if out := mustKubectl(t, ctx, "-n", webhookNamespace, "exec", "deploy/"+env, "-c", "dev", "--", "supervisorctl", "stop", "delve"); !strings.Contains(out, "delve: stopped") {
		t.Fatalf("supervisorctl stop delve: %s", out)
	}
	// THEN failurePolicy Ignore: the API server admits the pod the handler would refuse
	if out, err := pod("ignored", true, false); err != nil {
		t.Fatalf("with the program stopped, the labelled pod was refused (failurePolicy Ignore should admit it): %v %s", err, out)
	}
	if logs := mustKubectl(t, ctx, "-n", webhookNamespace, "logs", "deploy/"+env, "-c", "dev"); strings.Contains(logs, "webhook-target/ignored") {
		t.Fatalf("the stopped program reviewed the pod:\n%s", logs)
	}
	mustKubectl(t, ctx, "-n", webhookTarget, "delete", "pod", "allowed", "ignored", "--wait=false")
	t.Logf("with the program stopped (supervisorctl stop delve), failurePolicy Ignore let the labelled pod through")
}

// checkAccess (check 6, and the default profile of check 5): the token's grants, asked from inside the pod with
// kubectl's in-cluster configuration (the mounted ServiceAccount token).
func (h *harness) checkAccess(t *testing.T, ctx context.Context) {
	ns, name := restrictedNamespace, "access"
	pod := h.waitReady(t, ctx, ns, name, "", 5*time.Minute)
	c := h.clientFiles(t, ctx, filepath.Join(h.dist, "tier", "access"), ns, name, "--route", "kubectl-exec")
	// WHEN the pod asks what its ServiceAccount may do (SelfSubjectAccessReviews)
	script := `for v in get list watch create delete patch update; do printf '%s pods %s\n' "$v" "$(kubectl auth can-i "$v" pods 2>/dev/null)"; done
printf 'get secrets %s\n' "$(kubectl auth can-i get secrets 2>/dev/null)"
printf 'list pods -n kube-system %s\n' "$(kubectl auth can-i list pods -n kube-system 2>/dev/null)"`
	got := c.until(t, ctx, 2*time.Minute, script)
	// THEN exactly the grant: read of pods in its namespace
	want := "get pods yes\nlist pods yes\nwatch pods yes\ncreate pods no\ndelete pods no\npatch pods no\nupdate pods no\nget secrets no\nlist pods -n kube-system no"
	if got != want {
		t.Fatalf("kubectl auth can-i in the pod:\n%s\nwant:\n%s", got, want)
	}
	// AND real requests: the pods are listed; one verb more is refused, to the ServiceAccount by name
	if out := c.must(t, ctx, time.Minute, "kubectl get pods -o name"); !contains(lines(out), "pod/"+pod.Name) {
		t.Fatalf("kubectl get pods in the pod: %q", out)
	}
	out, err := c.run(ctx, time.Minute, "kubectl delete pod "+pod.Name+" --dry-run=server")
	refusal := fmt.Sprintf(`User "system:serviceaccount:%s:%s" cannot delete resource "pods" in API group "" in the namespace "%s"`, ns, name, ns)
	if err == nil || !strings.Contains(out, refusal) {
		t.Fatalf("kubectl delete pod in the pod: err %v, %q; want %q", err, out, refusal)
	}
	t.Logf("the pod's ServiceAccount reads pods (get, list, watch) and is refused delete, create, patch, update, secrets and other namespaces")

	// AND the default profile sees neither the node's containers nor its processes
	got = c.must(t, ctx, time.Minute, `id -u; for f in /run/containerd/containerd.sock /var/run/crio/crio.sock /host/proc; do test -e "$f" && echo "$f" || echo "no $f"; done; ps -e -o comm= | grep -cx -e kubelet -e containerd -e kube-apiserver || true`)
	if want := "1000\nno /run/containerd/containerd.sock\nno /var/run/crio/crio.sock\nno /host/proc\n0"; got != want {
		t.Fatalf("the default profile:\n%s\nwant:\n%s", got, want)
	}
	t.Logf("the default profile (UID 1000, admitted as restricted): no runtime socket, no /host/proc, no node process")
}

// checkRuntimeSocket (check 5): the runtime-socket profile (containerd) lists the node's containers, from inside
// the pod, with a CRI call over the mounted socket (curl speaks gRPC's HTTP/2 in clear text over a UNIX socket).
func (h *harness) checkRuntimeSocket(t *testing.T, ctx context.Context) {
	ns, name := nodeNamespace, "socket"
	pod := h.waitReady(t, ctx, ns, name, "", 5*time.Minute)
	c := h.clientFiles(t, ctx, filepath.Join(h.dist, "tier", "node"), ns, name, "--route", "kubectl-exec")
	script := `id -u; echo "$HOME"; stat -c '%a %u' "$HOME" "$HOME/.ssh/authorized_keys"; test -S /run/containerd/containerd.sock && echo socket
printf '\0\0\0\0\0' | curl -sS --http2-prior-knowledge --unix-socket /run/containerd/containerd.sock -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- -D /tmp/cri-headers -o /tmp/cri-body http://localhost/runtime.v1.RuntimeService/ListContainers
grep -i '^grpc-status:' /tmp/cri-headers | tr -d '\r'
base64 -w0 /tmp/cri-body`
	out := lines(c.until(t, ctx, 2*time.Minute, script))
	// THEN SSH logs in root (a privileged profile), with the key installed for root with strict modes
	if len(out) != 7 || strings.Join(out[:4], "\n") != "0\n/workspace/home\n755 0\n600 0" || out[4] != "socket" || out[5] != "grpc-status: 0" {
		t.Fatalf("as root, the CRI call through the socket: %q", out)
	}
	if out, err := c.run(ctx, time.Minute, "true", "-l", "gopher"); err == nil || !strings.Contains(out, "Permission denied") {
		t.Fatalf("the privileged environment let gopher in: %v %s", err, out)
	}
	body, err := base64.StdEncoding.DecodeString(out[6])
	if err != nil {
		t.Fatal(err)
	}
	containers, err := decodeListContainers(body)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, x := range containers {
		seen = append(seen, x.String())
	}
	// THEN the node's containers: its own, another pod's of its namespace, and the cluster's own (CoreDNS)
	for _, want := range []string{ns + "/" + pod.Name + "/dev", ns + "/hostproc-*/dev", "kube-system/coredns-*/coredns"} {
		found := false
		for _, s := range seen {
			if ok, _ := filepath.Match(want, s); ok {
				found = true
			}
		}
		if !found {
			t.Fatalf("ListContainers through the socket lacks %s; got %v", want, seen)
		}
	}
	t.Logf("as root through /run/containerd/containerd.sock, RuntimeService/ListContainers lists %d containers of the node, e.g. %v", len(seen), seen[:min(len(seen), 6)])
}

// checkHostProc (check 5): hostProc() sees the node's processes (the node's PID namespace, and its /proc at
// /host/proc), still as UID 1000, without the runtime socket.
func (h *harness) checkHostProc(t *testing.T, ctx context.Context) {
	ns, name := nodeNamespace, "hostproc"
	h.waitReady(t, ctx, ns, name, "", 5*time.Minute)
	kubelet := kubeletPID(t, h.state)
	c := h.clientFiles(t, ctx, filepath.Join(h.dist, "tier", "node"), ns, name, "--route", "kubectl-exec")
	got := c.until(t, ctx, 2*time.Minute, fmt.Sprintf(`id -u; ps -e -o pid=,comm= | awk '$1 == %d { print $2 }'; cat /host/proc/%d/comm; test -e /run/containerd/containerd.sock && echo socket || echo no socket`, kubelet, kubelet))
	if want := "1000\nkubelet\nkubelet\nno socket"; got != want {
		t.Fatalf("hostProc() in the pod, for the node's kubelet (PID %d):\n%s\nwant:\n%s", kubelet, got, want)
	}
	t.Logf("hostProc() (UID 1000): the node's kubelet (PID %d) in ps and in /host/proc/%d/comm; no runtime socket", kubelet, kubelet)
}

// kubeletPID: the cluster's kubelet, found by its command line (its --config is in the cluster's state).
func kubeletPID(t *testing.T, state string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if strings.HasSuffix(args[0], "/kubelet") && contains(args, "--config="+state+"/kubelet.yaml") {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			return pid
		}
	}
	t.Fatalf("no kubelet with --config=%s/kubelet.yaml", state)
	return 0
}

// checkRefused: Flux applies the privileged environment's Deployment to the restricted namespace, and Pod
// Security admission refuses its pod: the ReplicaSet's condition and events say why, and no pod exists.
func (h *harness) checkRefused(t *testing.T, ctx context.Context) {
	ns, name := restrictedNamespace, "refused"
	if by := mustKubectl(t, ctx, "-n", ns, "get", "deployment", name, "-o", `jsonpath={.metadata.labels.kustomize\.toolkit\.fluxcd\.io/name}`); by != "tier-access" {
		t.Fatalf("deployment/%s was not applied by Flux's tier-access Kustomization (label %q)", name, by)
	}
	var message string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		out, err := kubectl(ctx, "-n", ns, "get", "replicaset", "-l", "app.kubernetes.io/instance="+name, "-o",
			`jsonpath={.items[*].status.conditions[?(@.type=="ReplicaFailure")].message}`)
		message = out
		return err == nil && strings.Contains(out, "violates PodSecurity"), nil
	})
	if err != nil {
		t.Fatalf("the ReplicaSet of %s has no ReplicaFailure condition naming Pod Security: %q", name, message)
	}
	for _, want := range []string{`violates PodSecurity "restricted:latest"`, "securityContext.privileged=true", `uses restricted volume type "hostPath"`} {
		if !strings.Contains(message, want) {
			t.Fatalf("the ReplicaSet's ReplicaFailure message lacks %q: %s", want, message)
		}
	}
	events := mustKubectl(t, ctx, "-n", ns, "get", "events", "--field-selector", "reason=FailedCreate", "-o", "jsonpath={.items[*].message}")
	if !strings.Contains(events, "violates PodSecurity") {
		t.Fatalf("no FailedCreate event names Pod Security: %s", events)
	}
	if pods := mustKubectl(t, ctx, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/instance="+name, "-o", "name"); strings.TrimSpace(pods) != "" {
		t.Fatalf("pods of %s exist: %s", name, pods)
	}
	t.Logf("Flux applied deployment/%s; Pod Security refused its pod: %s", name, message)
}
