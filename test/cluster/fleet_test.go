package cluster

// Stage 1: the platform team of examples/fleet-flux.ts (erin, frank) and the tier's own team (apps/team.ts:
// dana, ivan), delivered by Flux. Checks 1 (fleet, SSH routes, the clone, go build/test, delve), 2 (data kept
// across a pod deletion and a removal from Git), 4 (idle stop) and 7 (stored as synthesized).

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
)

// Folders of TIER_DIST (and of dist/ in the GitOps repository).
const (
	platformFolder = "fleet-flux/teams/platform" // examples/fleet-flux.ts's team
	teamFolder     = "tier/team"                 // apps/team.ts
)

// The tier's team (apps/team.ts): a namespace per developer, tier--<name>.
const (
	dana = "dana"
	ivan = "ivan"
	// ivan's idle stop (apps/team.ts) and the image's interval between looks (src/contract.ts IdleStop).
	idlePeriod   = 60 * time.Second
	idleInterval = 30 * time.Second
)

func (h *harness) stageFleet(t *testing.T, ctx context.Context, root string) {
	// WHEN the stage's commit lists the tier's team beside the platform team, and the root Kustomization exists
	committed := time.Now()
	commit := h.commitFolder(t, ctx, "clusters/tier", "stage 1: the tier's team beside the platform team", map[string]string{
		"tier-team.yaml": kustomizationYAML("tier-team", "./dist/"+teamFolder),
	})
	mustKubectl(t, ctx, "apply", "-f", root)
	h.waitApplied(t, ctx, commit, rootKustomization, "tier-team", "dev-platform")
	applied := time.Now()
	t.Logf("commit %s applied by Flux in %.1f s (tier, tier-team, dev-platform)", commit[:12], h.record("fleet.commitToAppliedSeconds", committed))

	t.Run("checks", func(t *testing.T) {
		// ivan's idle clock starts with its pod: its check begins at once, beside the others.
		t.Run("idle stop", func(t *testing.T) {
			t.Parallel()
			h.checkIdleStop(t, ctx)
		})
		t.Run("fleet", func(t *testing.T) {
			t.Parallel()
			h.checkFleet(t, ctx, committed, applied)
		})
	})
}

func (h *harness) checkFleet(t *testing.T, ctx context.Context, committed, applied time.Time) {
	// THEN dana's pod answers OpenSSH first (the first login, timed from the commit)
	ns := "tier--" + dana
	danaPod := h.waitReady(t, ctx, ns, dana, "", 5*time.Minute)
	c := h.clientFiles(t, ctx, filepath.Join(h.dist, teamFolder), ns, dana, "--route", "kubectl-exec")
	marker := randomText(t)
	// WHEN OpenSSH logs in through kubectl exec (the ProxyCommand of the generated config)
	got := c.until(t, ctx, 2*time.Minute, "hostname; printf %s "+marker+" > ~/kept.txt")
	t.Logf("first SSH login %.1f s after the commit (%.1f s after Flux applied it)", h.record("applyToFirstSshSeconds", committed), time.Since(applied).Seconds())
	if got != danaPod.Name {
		t.Fatalf("the kubectl-exec route reached %q, not the pod %s", got, danaPod.Name)
	}

	// AND every environment's pod is Running and Ready (timed by the pods' own Ready transitions)
	envs := []struct{ namespace, name string }{{"platform--erin", "erin"}, {"platform--frank", "frank"}, {"tier--" + dana, dana}, {"tier--" + ivan, ivan}}
	var last time.Time
	for _, e := range envs {
		if ready := readySince(h.waitReady(t, ctx, e.namespace, e.name, "", 5*time.Minute)); ready.After(last) {
			last = ready
		}
	}
	h.recordSeconds("fluxCommitToEveryPodReadySeconds", last.Sub(committed))
	t.Logf("every environment's pod Running and Ready %.0f s after the commit", last.Sub(committed).Seconds())

	// AND every object holds its synthesized manifest, the NetworkPolicies included
	manifests := append(manifestsIn(t, filepath.Join(h.dist, platformFolder)), manifestsIn(t, filepath.Join(h.dist, teamFolder))...)
	t.Log(h.checkStored(t, ctx, manifests))
	h.checkNetworkPolicies(t, ctx, manifests)

	t.Run("dana", func(t *testing.T) {
		h.checkDana(t, ctx, c, marker, danaPod)
	})
	t.Run("examples/fleet-flux.ts: host keys read from the cluster verify the pods", func(t *testing.T) {
		h.checkExampleHostKeys(t, ctx)
	})
}

