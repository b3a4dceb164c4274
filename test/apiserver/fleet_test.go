package apiserver

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
)

// fleetLabel marks the namespace objects of a GoRemoteFleet (src/fleet.ts).
const fleetLabel = "go-remote.cdk8s.io/fleet"

// TestFleets checks, on the server's answers, what a GoRemoteFleet's namespace guard rails promise, for every
// scenario holding a fleet: the resource-quota controller counts the workspaces, the real quota admission
// refuses a claim beyond the quota, a container that declares no resources gets the LimitRange's defaults,
// Pod Security refuses a host-PID pod in a restricted namespace, and the network policies are stored as
// synthesized. Each scenario is applied first (a no-op when TestScenarios already did).
func TestFleets(t *testing.T) {
	found := 0
	for _, dir := range filepath.SplitList(*scenarioDirs) {
		scenarios, err := loadScenarios(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scenarios {
			quotas := objectsOf(s, func(o *unstructured.Unstructured) bool { return isResourceQuota(o) && o.GetLabels()[fleetLabel] != "" })
			if len(quotas) == 0 {
				continue
			}
			found++
			t.Run(filepath.Base(s.dir), func(t *testing.T) {
				if problems, _ := testCluster.run(testCtx, s, fieldManager); len(problems) > 0 {
					t.Fatalf("applying the scenario: %s", strings.Join(problems, "\n"))
				}
				for _, q := range quotas {
					t.Run(q.GetNamespace(), func(t *testing.T) { checkFleetNamespace(t, testCtx, s, q) })
				}
			})
		}
	}
	if found == 0 {
		t.Fatalf("no scenario holds a GoRemoteFleet (a ResourceQuota labelled %s): nothing was checked", fleetLabel)
	}
}

func objectsOf(s scenario, keep func(*unstructured.Unstructured) bool) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range s.objects {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func checkFleetNamespace(t *testing.T, ctx context.Context, s scenario, quotaObj *unstructured.Unstructured) {
	c := testCluster
	ns := quotaObj.GetNamespace()
	inNamespace := func(kind string) []*unstructured.Unstructured {
		return objectsOf(s, func(o *unstructured.Unstructured) bool { return o.GetKind() == kind && o.GetNamespace() == ns })
	}

	// The resource-quota controller's status: hard as declared; used counts the workspace claims and their
	// storage, and no pods (no controller here turns a Deployment into pods).
	claims := inNamespace("PersistentVolumeClaim")
	if len(claims) == 0 {
		t.Fatalf("the fleet's namespace %s has no PersistentVolumeClaim in the scenario", ns)
	}
	storage := resource.Quantity{}
	for _, o := range claims {
		pvc, err := typed[corev1.PersistentVolumeClaim](o)
		if err != nil {
			t.Fatal(err)
		}
		storage.Add(pvc.Spec.Resources.Requests[corev1.ResourceStorage])
	}
	want := corev1.ResourceList{
		corev1.ResourcePersistentVolumeClaims: *resource.NewQuantity(int64(len(claims)), resource.DecimalSI),
		corev1.ResourceRequestsStorage:        storage,
		corev1.ResourcePods:                   resource.MustParse("0"),
	}
	var quota *corev1.ResourceQuota
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		if quota, err = c.waitQuotaStatus(ctx, ns, quotaObj.GetName()); err != nil {
			return false, err
		}
		for name, q := range want {
			if used, ok := quota.Status.Used[name]; !ok || used.Cmp(q) != 0 {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("ResourceQuota %s/%s: expected used %v, the controller wrote %v: %v", ns, quotaObj.GetName(), want, quota.Status.Used, err)
	}
	t.Logf("ResourceQuota %s/%s: used %s of %s storage, %s of %s claims", ns, quota.Name,
		ptrTo(quota.Status.Used[corev1.ResourceRequestsStorage]), ptrTo(quota.Status.Hard[corev1.ResourceRequestsStorage]),
		ptrTo(quota.Status.Used[corev1.ResourcePersistentVolumeClaims]), ptrTo(quota.Status.Hard[corev1.ResourcePersistentVolumeClaims]))

	// One more claim of the whole storage quota is refused by the API server's quota admission.
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}
	over := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "beyond-the-quota", Namespace: ns},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: quota.Spec.Hard[corev1.ResourceRequestsStorage]}},
		},
	}
	_, err = c.client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, over, dryRun)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: "+quota.Name) {
		t.Errorf("a claim of %s beyond the quota's remaining storage: expected the quota admission to refuse it, got %v",
			ptrTo(quota.Spec.Hard[corev1.ResourceRequestsStorage]), err)
	}

	// A container that declares no resources is admitted with the LimitRange's defaults (within the quota).
	limitRanges := inNamespace("LimitRange")
	if len(limitRanges) != 1 {
		t.Fatalf("expected one LimitRange in %s, the scenario has %d", ns, len(limitRanges))
	}
	limits, err := typed[corev1.LimitRange](limitRanges[0])
	if err != nil {
		t.Fatal(err)
	}
	// The pods run as an environment's ServiceAccount: no controller here creates a namespace's "default" one.
	accounts := inNamespace("ServiceAccount")
	if len(accounts) == 0 {
		t.Fatalf("the fleet's namespace %s has no ServiceAccount in the scenario", ns)
	}
	restrictedPod := func(name string) *corev1.Pod { return restrictedPod(ns, name, accounts[0].GetName()) }
	pod, err := c.client.CoreV1().Pods(ns).Create(ctx, restrictedPod("no-resources"), dryRun)
	if err != nil {
		t.Errorf("a restricted pod without resources: expected it admitted with the LimitRange's defaults, got %v", err)
	} else if got, def := pod.Spec.Containers[0].Resources, limits.Spec.Limits[0]; !apiequality.Semantic.DeepEqual(got.Limits, def.Default) ||
		!apiequality.Semantic.DeepEqual(got.Requests, def.DefaultRequest) {
		t.Errorf("a pod without resources got %+v, expected the LimitRange's limits %v and requests %v", got, def.Default, def.DefaultRequest)
	}

	// The namespace's Pod Security level is enforced: restricted refuses a pod sharing the host's PID namespace.
	namespace, err := c.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	level := namespace.Labels["pod-security.kubernetes.io/enforce"]
	hostPID := restrictedPod("host-pid")
	hostPID.Spec.HostPID = true
	_, err = c.client.CoreV1().Pods(ns).Create(ctx, hostPID, dryRun)
	switch level {
	case "restricted":
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest": host namespaces (hostPID=true)`) {
			t.Errorf("namespace %s (Pod Security restricted): expected a host-PID pod refused, got %v", ns, err)
		}
	case "privileged":
		if err != nil {
			t.Errorf("namespace %s (Pod Security privileged): expected a host-PID pod admitted, got %v", ns, err)
		}
	default:
		t.Errorf("namespace %s: Pod Security enforce label %q, expected restricted or privileged", ns, level)
	}

	// The network policies are stored as synthesized: a default deny of everything, and SSH on 2222.
	policies := inNamespace("NetworkPolicy")
	seen := map[string]bool{}
	for _, o := range policies {
		declared, err := typed[networkingv1.NetworkPolicy](o)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := c.client.NetworkingV1().NetworkPolicies(ns).Get(ctx, o.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Errorf("NetworkPolicy %s/%s: %v", ns, o.GetName(), err)
			continue
		}
		if !apiequality.Semantic.DeepEqual(declared.Spec, stored.Spec) {
			t.Errorf("NetworkPolicy %s/%s: stored %+v, synthesized %+v", ns, o.GetName(), stored.Spec, declared.Spec)
		}
		switch strings.TrimPrefix(o.GetName(), ns+"--") {
		case "default-deny":
			seen["default-deny"] = len(stored.Spec.PodSelector.MatchLabels) == 0 && len(stored.Spec.PodSelector.MatchExpressions) == 0 &&
				len(stored.Spec.Ingress) == 0 && len(stored.Spec.Egress) == 0 && fmt.Sprint(stored.Spec.PolicyTypes) == "[Ingress Egress]"
		case "allow-ssh-and-egress":
			rules := stored.Spec.Ingress
			seen["allow-ssh"] = len(rules) == 1 && len(rules[0].Ports) == 1 && rules[0].Ports[0].Port.IntValue() == 2222 &&
				*rules[0].Ports[0].Protocol == corev1.ProtocolTCP && stored.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] == "go-remote"
		}
	}
	if !seen["default-deny"] || !seen["allow-ssh"] {
		t.Errorf("namespace %s: expected a stored default deny of all ingress and egress and an allowance of TCP 2222 to the environments' pods, found %v", ns, seen)
	}
}

// restrictedPod is a pod that Pod Security "restricted" admits, declaring no resources.
func restrictedPod(namespace, name, serviceAccount string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{
			ServiceAccountName:           serviceAccount,
			AutomountServiceAccountToken: ptrTo(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptrTo(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "main",
				Image: "registry.example.com/probe:1",
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptrTo(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }
