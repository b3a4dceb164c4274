#!/usr/bin/env bash
# Builds the dev image (images/go-remote) with podman or docker, whichever is installed, and prints the image
# reference to put in `image` as the last line of stdout (build output goes to stderr).
#
#   npm run image -- --tag registry.example.com/team/go-remote:1.2.3 [--base <image>] [--build-arg NAME=VALUE]...
#                    [--platform linux/amd64,linux/arm64] [--network host]
#
#   --tag        the reference to build (required): a registry/repository:tag your nodes can pull
#   --base       the base image (default: the Containerfile's pinned upstream Go image)
#   --build-arg  any other build argument of the Containerfile (DLV_VERSION, KUBECTL_URL ...), repeatable
#   --platform   the platform(s); several (linux/amd64,linux/arm64) build a manifest list with podman
#   --network    the build's network mode (e.g. host)
# Environment: GO_REMOTE_IMAGE_BUILDER=podman|docker forces one of the two.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
context=$(cd "$here/../../images/go-remote" && pwd)

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "npm run image: $*" >&2
  exit 2
}

tag='' base='' platform='' network=''
build_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --tag) [[ $# -ge 2 ]] || die "--tag needs a value"; tag=$2; shift 2 ;;
    --base) [[ $# -ge 2 ]] || die "--base needs a value"; base=$2; shift 2 ;;
    --build-arg) [[ $# -ge 2 ]] || die "--build-arg needs NAME=VALUE"; build_args+=(--build-arg "$2"); shift 2 ;;
    --platform) [[ $# -ge 2 ]] || die "--platform needs a value"; platform=$2; shift 2 ;;
    --network) [[ $# -ge 2 ]] || die "--network needs a value"; network=$2; shift 2 ;;
    -h | --help) usage ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n $tag ]] || die "--tag is required: the reference your nodes will pull, e.g. --tag registry.example.com/team/go-remote:1.0.0"
# An OCI reference: [registry[:port]/]path[:tag][@sha256:digest], lower-case path components.
ref_pattern='^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$'
[[ $tag =~ $ref_pattern ]] || die "--tag is '$tag'; expected an image reference such as registry.example.com/team/go-remote:1.0.0"
[[ $tag != *@sha256:* ]] || die "--tag is '$tag'; a build gets a tag, not a digest"
if [[ -n $base ]]; then
  [[ $base =~ $ref_pattern ]] || die "--base is '$base'; expected an image reference"
  build_args+=(--build-arg "BASE=$base")
fi

builder=${GO_REMOTE_IMAGE_BUILDER:-}
if [[ -z $builder ]]; then
  if command -v podman >/dev/null; then builder=podman; elif command -v docker >/dev/null; then builder=docker; fi
fi
[[ -n $builder ]] || die "neither podman nor docker is installed"
case $builder in podman | docker) ;; *) die "GO_REMOTE_IMAGE_BUILDER is '$builder'; expected podman or docker" ;; esac
command -v "$builder" >/dev/null || die "GO_REMOTE_IMAGE_BUILDER is $builder, which is not installed"

cmd=("$builder" build -f "$context/Containerfile" "${build_args[@]}")
[[ -z $network ]] || cmd+=(--network "$network")
if [[ -n $platform ]]; then
  if [[ $builder == podman ]]; then
    cmd+=(--platform "$platform" --manifest "$tag")
  elif [[ $platform == *,* ]]; then
    die "several platforms with docker need 'docker buildx build --push' to a registry (as .github/workflows/image.yml does); build one platform here, or use podman"
  else
    cmd+=(--platform "$platform" -t "$tag")
  fi
else
  cmd+=(-t "$tag")
fi
cmd+=("$context")
echo "npm run image: ${cmd[*]}" >&2
"${cmd[@]}" >&2
echo "npm run image: built $tag; set it as the environment's image (GoRemoteEnvironment image: '$tag') and push it where your nodes pull from" >&2
echo "$tag"