// readySince: when the pod's Ready condition became True (the API server's second-resolution time).
func readySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// checkNetworkPolicies (check 7): the NetworkPolicies of the manifests are in the cluster (their fields were
// compared by checkStored). Stored, not enforced: the bridge CNI plugin has no policy engine (README.md).
func (h *harness) checkNetworkPolicies(t *testing.T, ctx context.Context, manifests []string) {
	t.Helper()
	var names []string
	for _, o := range readObjects(t, manifests) {
		if o.kind == "NetworkPolicy" {
			mustKubectl(t, ctx, "-n", o.namespace, "get", "networkpolicy", o.name, "-o", "name")
			names = append(names, o.namespace+"/"+o.name)
		}
	}
	if len(names) == 0 {
		t.Fatalf("no NetworkPolicy in the manifests")
	}
	t.Logf("%d NetworkPolicies applied and stored as synthesized (not enforced here: the bridge CNI has no policy engine): %s", len(names), strings.Join(names, ", "))
}

// checkExampleHostKeys: the example's developers' keys are not ours, so OpenSSH cannot log in; but the files the
// command writes verify the host: strict host key checking passes with the keys read over the API, and the server
// then refuses our key; with no known key, ssh stops at the host key.
func (h *harness) checkExampleHostKeys(t *testing.T, ctx context.Context) {
	dist := filepath.Join(h.dist, platformFolder)
	for _, e := range []struct{ namespace, name string }{{"platform--erin", "erin"}, {"platform--frank", "frank"}} {
		c := h.clientFiles(t, ctx, dist, e.namespace, e.name, "--route", "kubectl-exec")
		out, err := c.run(ctx, time.Minute, "true")
		if err == nil || !strings.Contains(out, "Permission denied (publickey)") || strings.Contains(out, "Host key verification failed") {
			t.Fatalf("%s: want the host verified and our key refused (Permission denied), got err %v: %s", c.alias, err, out)
		}
		stranger := c.withConfig(h.sshConfig(t, ctx, dist, e.namespace, e.name, filepath.Join(h.work, "known_hosts.empty"), "config-stranger", "--route", "kubectl-exec"))
		write(t, filepath.Join(h.work, "known_hosts.empty"), "")
		if out, err := stranger.run(ctx, time.Minute, "true"); err == nil || !strings.Contains(out, "Host key verification failed") {
			t.Fatalf("%s with no known host key: err %v, %q; want 'Host key verification failed'", c.alias, err, out)
		}
		t.Logf("%s: %d host keys from the cluster; OpenSSH verified the host through kubectl exec and was refused our key", c.alias, len(lines(c.hostKeys)))
	}
}

