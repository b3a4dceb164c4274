#!/usr/bin/env bash
# Installs what the unit tests need beyond npm packages, idempotently (the first run builds Kubernetes: ~8 min):
# - supervisor 4.2.5 (the version Debian bookworm ships, as in the dev image) under .cache/python, so that
#   supervisord.conf is checked by supervisor's own parser;
# - the k8s.io/kubernetes module (its OpenAPI document) into the Go module cache, for strict schema checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d .cache/python/supervisor ]; then
  command -v python3 >/dev/null || { echo "setup: python3 is required for the supervisord tests" >&2; exit 1; }
  python3 -m pip install --quiet --disable-pip-version-check --target .cache/python supervisor==4.2.5
fi
command -v go >/dev/null || { echo "setup: go is required (the Kubernetes OpenAPI document comes from the k8s.io/kubernetes module)" >&2; exit 1; }
go mod download k8s.io/kubernetes@v1.27.16 >/dev/null 2>&1 || (cd test/support && GOFLAGS=-mod=mod go mod download -json k8s.io/kubernetes@v1.27.16 >/dev/null)
# - kubectl (with kube-apiserver and etcd: one cached build shared with the API-server tier), which the
#   idle-stop script's test runs against an unreachable API server.
bash tools/k8s/build.sh v1.27 >/dev/null
