# shellcheck shell=sh
# /etc/profile.d/go-remote.sh: login shells (SSH sessions) get the environment the go-remote container was
# started with, as go-remote-entrypoint wrote it at start (PATH, GOPATH, GO_REMOTE_*, declared variables).
if [ -r "${GO_REMOTE_RUN_DIR:-/run/go-remote}/environment" ]; then
  # shellcheck disable=SC1091
  . "${GO_REMOTE_RUN_DIR:-/run/go-remote}/environment"
fi
