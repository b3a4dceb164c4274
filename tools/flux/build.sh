#!/usr/bin/env bash
# Builds Flux's source-controller and kustomize-controller from the wrapper modules in tools/flux/<controller>/
# into .cache/flux/<version>/bin, copies every CRD of the two controllers (config/crd/bases/ of their modules, as
# the Go module proxy serves them; sha256 pinned in tools/flux/crds.sha256) into .cache/flux/<version>/crds, and
# prints the bin directory as the last line of stdout (all other output goes to stderr; crds is ../crds from it).
# Idempotent: when the binaries exist and the wrapper modules, crds.sha256 and this script are unchanged, it only
# prints the directory. Concurrent calls wait for each other.
#
#   bin=$(bash tools/flux/build.sh | tail -n 1)
#   "$bin/source-controller" --help; ls "$bin/../crds"
#
# Why wrapper modules: `go install github.com/fluxcd/source-controller@v1.9.6` fails on the controllers' replace
# directives (one points at their nested ./api module, outside the module zip). See tools/flux/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
controllers=(source-controller kustomize-controller)
command -v go >/dev/null || { echo "tools/flux/build.sh: 'go' is not on PATH" >&2; exit 2; }

# One Flux version for both controllers: the version each wrapper requires.
version=""
for c in "${controllers[@]}"; do
  v=$(awk -v m="github.com/fluxcd/$c" '$1 == m && $2 ~ /^v/ { print $2 }' "$here/$c/go.mod")
  [[ -n $v ]] || { echo "tools/flux/build.sh: $c/go.mod does not require github.com/fluxcd/$c" >&2; exit 2; }
  [[ -z $version || $version == "$v" ]] || { echo "tools/flux/build.sh: $c is $v, another controller $version" >&2; exit 2; }
  version=$v
done
out=$root/.cache/flux/$version
bin=$out/bin
mkdir -p "$out"
stamp=$( (for c in "${controllers[@]}"; do cat "$here/$c/go.mod" "$here/$c/go.sum" "$here/$c/tools.go"; done
  cat "$here/crds.sha256" "${BASH_SOURCE[0]}") | sha256sum | cut -d' ' -f1)

exec 9>"$out/.lock"
flock 9 # another build.sh for the same version waits here

built=true
for c in "${controllers[@]}"; do
  [[ -x $bin/$c ]] || built=false
done
[[ -d $out/crds ]] || built=false
if [[ $built == true && "$(cat "$out/stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "tools/flux/build.sh: Flux controllers $version already built" >&2
  echo "$bin"
  exit 0
fi

# shellcheck disable=SC1091 # goenv.sh is checked on its own
. "$root/tools/k8s/goenv.sh"
export CGO_ENABLED=0 # static binaries, as Flux releases them
echo "tools/flux/build.sh: building ${controllers[*]} $version with $(go env GOVERSION) into $bin" >&2
start=$SECONDS
tmp=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/crds"

for c in "${controllers[@]}"; do
  cd "$here/$c"
  go mod download >&2 # fails here, not mid-build, when a module cannot be fetched (verified against go.sum)
  # The CRDs come from the controller's module as go.sum pins it; crds.sha256 pins each file as well.
  dir=$(go list -m -f '{{.Dir}}' "github.com/fluxcd/$c")
  [[ -d $dir/config/crd/bases ]] || { echo "tools/flux/build.sh: no config/crd/bases in $dir" >&2; exit 1; }
  cp "$dir"/config/crd/bases/*.yaml "$tmp/crds/"
  t=$SECONDS
  go build -trimpath -ldflags="-s -w" -o "$tmp/bin/$c" "github.com/fluxcd/$c" >&2
  echo "tools/flux/build.sh: $c built in $((SECONDS - t)) s" >&2
done

# Exactly the pinned CRDs, each with its pinned hash: a new or changed CRD in a version bump is noticed here.
(cd "$tmp/crds" && sha256sum --quiet --strict -c "$here/crds.sha256") >&2 ||
  { echo "tools/flux/build.sh: the CRDs differ from tools/flux/crds.sha256" >&2; exit 1; }
have=$(cd "$tmp/crds" && printf '%s\n' *.yaml | sort)
want=$(awk '{ print $2 }' "$here/crds.sha256" | sort)
[[ $have == "$want" ]] || { echo "tools/flux/build.sh: CRD files differ from crds.sha256: $(diff <(echo "$want") <(echo "$have") | tr '\n' ' ')" >&2; exit 1; }

rm -rf "$bin" "$out/crds"
chmod 755 "$tmp/bin" "$tmp/crds"
mv "$tmp/crds" "$out/crds"
mv "$tmp/bin" "$bin"
echo "$stamp" >"$out/stamp"
echo "tools/flux/build.sh: built in $((SECONDS - start)) s" >&2
echo "$bin"
