#!/bin/bash
# The end-to-end tier: builds the dev image (images/go-remote) on a local stand-in for the upstream Go base
# image, then runs jest on test/e2e/**/*.e2e.test.ts, which synthesizes an environment through the
# construct, plays it with `podman kube play` and logs in over SSH.
#
#   bash test/e2e/run.sh [jest arguments...]
#
# Needs Linux and root (podman runs rootful here); installs podman, runc, debootstrap, git and openssh-client with apt-get when
# they are missing. Where that is impossible (not Linux, not root, no apt-get) the tier reports NOT RUN outside
# CI and fails under CI=true (test/support/tier.sh); a failed install or build always fails. Caches, logs and timings go to .cache/e2e/ (timings.json).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${repo}/.cache/e2e"
tier_start="$(date +%s.%N)"

say() { printf 'e2e: %s\n' "$*" >&2; }
trap 'say "failed (exit $?) at line ${LINENO}: ${BASH_COMMAND}"' ERR
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

. "${repo}/test/support/tier.sh"
tier_init "test/e2e/run.sh (end-to-end tier)"
unavailable() { tier_missing "$@"; }

[ "$(uname -s)" = Linux ] || unavailable "podman pods need Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || unavailable "needs root (rootful podman, apt-get); running as UID $(id -u)"
mkdir -p "$cache"

# --- tools --------------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v git >/dev/null || missing+=(git)
# host-identity.e2e.test.ts connects with the system's OpenSSH client and signs host keys with ssh-keygen.
{ command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; } || missing+=(openssh-client)
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || unavailable "missing ${missing[*]} and no apt-get to install them"
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > "${cache}/apt.log" 2>&1; then
    tail -n 20 "${cache}/apt.log" >&2
    tier_fail "apt-get could not install ${missing[*]} (log: ${cache}/apt.log)"
  fi
fi
command -v go >/dev/null || unavailable "needs the machine's Go toolchain (go) for the stand-in base image"

# podman 4.3.1 on these machines: crun refuses hybrid cgroups, and the default ulimits cannot be set.
# A containers.conf of our own, never /etc's.
cat > "${cache}/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
export CONTAINERS_CONF="${cache}/containers.conf"
podman --version >&2

# --- kubectl, built locally from Go modules by tools/k8s/build.sh (last line of its stdout: the bin dir)
kubectl_start="$(date +%s.%N)"
say "building kubectl with tools/k8s/build.sh"
k8s_bin="$(bash "${repo}/tools/k8s/build.sh" | tail -n 1)" || tier_fail "tools/k8s/build.sh failed (output above)"
[ -x "${k8s_bin}/kubectl" ] || { say "tools/k8s/build.sh printed '${k8s_bin}', which holds no kubectl"; exit 1; }
kubectl_sha="$(sha256sum "${k8s_bin}/kubectl" | cut -d ' ' -f 1)"
kubectl_seconds="$(elapsed "$kubectl_start")"
say "kubectl: ${k8s_bin}/kubectl ($("${k8s_bin}/kubectl" version --client 2>/dev/null | head -n 1)), ${kubectl_seconds}s"

# --- the stand-in base: debootstrapped bookworm + this machine's Go, cached by a content key -------------
base_start="$(date +%s.%N)"
goroot="$(go env GOROOT)"
rootfs_key="bookworm-minbase-$(dpkg-query -W -f='${Version}' debootstrap | tr -c 'A-Za-z0-9_.\n-' '_')"
base_key="$(
  {
    echo "$rootfs_key"
    cat "${repo}/test/e2e/base/Containerfile"
    go version
    echo "$goroot"
    sha256sum /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true
  } | sha256sum | cut -c 1-16
)"
base_image="localhost/go-remote-e2e-base:${base_key}"
if podman image exists "$base_image"; then
  say "base image ${base_image} is cached"
