package apiserver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// fieldManager is the server-side-apply field manager of the synthesized manifests.
const fieldManager = "cdk8s-go-remote"

// cluster applies manifests to an API server and asks it questions, as an admin.
type cluster struct {
	client     kubernetes.Interface
	dynamic    dynamic.Interface
	mapper     *restmapper.DeferredDiscoveryRESTMapper
	warnings   *warningLog
	namespaces map[string]bool // namespaces known to exist
}

func newCluster(config *rest.Config) (*cluster, error) {
	config = rest.CopyConfig(config)
	warnings := &warningLog{}
	config.WarningHandler = warnings
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	return &cluster{
		client:     client,
		dynamic:    dyn,
		mapper:     restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery())),
		warnings:   warnings,
		namespaces: map[string]bool{},
	}, nil
}

// run applies a scenario, applies it again, and checks access. It returns every problem found, and notes
// worth a log line, each naming the scenario and the object.
func (c *cluster) run(ctx context.Context, s scenario, manager string) (problems, notes []string) {
	report := func(obj *unstructured.Unstructured, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("scenario %s: %s: %s", s.dir, describe(obj), fmt.Sprintf(format, args...)))
	}
	objs := slices.Clone(s.objects)
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return applyRank(a) - applyRank(b) })

	applied := map[*unstructured.Unstructured]bool{}
	for _, obj := range objs {
		_, warnings, err := c.apply(ctx, obj, manager)
		if err != nil {
			report(obj, "rejected: %v", err)
			continue
		}
		for _, w := range warnings {
			report(obj, "the server warned: %s", w)
		}
		applied[obj] = true
		if applyRank(obj) == 0 {
			if err := c.waitEstablished(ctx, obj.GetName()); err != nil {
				report(obj, "%v", err)
			}
		}
		if isResourceQuota(obj) { // quota admission refuses the namespace's objects until the quota has a status
			if _, err := c.waitQuotaStatus(ctx, obj.GetNamespace(), obj.GetName()); err != nil {
				report(obj, "%v", err)
			}
		}
	}

	// GitOps tools re-apply constantly: the same manifests again must change nothing. The server rewrites
	// an object in which it sees a change, if only to its managedFields timestamp; as that has a
	// resolution of one second, re-apply in a later second than the first write, or a change may hide.
	waitNextSecond()
	var rewritten []*unstructured.Unstructured
	for _, obj := range objs {
		if applied[obj] {
			if rewrote, err := c.reapply(ctx, obj, manager); err != nil {
				report(obj, "%v", err)
			} else if rewrote {
				rewritten = append(rewritten, obj)
			}
		}
	}
	// A rewrite without visible change is accepted once: the API server settles some objects on their
	// first update (it stores a PersistentVolumeClaim's defaulted status.phase; on a real cluster a
	// controller would have written the status before any re-apply). A third apply must change nothing.
	if len(rewritten) > 0 {
		waitNextSecond()
	}
	for _, obj := range rewritten {
		if rewrote, err := c.reapply(ctx, obj, manager); err != nil {
			report(obj, "%v", err)
		} else if rewrote {
			report(obj, "every apply of the same manifest rewrites the object, without visible change, so GitOps "+
				"tools would write it at every sync; typically an empty list or map (such as `rules: []` or "+
				"`labels: {}`), which this server stores as absent: omit it (kubernetes/kubernetes#124050)")
		} else {
			notes = append(notes, fmt.Sprintf("scenario %s: %s: re-applying rewrote it once without visible change, "+
				"a third apply changed nothing", s.dir, describe(obj)))
		}
	}
	return append(problems, c.checkAccess(ctx, s)...), notes
}

// waitNextSecond sleeps until shortly after the next full second.
func waitNextSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
}

// reapply applies obj again. It returns an error if that was rejected or changed the object visibly
// (outside status, resourceVersion and managedFields), and whether the server rewrote it all the same.
func (c *cluster) reapply(ctx context.Context, obj *unstructured.Unstructured, manager string) (rewrote bool, err error) {
	resource, err := c.resourceFor(ctx, obj)
	if err != nil {
		return false, err
	}
	// The object as it is now: controllers inside the API server may have written its status.
	current, err := resource.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("reading it back: %w", err)
	}
	again, _, err := c.apply(ctx, obj, manager)
	if err != nil {
		return false, fmt.Errorf("rejected when applied again: %w", err)
	}
	if again.GetResourceVersion() == current.GetResourceVersion() {
		return false, nil
	}
	if diff := cmp.Diff(visible(current), visible(again)); diff != "" {
		return true, fmt.Errorf("applying the same manifest again changed the object (-before +after):\n%s", diff)
	}
	return true, nil
}

// visible returns the object without the fields an apply of the same manifest may legitimately touch.
func visible(obj *unstructured.Unstructured) map[string]any {
	o := obj.DeepCopy().Object
	unstructured.RemoveNestedField(o, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(o, "metadata", "managedFields")
	unstructured.RemoveNestedField(o, "status")
	return o
}

// apply server-side applies obj with strict field validation.
func (c *cluster) apply(ctx context.Context, obj *unstructured.Unstructured, manager string) (*unstructured.Unstructured, []string, error) {
	resource, err := c.resourceFor(ctx, obj)
	if err != nil {
		return nil, nil, err
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	c.warnings.take()
	applied, err := resource.Patch(ctx, obj.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: manager, FieldValidation: metav1.FieldValidationStrict})
	return applied, c.warnings.take(), err
}

// resourceFor returns the API endpoint of obj's resource, first creating obj's namespace if missing.
// A namespaced object without a namespace goes to "default", as kubectl would put it.
func (c *cluster) resourceFor(ctx context.Context, obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) { // perhaps a CRD established since discovery was cached
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		return c.dynamic.Resource(mapping.Resource), nil
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(metav1.NamespaceDefault)
	}
	if err := c.ensureNamespace(ctx, obj.GetNamespace()); err != nil {
		return nil, err
	}
	return c.dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace()), nil
}