func (h *harness) checkDana(t *testing.T, ctx context.Context, c *sshClient, marker string, pod *corev1.Pod) {
	ns, name := "tier--"+dana, dana
	dist := filepath.Join(h.dist, teamFolder)

	// AND through kubectl port-forward, the very command the config names
	pf := c.withConfig(h.sshConfig(t, ctx, dist, ns, name, c.knownHosts, "config-port-forward", "--route", "port-forward", "--local-port", fmt.Sprint(freePort(t))))
	stop := startPortForward(t, pf.config)
	if got := pf.until(t, ctx, time.Minute, "cat ~/kept.txt"); got != marker {
		t.Fatalf("port-forward route: ~/kept.txt holds %q, want %q", got, marker)
	}
	stop()

	// AND through the Service's node port, at the node IP and at 127.0.0.1 of the node
	nodePort := h.nodePort(t, ctx, ns, name)
	for _, address := range []string{h.nodeIP, "127.0.0.1"} {
		np := c.withConfig(h.sshConfig(t, ctx, dist, ns, name, c.knownHosts, "config-node-port-"+address, "--address", address, "--port", fmt.Sprint(nodePort)))
		if got := np.until(t, ctx, time.Minute, "cat ~/kept.txt"); got != marker {
			t.Fatalf("node port route at %s: ~/kept.txt holds %q, want %q", address, got, marker)
		}
	}
	t.Logf("OpenSSH (StrictHostKeyChecking yes) logged in through kubectl exec, kubectl port-forward, %s:%d and 127.0.0.1:%d (the Service's node port)", h.nodeIP, nodePort, nodePort)

	// THEN the repository is cloned at the GOPATH path, at the served commit
	checkout := "/workspace/go/src/github.com/acme/widget"
	want := []string{checkout, h.upstream["acme/widget"], "https://github.com/acme/widget.git"}
	if got := lines(c.must(t, ctx, time.Minute, `printf '%s\n' "$GO_REMOTE_CHECKOUT"; cd "$GO_REMOTE_CHECKOUT" && git rev-parse HEAD && git remote get-url origin`)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("checkout: got %q, want %q", got, want)
	}
	// AND go build ./... && go test ./... pass there
	started := time.Now()
	out := c.must(t, ctx, 10*time.Minute, `cd "$GO_REMOTE_CHECKOUT" && go build ./... && go test ./...`)
	if !strings.Contains(out, "ok  \tgithub.com/acme/widget") {
		t.Fatalf("go test in the checkout printed no ok line for github.com/acme/widget:\n%s", out)
	}
	t.Logf("go build ./... && go test ./... in %s passed in %.1f s", checkout, h.record("fleet.goBuildTestSeconds", started))

	// AND delve, run by supervisord, answers through an SSH tunnel (ssh -L to its 127.0.0.1 port)
	h.checkDelve(t, ctx, c, pod)

	// GIVEN a file in the home, a local change in the checkout and the checkout's commit
	state := `cat ~/kept.txt; echo; cat "$GO_REMOTE_CHECKOUT/local-change.txt"; git -C "$GO_REMOTE_CHECKOUT" rev-parse HEAD`
	before := c.must(t, ctx, time.Minute, `echo local > "$GO_REMOTE_CHECKOUT/local-change.txt" && `+state)
	if before != marker+"\nlocal\n"+h.upstream["acme/widget"] {
		t.Fatalf("workspace state: %q", before)
	}
	claim, err := h.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name+"-workspace", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pod deleted", func(t *testing.T) {
		// WHEN the pod is deleted
		deleted := time.Now()
		if err := h.client.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// THEN a new pod answers with the same host key (the same known_hosts, strict) and the same workspace
		newPod := h.waitReady(t, ctx, ns, name, pod.UID, 3*time.Minute)
		if got := c.until(t, ctx, 2*time.Minute, "hostname; "+state); got != newPod.Name+"\n"+before {
			t.Fatalf("after the pod was deleted: got %q, want the pod %s and %q", got, newPod.Name, before)
		}
		t.Logf("pod deleted -> SSH back on %s in %.1f s, workspace file, local change and commit kept", newPod.Name, h.record("podDeleteToSshSeconds", deleted))
		h.checkHostKeysKept(t, ctx, dist, ns, name, c.hostKeys)
		if logs := mustKubectl(t, ctx, "-n", ns, "logs", newPod.Name, "-c", "clone"); !strings.Contains(logs, checkout+" exists; not cloning") {
			t.Fatalf("the new pod's clone container did not keep the checkout:\n%s", logs)
		}
	})

	t.Run("removed from Git, then put back", func(t *testing.T) {
		nsObj, err := h.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// WHEN the environment is removed from Git (the developer leaves the team)
		removed := time.Now()
		commit := h.flux(t, ctx, "repo-remove-env", "--repos", h.repos, "--folder", "dist/"+teamFolder, "--env", name)
		h.waitApplied(t, ctx, commit, "tier-team")
		// THEN Flux prunes its Deployment and Service, and keeps the workspace claim and the namespace
		for _, object := range []string{"deployment/" + name, "service/" + name, "configmap/" + name + "-config", "serviceaccount/" + name} {
			waitGone(t, ctx, ns, object, time.Minute)
		}
		h.checkSameUID(t, ctx, ns, "persistentvolumeclaim/"+name+"-workspace", claim.UID)
		h.checkSameUID(t, ctx, "", "namespace/"+ns, nsObj.UID)
		t.Logf("commit %s (%s removed) applied and pruned in %.1f s; workspace claim and namespace kept", commit[:12], name, h.record("fleet.removeFromGitToPrunedSeconds", removed))
		h.waitNoPods(t, ctx, ns, name)

		// WHEN it is put back
		restored := time.Now()
		commit = h.flux(t, ctx, "repo-restore-env", "--repos", h.repos, "--folder", "dist/"+teamFolder, "--env", name)
		h.waitApplied(t, ctx, commit, "tier-team")
		back := h.waitReady(t, ctx, ns, name, "", 3*time.Minute)
		// THEN the same host key (strict, the same known_hosts) and the same data
		if got := c.until(t, ctx, 2*time.Minute, "hostname; "+state); got != back.Name+"\n"+before {
			t.Fatalf("after putting it back: got %q, want the pod %s and %q", got, back.Name, before)
		}
		h.checkSameUID(t, ctx, ns, "persistentvolumeclaim/"+name+"-workspace", claim.UID)
		h.checkHostKeysKept(t, ctx, dist, ns, name, c.hostKeys)
		t.Logf("commit %s (put back) -> SSH on %s in %.1f s: the same workspace claim, host key and data", commit[:12], back.Name, h.record("fleet.putBackToSshSeconds", restored))
	})
}

