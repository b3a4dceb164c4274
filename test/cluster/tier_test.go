// The cluster tier's checks: what the library synthesizes, unmodified, delivered by Flux from Git to a real
// single-node cluster, and reached as a user reaches it (OpenSSH with only the files `cdk8s-go-remote` writes,
// the real kubectl). Run by run.sh inside the cluster's namespaces (cluster.sh exec), with Flux's controllers
// and the git server running and the GitOps repository holding the synthesized dist/ (see README.md).
//
// What runs is staged through Git commits, four development pods at a time (the node's capacity), as a team's
// repository changes:
//
//	1 fleet     examples/fleet-flux.ts's platform team (its own flux-system/: erin, frank) and the tier's team
//	            (apps/team.ts: dana, ivan)
//	2 services  the platform team's developers leave (removed from Git), the tier's team is replaced by
//	            examples/delve-webhook.ts and the tier's access and node-access apps (apps/access.ts, node.ts)
//	3 examples  those are replaced by the other examples (basic, service-behind-network-policies,
//	            pod-network-operator)
//
// Environment (run.sh): KUBECONFIG, CLUSTER_* from the cluster's env file, and
//
//	TIER_DIST         the synthesized dist/ (apps/synth.ts), as committed
//	TIER_REPOS        the git server's root (acme/dev-environments.git, its work tree in .work/)
//	TIER_UPSTREAM     "<org>/<repo> <commit>" lines of the upstream repositories served
//	TIER_KEY          the private key the tier's apps authorize
//	TIER_CLI          bin/cdk8s-go-remote
//	TIER_FLUX_SH, TIER_CONTAINS_JS, TIER_CA_SH   test/cluster/flux/flux.sh, flux/contains.js, ca.sh
//	TIER_TIMINGS      where the timings are written (JSON)
//	PATH              kubectl, ssh, node, git, curl
package cluster

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// The root of what the tier delivers: a Kustomization of the repository's clusters/tier folder, which lists the
// stage's Namespaces and Kustomizations (as a `flux bootstrap` repository does). Applied once, by the tier.
const rootKustomization = "tier"

func TestTier(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	h := newHarness(t)
	defer h.writeTimings(t)

	// GIVEN examples/fleet-flux.ts's own Flux objects, applied as its header says (kubectl apply -f
	// dist/fleet-flux/flux-system/, from the repository), and the tier's root Kustomization
	worktree := filepath.Join(h.repos, ".work", "dev-environments")
	mustKubectl(t, ctx, "apply", "-f", filepath.Join(worktree, "dist", "fleet-flux", "flux-system"))
	root := filepath.Join(h.work, "root-kustomization.yaml")
	write(t, root, kustomizationYAML(rootKustomization, "./clusters/tier"))

	t.Run("1 fleet", func(t *testing.T) { h.stageFleet(t, ctx, root) })
	t.Run("2 webhook, API access, node access", func(t *testing.T) { h.stageServices(t, ctx) })
	t.Run("3 the other examples", func(t *testing.T) { h.stageExamples(t, ctx) })
}
