package apiserver

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
)

// controllerManager is the kube-controller-manager of the control plane, set by startControllerManager; its log
// tail goes into the error when a quota gets no status.
var controllerManager *process

// startControllerManager runs kube-controller-manager with the resource-quota controller only: it is what
// writes a ResourceQuota's status (hard copied from spec, used computed from the namespace's objects), without
// which the API server's quota admission refuses every PersistentVolumeClaim and pod of the namespace
// ("status unknown for quota"). No other controller runs: no pods are created from Deployments.
func (cp *controlPlane) startControllerManager(binDir, host string, caData []byte, token string) error {
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: tier
  cluster: {server: %q, certificate-authority-data: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: tier
  context: {cluster: tier, user: admin}
current-context: tier
`, host, base64.StdEncoding.EncodeToString(caData), token)
	path := filepath.Join(cp.dir, "controller-manager.kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		return err
	}
	binary := filepath.Join(binDir, "kube-controller-manager")
	if _, err := os.Stat(binary); err != nil {
		return fmt.Errorf("no kube-controller-manager in %s (tools/k8s/build.sh builds it): %w", binDir, err)
	}
	p, err := cp.start("kube-controller-manager", binary,
		"--kubeconfig="+path,
		"--controllers=resourcequota",
		"--leader-elect=false",
		"--secure-port=0", // no HTTPS endpoint: nothing here scrapes it
		"--resource-quota-sync-period=10s",
		"--v=1")
	if err != nil {
		return err
	}
	controllerManager = p
	return nil
}

// isResourceQuota reports whether obj is a core ResourceQuota.
func isResourceQuota(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "ResourceQuota"
}

// waitQuotaStatus waits until the resource-quota controller has written the status of the ResourceQuota
// (status.hard equal to spec.hard), as the API server's quota admission refuses objects of the namespace
// until then. A GitOps tool meets the same moment and retries; the harness waits instead.
func (c *cluster) waitQuotaStatus(ctx context.Context, namespace, name string) (*corev1.ResourceQuota, error) {
	var quota *corev1.ResourceQuota
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		quota, err = c.client.CoreV1().ResourceQuotas(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return quota.Status.Hard != nil && apiequality.Semantic.DeepEqual(quota.Status.Hard, quota.Spec.Hard), nil
	})
	if err != nil {
		tail := "(kube-controller-manager is not running)"
		if controllerManager != nil {
			tail = controllerManager.tail()
		}
		return nil, fmt.Errorf("the resource-quota controller wrote no status: %w\n%s", err, tail)
	}
	return quota, nil
}

// typed converts an unstructured object to a typed one.
func typed[T any](obj *unstructured.Unstructured) (*T, error) {
	out := new(T)
	err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out)
	return out, err
}
