# shellcheck shell=bash
# The dev image (images/go-remote) as the tiers build it, one way for all of them: on a local stand-in for
# the upstream Go base image (a debootstrapped bookworm plus this machine's Go, test/e2e/base/Containerfile),
# which trusts this machine's CA bundle and the tier CA (test/cluster/ca.sh), with kubectl built from Go
# modules. Sourced by test/e2e/run.sh and test/cluster/run.sh after test/support/tier.sh:
#
#   . test/support/dev-image.sh
#   dev_image_podman_conf            # exports CONTAINERS_CONF (runc, cgroupfs, no default ulimits)
#   dev_image_build <image> <kubectl-bin-dir> <log-dir>
#                                    # sets DEV_IMAGE_BASE, DEV_IMAGE_BASE_SECONDS, DEV_IMAGE_SECONDS
#
# Needs root, podman, runc, debootstrap and go (the callers install them). The debootstrapped root file
# system and the podman configuration are cached in .cache/dev-image/; the base image is cached in podman
# under a content key (debootstrap's version, the Containerfile, Go, both CA files), the dev image by podman's
# layer cache. Any failure is tier_fail.

dev_image_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dev_image_cache=$dev_image_repo/.cache/dev-image

dev_image_say() { printf 'dev-image: %s\n' "$*" >&2; }
dev_image_elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# podman 4.3.1 on these machines: crun refuses hybrid cgroups, and the default ulimits cannot be set.
# A containers.conf of our own, never /etc's.
dev_image_podman_conf() {
  mkdir -p "$dev_image_cache"
  cat >"$dev_image_cache/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
  export CONTAINERS_CONF=$dev_image_cache/containers.conf
}

# dev_image_build <image> <kubectl-bin-dir> <log-dir>
dev_image_build() {
  local image=$1 k8s_bin=$2 logs=$3
  [[ -n ${CONTAINERS_CONF:-} ]] || dev_image_podman_conf
  mkdir -p "$logs" "$dev_image_cache"
  [[ -x $k8s_bin/kubectl ]] || tier_fail "dev image: no kubectl in '$k8s_bin'"
  local kubectl_sha tier_ca
  kubectl_sha=$(sha256sum "$k8s_bin/kubectl" | cut -d ' ' -f 1)
  tier_ca=$(bash "$dev_image_repo/test/cluster/ca.sh") || tier_fail "dev image: test/cluster/ca.sh could not create the tier CA"
  tier_ca=$tier_ca/ca.crt

  # --- the stand-in base: debootstrapped bookworm + this machine's Go, cached by a content key ---------
  local base_start goroot rootfs_key base_key base_image
  base_start=$(date +%s.%N)
  goroot=$(go env GOROOT)
  rootfs_key="bookworm-minbase-$(dpkg-query -W -f='${Version}' debootstrap | tr -c 'A-Za-z0-9_.\n-' '_')"
  base_key=$(
    {
      echo "$rootfs_key"
      cat "$dev_image_repo/test/e2e/base/Containerfile"
      go version
      echo "$goroot"
      sha256sum /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true
      sha256sum <"$tier_ca"
    } | sha256sum | cut -c 1-16
  )
  base_image="localhost/go-remote-e2e-base:${base_key}"
  if podman image exists "$base_image"; then
    dev_image_say "base image ${base_image} is cached"
  else
    local rootfs_tar=$dev_image_cache/base/${rootfs_key}.tar
    if [[ ! -s $rootfs_tar ]]; then
      dev_image_say "debootstrap --variant=minbase bookworm (about a minute)"
      rm -rf "$dev_image_cache/base/rootfs"
      mkdir -p "$dev_image_cache/base"
      debootstrap --variant=minbase bookworm "$dev_image_cache/base/rootfs" http://deb.debian.org/debian >"$logs/debootstrap.log" 2>&1 ||
        { tail -n 20 "$logs/debootstrap.log" >&2; tier_fail "debootstrap failed (log: $logs/debootstrap.log)"; }
      tar -C "$dev_image_cache/base/rootfs" -cf "${rootfs_tar}.partial" .
      mv "${rootfs_tar}.partial" "$rootfs_tar"
      rm -rf "$dev_image_cache/base/rootfs"
    fi
    local rootfs_image="localhost/go-remote-e2e-rootfs:${rootfs_key}"
    podman image exists "$rootfs_image" || podman import "$rootfs_tar" "$rootfs_image" >/dev/null ||
      tier_fail "podman import of the debootstrapped root file system failed"
    local ca_mount=(-v "$tier_ca:/run/e2e/tier-ca.crt:ro")
    if [[ -s /etc/ssl/certs/ca-certificates.crt ]]; then
      ca_mount+=(-v /etc/ssl/certs/ca-certificates.crt:/run/e2e/host-ca.crt:ro)
    fi
    dev_image_say "building ${base_image} (Go from ${goroot}); log: $logs/base-build.log"
    # --no-cache: podman's layer cache does not look at mounted files, so a cached RUN step would keep the CA
    # files of an earlier build (another clone's tier CA) under this new key.
    podman build --no-cache --network host "${ca_mount[@]}" --build-arg "ROOTFS=${rootfs_image}" \
      -f "$dev_image_repo/test/e2e/base/Containerfile" -t "$base_image" "$goroot" >"$logs/base-build.log" 2>&1 ||
      { tail -n 30 "$logs/base-build.log" >&2; tier_fail "building the base image failed (log: $logs/base-build.log)"; }
    # Earlier stand-ins (another Go version or CA bundle) are of no further use.
    local old
    for old in $(podman images --format '{{.Repository}}:{{.Tag}}'); do
      case "$old" in
        "$base_image") ;;
        localhost/go-remote-e2e-base:*) podman rmi "$old" >/dev/null 2>&1 || true ;;
      esac
    done
  fi
  # shellcheck disable=SC2034 # read by the caller
  DEV_IMAGE_BASE=$base_image
  # shellcheck disable=SC2034
  DEV_IMAGE_BASE_SECONDS=$(dev_image_elapsed "$base_start")

  # --- the image under test ---------------------------------------------------------------------------
  local old_image_id image_start
  old_image_id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  image_start=$(date +%s.%N)
  dev_image_say "building ${image} from images/go-remote (BASE=${base_image}); log: $logs/image-build.log"
  podman build --network host \
    -v "${k8s_bin}:/run/e2e/kubectl:ro" \
    --build-arg "BASE=${base_image}" \
    --build-arg "KUBECTL_URL=file:///run/e2e/kubectl/kubectl" \
    --build-arg "KUBECTL_SHA256=${kubectl_sha}" \
    -t "$image" "$dev_image_repo/images/go-remote" >"$logs/image-build.log" 2>&1 ||
    { tail -n 40 "$logs/image-build.log" >&2; tier_fail "building the dev image failed (log: $logs/image-build.log)"; }
  # shellcheck disable=SC2034
  DEV_IMAGE_SECONDS=$(dev_image_elapsed "$image_start")
  # The image this build replaced (now untagged) is of no further use.
  if [[ -n $old_image_id && $old_image_id != "$(podman image inspect --format '{{.Id}}' "$image")" ]]; then
    podman rmi "$old_image_id" >/dev/null 2>&1 || true
  fi
}
