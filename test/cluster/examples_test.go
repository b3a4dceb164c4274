package cluster

// Stage 3: the other examples, each delivered by a Kustomization of its folder in dist/examples/ into the
// namespace it names (which the cluster's admin creates), replacing stage 2's apps.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The examples of stage 3: folder under dist/examples, namespace, and the repository each clones.
var otherExamples = []struct{ folder, namespace, repo string }{
	{"basic", "dev", "acme/widget"},
	{"service-behind-network-policies", "shop", "acme/checkout"},
	{"pod-network-operator", "pod-network-operator", "opdev/pod-network-operator"},
}

func (h *harness) stageExamples(t *testing.T, ctx context.Context) {
	// GIVEN a node labelled for examples/pod-network-operator.ts's nodeSelector (what its admin does for the
	// nodes developers may take over)
	mustKubectl(t, ctx, "label", "node", env(t, "CLUSTER_NODE_NAME"), "go-remote.cdk8s.io/dev-node=true", "--overwrite")
	// WHEN the stage's commit replaces stage 2's Kustomizations by one per other example
	namespaces := []string{serviceNamespaces()}
	files := map[string]string{}
	for _, e := range otherExamples {
		namespaces = append(namespaces, namespaceYAML(e.namespace, nil))
		files["example-"+e.folder+".yaml"] = kustomizationYAML("example-"+e.folder, "./dist/examples/"+e.folder)
	}
	files["namespaces.yaml"] = strings.Join(namespaces, "---\n")
	committed := time.Now()
	commit := h.commitFolder(t, ctx, "clusters/tier", "stage 3: the other examples", files)
	kustomizations := []string{rootKustomization}
	for _, e := range otherExamples {
		kustomizations = append(kustomizations, "example-"+e.folder)
	}
	h.waitApplied(t, ctx, commit, kustomizations...)
	for _, k := range []string{"example-delve-webhook", "tier-access", "tier-node"} {
		waitGone(t, ctx, "flux-system", "kustomization/"+k, 2*time.Minute)
	}

	// THEN each example's environment is Running and Ready, with its repository cloned from the git server
	var manifests []string
	var last time.Time
	for _, e := range otherExamples {
		name := strings.TrimPrefix(strings.TrimSpace(mustKubectl(t, ctx, "-n", e.namespace, "get", "deployment", "-l", "app.kubernetes.io/managed-by=cdk8s-go-remote", "-o", "name")), "deployment.apps/")
		pod := h.waitReady(t, ctx, e.namespace, name, "", 5*time.Minute)
		if ready := readySince(pod); ready.After(last) {
			last = ready
		}
		if logs := mustKubectl(t, ctx, "-n", e.namespace, "logs", pod.Name, "-c", "clone"); !strings.Contains(logs, "cloned into /workspace/go/src/github.com/"+e.repo+"\n") {
			t.Fatalf("%s: the clone container did not clone %s:\n%s", e.folder, e.repo, logs)
		}
		manifests = append(manifests, manifestsIn(t, filepath.Join(h.dist, "examples", e.folder))...)
	}
	t.Logf("%d examples Running and Ready %.0f s after the commit, each with its repository cloned", len(otherExamples), h.recordSeconds("examples.commitToEveryPodReadySeconds", last.Sub(committed)))
	// AND stored as synthesized, the service's own NetworkPolicy included
	t.Log(h.checkStored(t, ctx, manifests))
	h.checkNetworkPolicies(t, ctx, manifests)
}