else
  rootfs_tar="${cache}/base/${rootfs_key}.tar"
  if [ ! -s "$rootfs_tar" ]; then
    say "debootstrap --variant=minbase bookworm (about a minute)"
    rm -rf "${cache}/base/rootfs"
    mkdir -p "${cache}/base"
    debootstrap --variant=minbase bookworm "${cache}/base/rootfs" http://deb.debian.org/debian > "${cache}/base/debootstrap.log" 2>&1 \
      || { tail -n 20 "${cache}/base/debootstrap.log" >&2; exit 1; }
    tar -C "${cache}/base/rootfs" -cf "${rootfs_tar}.partial" .
    mv "${rootfs_tar}.partial" "$rootfs_tar"
    rm -rf "${cache}/base/rootfs"
  fi
  rootfs_image="localhost/go-remote-e2e-rootfs:${rootfs_key}"
  podman image exists "$rootfs_image" || podman import "$rootfs_tar" "$rootfs_image" >/dev/null
  ca_mount=()
  if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    ca_mount=(-v /etc/ssl/certs/ca-certificates.crt:/run/e2e/host-ca.crt:ro)
  fi
  say "building ${base_image} (Go from ${goroot})"
  podman build --network host "${ca_mount[@]}" --build-arg "ROOTFS=${rootfs_image}" \
    -f "${repo}/test/e2e/base/Containerfile" -t "$base_image" "$goroot" > "${cache}/base-build.log" 2>&1 \
    || { tail -n 30 "${cache}/base-build.log" >&2; exit 1; }
  # Earlier stand-ins (another Go version or CA bundle) are of no further use.
  for old in $(podman images --format '{{.Repository}}:{{.Tag}}'); do
    case "$old" in
      "$base_image") ;;
      localhost/go-remote-e2e-base:*) podman rmi "$old" > /dev/null 2>&1 || true ;;
    esac
  done
fi
base_seconds="$(elapsed "$base_start")"

# --- the image under test ------------------------------------------------------------------------------
image="${E2E_IMAGE:-localhost/go-remote:e2e}"
old_image_id="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
image_start="$(date +%s.%N)"
say "building ${image} from images/go-remote (BASE=${base_image}); log: ${cache}/image-build.log"
podman build --network host \
  -v "${k8s_bin}:/run/e2e/kubectl:ro" \
  --build-arg "BASE=${base_image}" \
  --build-arg "KUBECTL_URL=file:///run/e2e/kubectl/kubectl" \
  --build-arg "KUBECTL_SHA256=${kubectl_sha}" \
  -t "$image" "${repo}/images/go-remote" > "${cache}/image-build.log" 2>&1 \
  || { tail -n 40 "${cache}/image-build.log" >&2; exit 1; }
image_seconds="$(elapsed "$image_start")"
# The image this build replaced (now untagged) is of no further use.
if [ -n "$old_image_id" ] && [ "$old_image_id" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
  podman rmi "$old_image_id" > /dev/null 2>&1 || true
fi
say "image built in ${image_seconds}s (base ${base_seconds}s, kubectl ${kubectl_seconds}s)"

cat > "${cache}/build-timings.json" <<EOF
{"kubectlBuildSeconds": ${kubectl_seconds}, "baseImageSeconds": ${base_seconds}, "imageBuildSeconds": ${image_seconds}}
EOF

# --- jest ----------------------------------------------------------------------------------------------
export E2E_IMAGE="$image" E2E_CACHE="$cache"
rm -f "${cache}/timings.json"  # each test file adds its figures
status=0
(cd "$repo" && npx jest --config test/e2e/jest.config.js --ci --runInBand "$@") || status=$?

tier_seconds="$(elapsed "$tier_start")"
if [ -s "${cache}/timings.json" ]; then
  node -e '
    const fs = require("fs");
    const file = process.argv[1];
    const t = JSON.parse(fs.readFileSync(file, "utf8"));
    t.tierWallSeconds = Number(process.argv[2]);
    fs.writeFileSync(file, JSON.stringify(t, null, 2) + "\n");
  ' "${cache}/timings.json" "$tier_seconds"
fi
say "tier wall time ${tier_seconds}s; timings in ${cache}/timings.json"
exit "$status"
