#!/usr/bin/env bash
# API-server tier: builds etcd and kube-apiserver (tools/k8s/build.sh), writes the scenarios
# (test/apiserver/scenarios.ts) and applies them, with the fixtures in testdata/, to a real API server.
#
#   bash test/apiserver/run.sh            # from the repository root
#
# Environment: K8S_LINE   Kubernetes line to test against (a directory of tools/k8s; default v1.27)
#              OPENSHIFT_SCHEMAS   SCC CRD and default SCCs (default ../shared/schemas/openshift)
#              CI=true    a missing prerequisite fails the run instead of skipping it
# Caches and outputs live in .cache/ (Go modules and builds in .cache/go, binaries in .cache/k8s,
# scenarios in .cache/apiserver/scenarios).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. tools/k8s/goenv.sh # the Go caches build.sh uses
here=test/apiserver
scenarios=$root/.cache/apiserver/scenarios
export OPENSHIFT_SCHEMAS=${OPENSHIFT_SCHEMAS:-$(cd "$root/.." && pwd)/shared/schemas/openshift}

missing() {
  echo "test/apiserver/run.sh: cannot run the API-server tier: $*" >&2
  if [[ ${CI:-} == true ]]; then
    exit 1
  fi
  echo "test/apiserver/run.sh: SKIPPED (set CI=true to make this an error)" >&2
  exit 0
}

command -v go >/dev/null || missing "'go' is not on PATH (it builds kube-apiserver, etcd and the harness; tested with Go 1.26)"
for tool in flock sha256sum; do
  command -v "$tool" >/dev/null || missing "'$tool' is not on PATH (tools/k8s/build.sh needs it)"
done
[[ -f $OPENSHIFT_SCHEMAS/securitycontextconstraints.crd.yaml && -d $OPENSHIFT_SCHEMAS/default-sccs ]] ||
  missing "no SCC CRD and default SCCs in $OPENSHIFT_SCHEMAS (set OPENSHIFT_SCHEMAS)"
if command -v python3 >/dev/null; then
  python3 -c 'import socket
for _ in range(3): socket.socket().bind(("127.0.0.1", 0))' 2>/dev/null ||
    missing "cannot bind TCP ports on 127.0.0.1 (etcd and kube-apiserver listen there)"
else
  echo "test/apiserver/run.sh: no python3 to check that 127.0.0.1 ports can be bound; the harness checks it when it starts" >&2
fi

started=$SECONDS
bin=$(bash tools/k8s/build.sh "${K8S_LINE:-v1.27}" | tail -n 1)
(cd "$here" && go test -c -o /dev/null .) # compile the harness now, so the times below are honest
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
crds=$(bash "$here/crds.sh") # Argo CD's and Flux's CRDs (fleet examples), cert-manager's Certificate (webhook example)
(cd "$here" && K8S_BIN_DIR=$bin APISERVER_SCENARIOS=$dirs APISERVER_CRDS=$crds go test -v -count=1 -timeout 20m .) || status=$?
echo "test/apiserver/run.sh: build ${build_time} s (etcd, kube-apiserver, harness), test $((SECONDS - started)) s (against $bin)"
exit $status