// nodePort: the node port of the environment's Service for ssh (the library's default Service is a LoadBalancer,
// which gets one; no load balancer gives it an address here).
func (h *harness) nodePort(t *testing.T, ctx context.Context, ns, name string) int32 {
	t.Helper()
	svc, err := h.client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range svc.Spec.Ports {
		if p.Name == "ssh" && p.NodePort != 0 {
			return p.NodePort
		}
	}
	t.Fatalf("Service %s/%s (type %s) has no node port for ssh", ns, name, svc.Spec.Type)
	return 0
}

// checkDelve: delve (supervisord's program `delve`, `dlv debug --headless` on 127.0.0.1:2345) answers
// RPCServer.GetVersion through `ssh -L`. dlv first builds the program without optimizations.
func (h *harness) checkDelve(t *testing.T, ctx context.Context, c *sshClient, pod *corev1.Pod) {
	t.Helper()
	port, stop := c.forward(t, ctx, "127.0.0.1", 2345)
	defer stop()
	var version map[string]any
	var last error
	err := wait.PollUntilContextTimeout(ctx, time.Second, 8*time.Minute, true, func(context.Context) (bool, error) {
		version, last = delveCall(port, "RPCServer.GetVersion")
		return last == nil, nil
	})
	if err != nil {
		status, _ := c.run(ctx, time.Minute, "supervisorctl status")
		t.Fatalf("delve did not answer through the tunnel: %v\n%s\n%s", last, status, outputOr(ctx, "kubectl", "-n", pod.Namespace, "logs", pod.Name, "-c", "dev", "--tail=40"))
	}
	if v, _ := version["APIVersion"].(float64); v != 2 || !strings.Contains(fmt.Sprint(version["DelveVersion"]), "Version:") {
		t.Fatalf("RPCServer.GetVersion answered %v", version)
	}
	t.Logf("delve answered RPCServer.GetVersion through ssh -L %.1f s after the pod started: %q", time.Since(pod.Status.StartTime.Time).Seconds(), strings.Fields(fmt.Sprint(version["DelveVersion"])))
}

func (h *harness) checkHostKeysKept(t *testing.T, ctx context.Context, dist, ns, name, known string) {
	t.Helper()
	again := runOut(t, ctx, h.cli, "known-hosts", dist, "--env", ns+"/"+name, "--from-cluster")
	for _, line := range lines(known) {
		if !contains(lines(again), line) {
			t.Fatalf("host key %q is gone; the pod's keys now:\n%s", line, again)
		}
	}
}

func (h *harness) checkSameUID(t *testing.T, ctx context.Context, ns, object string, uid any) {
	t.Helper()
	args := []string{"get", object, "-o", "jsonpath={.metadata.uid}"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	if got := mustKubectl(t, ctx, args...); got != fmt.Sprint(uid) {
		t.Fatalf("%s has UID %q, was %v: deleted or replaced", object, got, uid)
	}
}

func (h *harness) waitNoPods(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := h.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + name})
		return err == nil && len(pods.Items) == 0, nil
	})
	if err != nil {
		t.Fatalf("the pods of %s/%s are still there", ns, name)
	}
}

