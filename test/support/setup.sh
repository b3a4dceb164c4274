#!/usr/bin/env bash
# Installs what the unit tests need beyond npm packages, idempotently: supervisor 4.2.5 (the version Debian
# bookworm ships, as in the dev image) from PyPI under .cache/python, so that every generated supervisord.conf
# is read back by supervisor's own parser. Nothing else: no Go toolchain, no Kubernetes build (the schemas the
# tests validate against are vendored in schemas/).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f .cache/python/supervisor/options.py ]; then
  command -v python3 >/dev/null || { echo "setup: python3 is required (supervisor's own parser reads the generated supervisord.conf)" >&2; exit 1; }
  rm -rf .cache/python
  python3 -m pip install --quiet --disable-pip-version-check --no-input --target .cache/python supervisor==4.2.5
fi