// ensureNamespace creates a namespace that no applied Namespace object has created.
func (c *cluster) ensureNamespace(ctx context.Context, name string) error {
	if c.namespaces[name] {
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	c.namespaces[name] = true
	return nil
}

// waitEstablished waits until the API server serves the CustomResourceDefinition's resource.
func (c *cluster) waitEstablished(ctx context.Context, name string) error {
	crds := c.dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		crd, err := crds.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, cond := range conditions {
			if m, ok := cond.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("not established: %w", err)
	}
	c.mapper.Reset()
	return nil
}

// checkAccess asks the API server, with SubjectAccessReviews, each question of the scenario's
// expectations, and for every ServiceAccount a few broad questions whose answer must be no unless an
// expectation asks the same question.
func (c *cluster) checkAccess(ctx context.Context, s scenario) []string {
	checks := slices.Clone(s.access)
	for _, obj := range s.objects {
		if obj.GetAPIVersion() != "v1" || obj.GetKind() != "ServiceAccount" {
			continue
		}
		for _, d := range deniedByDefault(obj.GetNamespace(), obj.GetName()) {
			if !slices.ContainsFunc(s.access, d.sameRequest) {
				checks = append(checks, d)
			}
		}
	}
	answer := map[bool]string{true: "allowed", false: "denied"}
	var problems []string
	for _, check := range checks {
		groups := check.Groups
		if groups == nil {
			groups = groupsOf(check.User)
		}
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   check.User,
			Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: check.Namespace, Verb: check.Verb, Group: check.Group,
				Resource: check.Resource, Subresource: check.Subresource, Name: check.Name,
			},
		}}
		got, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			problems = append(problems, fmt.Sprintf("scenario %s: SubjectAccessReview %q: %v", s.dir, check, err))
		} else if got.Status.Allowed != check.Allowed {
			problems = append(problems, fmt.Sprintf("scenario %s: %q: expected %s, the server says %s (reason: %q)",
				s.dir, check, answer[check.Allowed], answer[got.Status.Allowed], got.Status.Reason))
		}
	}
	return problems
}

// deniedByDefault lists broad things a ServiceAccount of a development environment must not be able to do.
func deniedByDefault(namespace, name string) []accessCheck {
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	user := "system:serviceaccount:" + namespace + ":" + name
	return []accessCheck{
		{User: user, Namespace: namespace, Verb: "create", Resource: "pods"},
		{User: user, Namespace: namespace, Verb: "get", Resource: "secrets"},
		{User: user, Verb: "list", Resource: "secrets"},
		{User: user, Namespace: namespace, Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
		{User: user, Verb: "*", Group: "*", Resource: "*"},
		{User: user, Namespace: namespace, Verb: "use", Group: "security.openshift.io", Resource: "securitycontextconstraints", Name: "privileged"},
	}
}

// groupsOf returns the groups the API server's authenticators give a user: a ServiceAccount is in
// system:serviceaccounts and system:serviceaccounts:<namespace>, everyone in system:authenticated.
func groupsOf(user string) []string {
	if rest, ok := strings.CutPrefix(user, "system:serviceaccount:"); ok {
		namespace, _, _ := strings.Cut(rest, ":")
		return []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}
	}
	return []string{"system:authenticated"}
}

// installOpenShiftBaseline gives the bare API server what every OpenShift cluster has for SCCs: the SCC
// CRD, the default SCCs with the RBAC that grants their use (restricted-v2 to every authenticated user),
// and, for each default SCC, the ClusterRole system:openshift:scc:<name> that the OpenShift operator
// generates (gensccroles.sh) where the copied files lack it. So an access check on "use privileged" has
// the answer it would have on OpenShift.
func (c *cluster) installOpenShiftBaseline(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "default-sccs", "*.yaml"))
	if err != nil {
		return err
	}
	s := scenario{dir: dir}
	for _, f := range append([]string{filepath.Join(dir, "securitycontextconstraints.crd.yaml")}, files...) {
		objs, err := readObjects(f)
		if err != nil {
			return err
		}
		s.objects = append(s.objects, objs...)
	}
	for _, obj := range slices.Clone(s.objects) {
		if obj.GetKind() != "SecurityContextConstraints" {
			continue
		}
		role := "system:openshift:scc:" + obj.GetName()
		if !slices.ContainsFunc(s.objects, func(o *unstructured.Unstructured) bool { return o.GetKind() == "ClusterRole" && o.GetName() == role }) {
			s.objects = append(s.objects, &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "rbac.authorization.k8s.io/v1",
				"kind":       "ClusterRole",
				"metadata":   map[string]any{"name": role},
				"rules": []any{map[string]any{
					"apiGroups": []any{"security.openshift.io"}, "resources": []any{"securitycontextconstraints"},
					"resourceNames": []any{obj.GetName()}, "verbs": []any{"use"},
				}},
			}})
		}
	}
	if problems, _ := c.run(ctx, s, "openshift-baseline"); len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// warningLog collects the warnings the API server sends (deprecations, PodSecurity "warn" results ...).
type warningLog struct {
	mu       sync.Mutex
	messages []string
}

func (w *warningLog) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.messages = append(w.messages, text)
}

// take returns the warnings received since the last call.
func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.messages
	w.messages = nil
	return m
}