// checkIdleStop (check 4) on ivan (idle stop after 60 s; the program looks every 30 s).
func (h *harness) checkIdleStop(t *testing.T, ctx context.Context) {
	ns, name := "tier--"+ivan, ivan
	deployments := h.client.AppsV1().Deployments(ns)
	pod := h.waitReady(t, ctx, ns, name, "", 5*time.Minute)
	// The Service's node port: a connection that ends when ssh ends (through the kubectl-exec route an ended
	// session's connection can stay open for minutes, README.md "Findings", and idle stop rightly counts it).
	dist := filepath.Join(h.dist, teamFolder)
	c := h.clientFiles(t, ctx, dist, ns, name, "--address", h.nodeIP, "--port", fmt.Sprint(h.nodePort(t, ctx, ns, name)))
	marker := randomText(t)

	// GIVEN an SSH session, open for longer than the idle period plus one interval
	hold := 100 * time.Second
	var session *heldSession
	for attempt := 1; session == nil; attempt++ {
		var err error
		session, err = openSession(ctx, c, fmt.Sprintf("printf %%s %s > ~/idle-marker && echo session-open && sleep %d", marker, int(hold.Seconds())))
		if err == nil {
			break
		}
		// No session could open: when idle stop was first (the period passed before the client got there, on a
		// loaded machine), that is this check's subject too: no session since the pod started, scaled to 0.
		d, _ := deployments.Get(ctx, name, metav1.GetOptions{})
		since := time.Since(pod.Status.StartTime.Time)
		if attempt > 1 || replicas(d) != int32(0) || since < idlePeriod-2*time.Second {
			t.Fatalf("the SSH session did not open: %v; replicas %v, %.0f s after the pod started", err, replicas(d), since.Seconds())
		}
		t.Logf("no session yet: idle stop scaled %s to 0 within %.0f s of its start (period %v); scaling back to 1 for the session", pod.Name, since.Seconds(), idlePeriod)
		mustKubectl(t, ctx, "-n", ns, "scale", "deployment/"+name, "--replicas=1")
		pod = h.waitReady(t, ctx, ns, name, pod.UID, 3*time.Minute)
	}
	sinceStart := session.opened.Sub(pod.Status.StartTime.Time)
	t.Logf("SSH session open on %s %.0f s after the pod started; holding it %v", pod.Name, sinceStart.Seconds(), hold)

	// THEN while it is open, the idle-stop program counts it, and the Deployment keeps its replica and its pod
	counted := false
	var ended time.Time
	for ended.IsZero() {
		select {
		case err := <-session.done:
			if err != nil {
				t.Fatalf("the held SSH session failed: %v %s", err, session.stderr.String())
			}
			ended = time.Now()
		case <-time.After(2 * time.Second):
			d, err := deployments.Get(ctx, name, metav1.GetOptions{})
			if err != nil || replicas(d) != int32(1) {
				t.Fatalf("during the SSH session the Deployment has replicas %v (%v)", replicas(d), err)
			}
			p, err := h.client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil || p.DeletionTimestamp != nil {
				t.Fatalf("during the SSH session the pod %s went away (%v)", pod.Name, err)
			}
			if !counted {
				logs, _ := kubectl(ctx, "-n", ns, "logs", pod.Name, "-c", "dev")
				counted = strings.Contains(logs, "go-remote-idle-stop: SSH sessions open: 1")
			}
		}
	}
	if !counted {
		t.Fatalf("the idle-stop program never logged the open session")
	}
	t.Logf("during the %v session: 1 replica, the same pod, and the idle-stop program logged 'SSH sessions open: 1'", hold)

	// WHEN the session has ended THEN the Deployment is scaled to 0 after the period and within the period plus
	// one look of the idle-stop program, plus 30 s of slack for the API
	bound := idlePeriod + idleInterval + 30*time.Second
	closed := make(chan string, 1)
	go func() { closed <- h.sessionEnd(ctx, ns, pod.Name, bound) }()
	zero, err := waitReplicasZero(ctx, deployments, name, bound+30*time.Second)
	if err != nil {
		t.Fatalf("not scaled to 0 after the session ended: %v", err)
	}
	elapsed := zero.Sub(ended)
	h.recordSeconds("idleStopToZeroReplicasSeconds", elapsed)
	how := "(sshd's log not read)"
	select {
	case how = <-closed:
	case <-time.After(5 * time.Second):
	}
	if elapsed < idlePeriod-2*time.Second || elapsed > bound {
		t.Fatalf("scaled to 0 %.1f s after the last session ended; want between %v and %v; sshd: %s", elapsed.Seconds(), idlePeriod, bound, how)
	}
	t.Logf("no SSH session: scaled to 0 replicas %.1f s after the last session ended (period %v, looks every %v; sshd: %s)", elapsed.Seconds(), idlePeriod, idleInterval, how)

	// WHEN the developer connects again, through an ssh config written with --route connect (ProxyCommand:
	// cdk8s-go-remote connect, which wakes the stopped environment with the user's kube credentials) THEN the
	// one `ssh` command succeeds, the Deployment is scaled to 1 by it, and the workspace is kept
	connect := c.withConfig(h.sshConfig(t, ctx, dist, ns, name, c.knownHosts, "config-connect",
		"--route", "connect", "--connect-command", h.cli))
	woke := time.Now()
	out := connect.must(t, ctx, 5*time.Minute, "cat ~/idle-marker")
	wake := h.record("wakeOnConnectSeconds", woke)
	lines := strings.Split(out, "\n")
	if got := lines[len(lines)-1]; got != marker {
		t.Fatalf("after ssh through connect: ~/idle-marker holds %q, want %q; ssh printed:\n%s", got, marker, out)
	}
	if !strings.Contains(out, "stopped (0 replicas); scaling it to 1") {
		t.Fatalf("connect did not say it woke the environment; ssh printed:\n%s", out)
	}
	back := h.waitReady(t, ctx, ns, name, pod.UID, time.Minute)
	t.Logf("stopped environment: `ssh %s cat ~/idle-marker` through connect woke it (%s) and answered with the workspace kept in %.1f s (target 15 s with the image on the node)", connect.alias, back.Name, wake)
}

