package apiserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// A scenario is one directory of synthesized manifests: <dir>/*.yaml plus an optional expectations.json.
type scenario struct {
	dir     string
	objects []*unstructured.Unstructured
	access  []accessCheck
}

// accessCheck is one SubjectAccessReview and the answer expected from it. Groups defaults to the groups
// the API server's authenticators give the user (see groupsOf).
type accessCheck struct {
	User        string   `json:"user"`
	Groups      []string `json:"groups,omitempty"`
	Namespace   string   `json:"namespace"`
	Verb        string   `json:"verb"`
	Group       string   `json:"group"`
	Resource    string   `json:"resource"`
	Subresource string   `json:"subresource"`
	Name        string   `json:"name"`
	Allowed     bool     `json:"allowed"`
}

func (c accessCheck) String() string {
	what := c.Resource
	if c.Group != "" {
		what += "." + c.Group
	}
	if c.Subresource != "" {
		what += "/" + c.Subresource
	}
	if c.Name != "" {
		what += " " + c.Name
	}
	where := "cluster-wide"
	if c.Namespace != "" {
		where = "in namespace " + c.Namespace
	}
	return fmt.Sprintf("%s may %s %s %s", c.User, c.Verb, what, where)
}

// sameRequest reports whether c and o ask the same question of the same user (whatever answer they expect).
func (c accessCheck) sameRequest(o accessCheck) bool {
	return c.User == o.User && c.Namespace == o.Namespace && c.Verb == o.Verb && c.Group == o.Group &&
		c.Resource == o.Resource && c.Subresource == o.Subresource && c.Name == o.Name
}

// loadScenarios reads every scenario under dir; a directory without scenarios is an error.
func loadScenarios(dir string) ([]scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var scenarios []scenario
	for _, e := range entries {
		if e.IsDir() {
			s, err := loadScenario(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			scenarios = append(scenarios, s)
		}
	}
	if len(scenarios) == 0 {
		return nil, fmt.Errorf("%s holds no scenario directories: a run that applies nothing is not a pass", dir)
	}
	return scenarios, nil
}

func loadScenario(dir string) (scenario, error) {
	s := scenario{dir: dir}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return s, err
	}
	sort.Strings(files)
	for _, f := range files {
		objs, err := readObjects(f)
		if err != nil {
			return s, err
		}
		s.objects = append(s.objects, objs...)
	}
	if len(s.objects) == 0 {
		return s, fmt.Errorf("scenario %s has no Kubernetes objects in *.yaml", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, "expectations.json"))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return s, err
	}
	var exp struct {
		Access []accessCheck `json:"access"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		return s, fmt.Errorf("%s/expectations.json: %w", dir, err)
	}
	s.access = exp.Access
	return s, nil
}

// readObjects reads a multi-document YAML file; empty documents are skipped.
func readObjects(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if err == io.EOF {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, n, err)
		}
		if string(bytes.TrimSpace(data)) == "null" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, n, err)
		}
		objs = append(objs, obj)
	}
}

// applyRank orders objects so that what others depend on exists first: CRDs, namespaces, RBAC, the rest.
func applyRank(obj *unstructured.Unstructured) int {
	gk := obj.GroupVersionKind().GroupKind()
	switch {
	case gk.Group == "apiextensions.k8s.io" && gk.Kind == "CustomResourceDefinition":
		return 0
	case gk.Group == "" && gk.Kind == "Namespace":
		return 1
	case gk.Group == "" && gk.Kind == "ServiceAccount", gk.Group == "rbac.authorization.k8s.io":
		return 2
	default:
		return 3
	}
}

func describe(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}
