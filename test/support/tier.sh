# shellcheck shell=bash
# The one tier policy, sourced by every test/*/run.sh:
#
#   . test/support/tier.sh
#   tier_init "API-server tier"        # names the tier in every message below
#   tier_require go "builds kube-apiserver"   # a missing tool: NOT RUN outside CI, a failure under CI=true
#   tier_missing "why"                 # the same, for a prerequisite that is not a command
#   some build || tier_fail "the build failed"  # a failed step (build, install, download): always a failure
#
# A tier may report "NOT RUN" only when a tool or platform it needs is missing and CI is not "true"; it then
# exits 0 after saying loudly what was not tested. Everything that was attempted and failed exits 1.

tier_name=${tier_name:-tier}

tier_init() {
  tier_name=$1
}

tier_say() {
  printf '%s: %s\n' "$tier_name" "$*" >&2
}

# A prerequisite is missing: fails under CI=true, otherwise reports NOT RUN and exits 0.
tier_missing() {
  tier_say "cannot run: $*"
  if [[ ${CI:-} == true ]]; then
    tier_say "FAILED: CI=true, and a tier that cannot run is a failure"
    exit 1
  fi
  echo "##########################################################################################" >&2
  echo "## $tier_name: NOT RUN -- nothing of this tier was tested (set CI=true to make this an error)" >&2
  echo "##########################################################################################" >&2
  exit 0
}

# tier_require <command> <what it is needed for>
tier_require() {
  command -v "$1" >/dev/null 2>&1 || tier_missing "'$1' is not on PATH (needed: $2)"
}

# A step that was attempted failed: always a failure, in and out of CI.
tier_fail() {
  tier_say "FAILED: $*"
  exit 1
}
