#!/usr/bin/env bash
# API-server tier: builds etcd and kube-apiserver (tools/k8s/build.sh), writes the scenarios
# (test/apiserver/scenarios.ts) and applies them, with the fixtures in testdata/, to a real API server.
#
#   bash test/apiserver/run.sh            # from the repository root
#
# Environment: K8S_LINE   Kubernetes line to test against (a directory of tools/k8s; default v1.27)
#              CI=true    a missing prerequisite fails the run instead of reporting NOT RUN (test/support/tier.sh)
# Go's own module and build caches are used (shared by every checkout); binaries go to .cache/k8s and the
# scenarios to .cache/apiserver/scenarios.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. tools/k8s/goenv.sh # the Go caches build.sh uses
here=test/apiserver
scenarios=$root/.cache/apiserver/scenarios
export OPENSHIFT_SCHEMAS=$root/schemas/openshift # vendored: SOURCE.md names the upstream commit
. test/support/tier.sh
tier_init "test/apiserver/run.sh (API-server tier)"

tier_require go "it builds kube-apiserver, etcd and the harness; tested with Go 1.26"
tier_require flock "tools/k8s/build.sh"
tier_require sha256sum "tools/k8s/build.sh"
if command -v python3 >/dev/null; then
  python3 -c 'import socket
for _ in range(3): socket.socket().bind(("127.0.0.1", 0))' 2>/dev/null ||
    tier_missing "cannot bind TCP ports on 127.0.0.1 (etcd and kube-apiserver listen there)"
else
  echo "test/apiserver/run.sh: no python3 to check that 127.0.0.1 ports can be bound; the harness checks it when it starts" >&2
fi

started=$SECONDS
bin=$(bash tools/k8s/build.sh "${K8S_LINE:-v1.27}" | tail -n 1) || tier_fail "tools/k8s/build.sh failed (output above)"
(cd "$here" && go test -c -o /dev/null .) || tier_fail "the harness does not compile" # now, so that the times below are honest
build_time=$((SECONDS - started))

dirs=$root/$here/testdata/scenarios
if [[ -f $here/scenarios.ts ]]; then
  rm -rf "$scenarios"
  npx ts-node --project test/tsconfig.json "$here/scenarios.ts" "$scenarios"
  dirs=$scenarios:$dirs
else
  echo "##########################################################################################" >&2
  echo "## test/apiserver/scenarios.ts does not exist: applying ONLY the hand-made fixtures in     " >&2
  echo "## test/apiserver/testdata/scenarios. Nothing the construct synthesizes is tested.         " >&2
  echo "##########################################################################################" >&2
fi

started=$SECONDS
status=0
crds=$(bash "$here/crds.sh") || tier_fail "$here/crds.sh could not get the CRDs" # Argo CD's and Flux's CRDs (fleet examples), cert-manager's Certificate (webhook example)
(cd "$here" && K8S_BIN_DIR=$bin APISERVER_SCENARIOS=$dirs APISERVER_CRDS=$crds go test -v -count=1 -timeout 20m .) || status=$?
echo "test/apiserver/run.sh: build ${build_time} s (etcd, kube-apiserver, harness), test $((SECONDS - started)) s (against $bin)"
exit $status