// heldSession: an SSH session whose command printed "session-open" and is still running.
type heldSession struct {
	opened time.Time
	done   chan error // the ssh command's end
	stderr *strings.Builder
}

// openSession runs the command over SSH and returns once it printed its first line, "session-open".
func openSession(ctx context.Context, c *sshClient, command string) (*heldSession, error) {
	cmd := exec.CommandContext(ctx, "ssh", append(c.sshArgs(), c.alias, "bash -lc "+shellQuote(command))...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &heldSession{done: make(chan error, 1), stderr: &strings.Builder{}}
	cmd.Stderr = s.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = r.WriteTo(nopWriter{})
		s.done <- cmd.Wait()
	}()
	select {
	case line := <-first:
		if strings.TrimSpace(line) != "session-open" {
			<-s.done
			return nil, fmt.Errorf("ssh printed %q: %s", line, s.stderr.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-s.done
		return nil, fmt.Errorf("no session within 2 minutes: %s", s.stderr.String())
	}
	s.opened = time.Now()
	return s, nil
}

// sessionEnd reads the pod's log until sshd says how the last connection it accepted ended: the client's
// disconnect, or sshd's own timeout of an unresponsive client.
func (h *harness) sessionEnd(ctx context.Context, ns, pod string, timeout time.Duration) string {
	accepted := regexp.MustCompile(`Accepted publickey for \S+ from \S+ port (\d+)`)
	deadline := time.Now().Add(timeout)
	port := ""
	for time.Now().Before(deadline) {
		logs, err := kubectl(ctx, "-n", ns, "logs", pod, "-c", "dev")
		if err != nil {
			return "the pod's log is gone"
		}
		if port == "" {
			all := accepted.FindAllStringSubmatch(logs, -1)
			if len(all) == 0 {
				return "no accepted connection in the log"
			}
			port = all[len(all)-1][1]
		}
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "port "+port) && (strings.Contains(l, "Received disconnect") || strings.Contains(l, "Timeout, client not responding") || strings.Contains(l, "Connection closed")) {
				return fmt.Sprintf("%q after %.0f s", l, timeout.Seconds()-time.Until(deadline).Seconds())
			}
		}
		time.Sleep(2 * time.Second)
	}
	return "no end of the connection logged for port " + port
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func replicas(d *appsv1.Deployment) any {
	if d == nil || d.Spec.Replicas == nil {
		return nil
	}
	return *d.Spec.Replicas
}

// waitReplicasZero watches the Deployment until its spec.replicas is 0 and returns when it saw that (a watch, so
// that a 0 is seen even if a reconciliation of Flux puts the replica back right after).
func waitReplicasZero(ctx context.Context, deployments interface {
	Get(context.Context, string, metav1.GetOptions) (*appsv1.Deployment, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
}, name string, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		d, err := deployments.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return time.Time{}, err
		}
		if replicas(d) == int32(0) {
			return time.Now(), nil
		}
		w, err := deployments.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(), ResourceVersion: d.ResourceVersion})
		if err != nil {
			return time.Time{}, err
		}
		for ev := range w.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && replicas(d) == int32(0) {
				w.Stop()
				return time.Now(), nil
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("replicas still %v after %v", replicas(d), timeout)
		}
	}
}

func outputOr(ctx context.Context, name string, args ...string) string {
	out, err := output(ctx, name, args...)
	if err != nil {
		return fmt.Sprintf("(%s: %v) %s", name, err, out)
	}
	return out
}
