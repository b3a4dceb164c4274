# Sourced by tools/k8s/build.sh and test/apiserver/run.sh (needs $root = the repository root).
# Go's module and build caches go under <repo>/.cache/go unless the caller exported GOMODCACHE / GOCACHE.
export GOMODCACHE="${GOMODCACHE:-$root/.cache/go/mod}"
export GOCACHE="${GOCACHE:-$root/.cache/go/build}"
# Writable module cache, so that `rm -rf .cache` works.
case " ${GOFLAGS:-} " in
  *" -modcacherw "*) ;;
  *) export GOFLAGS="-modcacherw${GOFLAGS:+ $GOFLAGS}" ;;
esac
