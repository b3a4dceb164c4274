# shellcheck shell=bash
# Sourced by the scripts that run Go (tools/*/build.sh, test/*/run.sh).
# Go's own module and build caches (go env GOMODCACHE / GOCACHE, outside the repository) are used as they are:
# every checkout on a machine shares them, so a fresh clone reuses what an earlier one built.
# The module cache is made writable so that `go clean -modcache` (or rm -rf) works.
case " ${GOFLAGS:-} " in
  *" -modcacherw "*) ;;
  *) export GOFLAGS="-modcacherw${GOFLAGS:+ $GOFLAGS}" ;;
esac
# The toolchain on PATH builds everything; a go.mod's 'go' line never downloads another one.
export GOTOOLCHAIN=local
