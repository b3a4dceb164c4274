#!/usr/bin/env bash
# Builds the cluster tier's infrastructure images with podman, since no registry can be reached, and saves
# them in one docker-archive tar that `ctr -n k8s.io images import` reads:
#   localhost/cdk8s-cluster/pause:<hash>                    the sandbox image (containerd's sandbox_image,
#                                                           kubelet's --pod-infra-container-image)
#   localhost/cdk8s-cluster/coredns:<version>               cluster DNS
#   localhost/cdk8s-cluster/local-path-provisioner:<version> the default StorageClass's provisioner
#   localhost/cdk8s-cluster/busybox:<version>               the provisioner's helper pod (Debian's busybox-static)
# Each image is FROM scratch with one static program (busybox: plus the applet links the helper uses).
#
#   out=$(bash tools/cluster/images.sh <bin-dir of tools/cluster/build.sh> | tail -n 1)
#   . "$out/images.env"     # PAUSE_IMAGE, COREDNS_IMAGE, PROVISIONER_IMAGE, HELPER_IMAGE, IMAGES_TAR
#
# Rebuilt only when a program, busybox or this script changed. Needs root, podman (runc) and /bin/busybox
# from busybox-static; test/cluster/run.sh installs them.
set -euo pipefail

bin=${1:?usage: tools/cluster/images.sh <bin directory of tools/cluster/build.sh>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/.cache/cluster/images
busybox=${BUSYBOX:-/bin/busybox}
say() { printf 'tools/cluster/images.sh: %s\n' "$*" >&2; }
for f in pause coredns local-path-provisioner versions.env; do
  [[ -e $bin/$f ]] || { say "$bin/$f is missing: run tools/cluster/build.sh"; exit 2; }
done
[[ -x $busybox ]] || { say "no $busybox (apt-get install busybox-static)"; exit 2; }
command -v podman >/dev/null || { say "podman is not on PATH"; exit 2; }
# shellcheck source=/dev/null
. "$bin/versions.env"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

hash_of() { cat "$@" | sha256sum | cut -c 1-12; }
busybox_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null | tr -c 'A-Za-z0-9_.\n-' '_' || true)
pause_image=localhost/cdk8s-cluster/pause:$(hash_of "$bin/pause")
coredns_image=localhost/cdk8s-cluster/coredns:$COREDNS_VERSION
provisioner_image=localhost/cdk8s-cluster/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION
helper_image=localhost/cdk8s-cluster/busybox:${busybox_version:-$(hash_of "$busybox")}
stamp=$(
  {
    cat "$bin/pause" "$bin/coredns" "$bin/local-path-provisioner" "$busybox" "${BASH_SOURCE[0]}" | sha256sum
    echo "$pause_image $coredns_image $provisioner_image $helper_image"
  } | sha256sum | cut -d' ' -f1
)
tar=$out/images.tar
if [[ -s $tar && "$(cat "$out/stamp" 2>/dev/null)" == "$stamp" ]]; then
  say "images are built"
  echo "$out"
  exit 0
fi

started=$SECONDS
ctx=$(mktemp -d "$out/.ctx.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

# image <ref> <entrypoint> <context dir>: FROM scratch, the context copied to /.
image() {
  local ref=$1 entrypoint=$2 dir=$3
  printf 'FROM scratch\nCOPY . /\nENTRYPOINT ["%s"]\n' "$entrypoint" >"$dir.Containerfile"
  podman build --quiet --network none -f "$dir.Containerfile" -t "$ref" "$dir" >/dev/null ||
    { say "podman build of $ref failed"; exit 1; }
}
for name in pause coredns local-path-provisioner; do
  mkdir -p "$ctx/$name"
  cp "$bin/$name" "$ctx/$name/$name"
done
mkdir -p "$ctx/busybox/bin"
cp "$busybox" "$ctx/busybox/bin/busybox"
# the applets the provisioner's setup and teardown scripts and a person debugging a volume use
for applet in sh mkdir rm chmod ls cat du; do
  ln -s busybox "$ctx/busybox/bin/$applet"
done
image "$pause_image" /pause "$ctx/pause"
image "$coredns_image" /coredns "$ctx/coredns"
image "$provisioner_image" /local-path-provisioner "$ctx/local-path-provisioner"
image "$helper_image" /bin/sh "$ctx/busybox"
rm -f "$tar.partial"
podman save --quiet --format docker-archive --multi-image-archive -o "$tar.partial" \
  "$pause_image" "$coredns_image" "$provisioner_image" "$helper_image" || { say "podman save failed"; exit 1; }
mv "$tar.partial" "$tar"
# Earlier builds of these images are of no further use.
for old in $(podman images --format '{{.Repository}}:{{.Tag}}'); do
  case $old in
    "$pause_image" | "$coredns_image" | "$provisioner_image" | "$helper_image") ;;
    localhost/cdk8s-cluster/*) podman rmi "$old" >/dev/null 2>&1 || true ;;
  esac
done
cat >"$out/images.env" <<EOF
PAUSE_IMAGE=$pause_image
COREDNS_IMAGE=$coredns_image
PROVISIONER_IMAGE=$provisioner_image
HELPER_IMAGE=$helper_image
IMAGES_TAR=$tar
EOF
echo "$stamp" >"$out/stamp"
say "built and saved 4 images in $((SECONDS - started)) s"
echo "$out"
