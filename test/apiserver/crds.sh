#!/usr/bin/env bash
# Prints, colon-separated, the CustomResourceDefinitions of the third-party kinds the examples emit: the GitOps
# objects of the fleet examples (Argo CD's Application and ApplicationSet, Flux's GitRepository and Kustomization)
# and the webhook example's cert-manager Certificate, taken from the projects' own Go modules as the Go module
# proxy serves them (go mod download verifies them against the checksum database; the hashes below pin them
# further). test/apiserver/run.sh installs them before the scenarios.
#
#   bash test/apiserver/crds.sh
#
# Flux is pinned to 1.9.6: its 1.10 modules require Go 1.27. cert-manager is pinned to 1.19, the newest whose CRD
# a 1.27 API server takes (from 1.20 on it declares selectableFields, Kubernetes 1.30); the unit tests' schema
# check reads the same CRD, vendored in schemas/cert-manager/: keep the two versions equal.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/tools/k8s/goenv.sh"

# module@version  expected h1 hash  CRD files inside the module
modules=(
  "github.com/argoproj/argo-cd/v2@v2.14.21 h1:Ux50vfMUITW+Y+6GAYgQlZbr6WHE5ogiLg9OxxvP9EA= manifests/crds/application-crd.yaml manifests/crds/applicationset-crd.yaml manifests/crds/appproject-crd.yaml"
  "github.com/fluxcd/source-controller@v1.9.6 h1:nG534/bI6nVpyHra7ONAk6xDB3xPsVT+EOLHZHXPrrc= config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"
  "github.com/fluxcd/kustomize-controller@v1.9.6 h1:XB+G3A0mky0j5uVHZWv4oSlS2RvZBoNIUhstIvY0JKE= config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"
  "github.com/cert-manager/cert-manager@v1.19.4 h1:7lOkSYj+nJNjgGFfAznQzPpOfWX+1Kgz6xUXwTa/K5k= deploy/crds/cert-manager.io_certificates.yaml"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" # outside any module: go mod download fetches exactly the module named
files=()
for line in "${modules[@]}"; do
  read -r module sum crds <<<"$line"
  # go mod download -json reports a failure in its JSON (stdout) and exits 1: print it before set -e stops here.
  info=$(GOTOOLCHAIN=local go mod download -json "$module") || { echo "crds.sh: cannot download $module: $info" >&2; exit 1; }
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")
  got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")
  if [[ -z $dir ]]; then
    echo "crds.sh: cannot download $module: $info" >&2
    exit 1
  fi
  if [[ $got != "$sum" ]]; then
    echo "crds.sh: $module has hash $got, pinned $sum" >&2
    exit 1
  fi
  for crd in $crds; do
    [[ -f $dir/$crd ]] || { echo "crds.sh: $module has no $crd" >&2; exit 1; }
    files+=("$dir/$crd")
  done
done
(IFS=:; echo "${files[*]}")
