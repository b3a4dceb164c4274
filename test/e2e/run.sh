#!/bin/bash
# The end-to-end tier: builds the dev image (images/go-remote) on a local stand-in for the upstream Go base
# image, then runs jest on test/e2e/**/*.e2e.test.ts, which synthesizes an environment through the
# construct, plays it with `podman kube play` and logs in over SSH.
#
#   bash test/e2e/run.sh [jest arguments...]
#
# Needs Linux and root (podman runs rootful here); installs podman, catatonit, runc, debootstrap, git and openssh-client with apt-get when
# they are missing. Where that is impossible (not Linux, not root, no apt-get) the tier reports NOT RUN outside
# CI and fails under CI=true (test/support/tier.sh); a failed install or build always fails. Caches, logs and timings go to .cache/e2e/ (timings.json).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${repo}/.cache/e2e"
tier_start="$(date +%s.%N)"

say() { printf 'e2e: %s\n' "$*" >&2; }
trap 'say "failed (exit $?) at line ${LINENO}: ${BASH_COMMAND}"' ERR
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# shellcheck source=../support/tier.sh
. "${repo}/test/support/tier.sh"
tier_init "test/e2e/run.sh (end-to-end tier)"
unavailable() { tier_missing "$@"; }

[ "$(uname -s)" = Linux ] || unavailable "podman pods need Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || unavailable "needs root (rootful podman, apt-get); running as UID $(id -u)"
mkdir -p "$cache"

# --- tools --------------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
# podman kube play builds its infra ("pause") image from catatonit, which podman only recommends.
command -v catatonit >/dev/null || missing+=(catatonit)
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

# The stand-in base and the dev image are built as every tier builds them (test/support/dev-image.sh),
# with a containers.conf of our own (runc, cgroupfs), never /etc's.
# shellcheck source=../support/dev-image.sh
. "${repo}/test/support/dev-image.sh"
dev_image_podman_conf
podman --version >&2

# --- kubectl, built locally from Go modules by tools/k8s/build.sh (last line of its stdout: the bin dir)
kubectl_start="$(date +%s.%N)"
say "building kubectl with tools/k8s/build.sh"
k8s_bin="$(bash "${repo}/tools/k8s/build.sh" | tail -n 1)" || tier_fail "tools/k8s/build.sh failed (output above)"
[ -x "${k8s_bin}/kubectl" ] || { say "tools/k8s/build.sh printed '${k8s_bin}', which holds no kubectl"; exit 1; }
kubectl_seconds="$(elapsed "$kubectl_start")"
say "kubectl: ${k8s_bin}/kubectl ($("${k8s_bin}/kubectl" version --client 2>/dev/null | head -n 1)), ${kubectl_seconds}s"

# --- the stand-in base and the image under test (test/support/dev-image.sh) ------------------------------
image="${E2E_IMAGE:-localhost/go-remote:e2e}"
dev_image_build "$image" "$k8s_bin" "$cache"
base_seconds="$DEV_IMAGE_BASE_SECONDS"
image_seconds="$DEV_IMAGE_SECONDS"
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
