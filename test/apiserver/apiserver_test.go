// Package apiserver applies synthesized manifests to a real kube-apiserver (with etcd, on 127.0.0.1) and
// checks that the server accepts them, that re-applying them changes nothing, and who may do what.
// Run it through test/apiserver/run.sh, which builds the binaries and produces the scenarios.
package apiserver

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var (
	scenarioDirs = flag.String("scenarios", envOr("APISERVER_SCENARIOS", "../../.cache/apiserver/scenarios"),
		"scenario directories, separated by "+string(os.PathListSeparator)+" (env APISERVER_SCENARIOS)")
	binDir = flag.String("k8s-bin", os.Getenv("K8S_BIN_DIR"),
		"directory holding etcd and kube-apiserver, as printed by tools/k8s/build.sh (env K8S_BIN_DIR)")
	openshiftDir = flag.String("openshift", envOr("OPENSHIFT_SCHEMAS", "../../schemas/openshift"),
		"directory with securitycontextconstraints.crd.yaml and default-sccs/ (env OPENSHIFT_SCHEMAS)")

	// Set by TestMain: one control plane serves every test.
	testCtx     context.Context // cancelled on SIGINT or SIGTERM
	testCluster *cluster
)

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if *binDir == "" {
		fmt.Fprintln(os.Stderr, "K8S_BIN_DIR is not set: run `bash tools/k8s/build.sh` and pass the directory it prints (or use test/apiserver/run.sh)")
		return 1
	}
	var stop context.CancelFunc
	testCtx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cp, err := startControlPlane(testCtx, *binDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer cp.stop()
	if testCluster, err = newCluster(cp.config); err == nil {
		err = testCluster.installOpenShiftBaseline(testCtx, *openshiftDir)
	}
	if err == nil {
		err = testCluster.installCRDs(testCtx, *crdFiles)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "preparing the cluster:", err)
		return 1
	}
	return m.Run()
}

// TestScenarios applies every scenario of every scenario directory; each must pass all checks.
func TestScenarios(t *testing.T) {
	for _, dir := range filepath.SplitList(*scenarioDirs) {
		scenarios, err := loadScenarios(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scenarios {
			t.Run(filepath.Base(s.dir), func(t *testing.T) {
				problems, notes := testCluster.run(testCtx, s, fieldManager)
				for _, note := range notes {
					t.Log(note)
				}
				for _, problem := range problems {
					t.Error(problem)
				}
			})
		}
	}
}

// TestRejectsBadFixtures proves the harness can fail: the server must reject each bad fixture with the
// expected message.
func TestRejectsBadFixtures(t *testing.T) {
	want := map[string]string{
		"unknown-field":        `.spec.template.spec.containers[name="main"].securityContext.runAsNonRoots: field not declared in schema`,
		"scc-missing-required": `"bad-missing-required" is invalid: requiredDropCapabilities: Required value`,
		"pod-security-warning": `the server warned: would violate PodSecurity "restricted:latest"`,
		"reapply-churn":        `Role bad-churn/empty-rules: every apply of the same manifest rewrites the object`,
		"privileged-binding":   `system:serviceaccount:bad-binding:builder may use securitycontextconstraints.security.openshift.io privileged in namespace bad-binding": expected denied, the server says allowed`,
	}
	// Newer API servers no longer rewrite objects for empty lists and maps (kubernetes/kubernetes#124050).
	onlyUpToMinor := map[string]int{"reapply-churn": 27}
	version, err := testCluster.client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	minor, err := strconv.Atoi(strings.TrimSuffix(version.Minor, "+"))
	if err != nil {
		t.Fatalf("server version %+v: %v", version, err)
	}
	scenarios, err := loadScenarios("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(scenarios) != len(want) {
		t.Fatalf("testdata/bad holds %d scenarios, this test knows %d", len(scenarios), len(want))
	}
	for _, s := range scenarios {
		name := filepath.Base(s.dir)
		t.Run(name, func(t *testing.T) {
			if upTo, ok := onlyUpToMinor[name]; ok && minor > upTo {
				t.Skipf("only bad up to Kubernetes 1.%d; the server is %s", upTo, version.GitVersion)
			}
			problems, _ := testCluster.run(testCtx, s, fieldManager)
			for _, p := range problems {
				if strings.Contains(p, want[name]) {
					t.Logf("failed as it should: %s", p)
					return
				}
			}
			t.Errorf("expected a problem containing %q, got %q", want[name], problems)
		})
	}
}
