#!/usr/bin/env bash
# Installs Synapse (the Matrix homeserver) into its own virtualenv for test/servers/synapse.ts.
# Idempotent: does nothing when the venv already imports synapse. Prints one line on success.
#
# Pinned: matrix-synapse 1.163.2 (the newest on PyPI on 2026-12-06; installs as a manylinux wheel
# with its Rust extension prebuilt on CPython 3.11 here, so no compiler is needed).
# Usage: test/servers/install-synapse.sh   (venv at ${SYNAPSE_VENV:-/opt/switchboard-synapse-venv})
set -euo pipefail

SYNAPSE_VERSION=1.163.2
VENV="${SYNAPSE_VENV:-/opt/switchboard-synapse-venv}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import synapse' >/dev/null 2>&1; then
  echo "synapse: already installed in $VENV ($("$VENV/bin/python" -c 'import synapse; print(synapse.__version__)'))"
  exit 0
fi

log="$(mktemp -t install-synapse.XXXXXX.log)"
trap 'rm -f "$log"' EXIT
fail() {
  echo "install-synapse.sh: $1 (output below)" >&2
  cat "$log" >&2
  exit 1
}

# Debian's python3 splits venv (and ensurepip) into python3-venv.
if ! python3 -m venv --help >/dev/null 2>&1; then
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv; } >"$log" 2>&1 \
    || fail "could not install python3-venv"
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >"$log" 2>&1 || fail "could not create the virtualenv $VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION" >"$log" 2>&1 \
  || fail "pip install matrix-synapse==$SYNAPSE_VERSION failed"
"$VENV/bin/python" -c 'import synapse' >"$log" 2>&1 || fail "synapse does not import after the install"

echo "synapse: installed matrix-synapse $SYNAPSE_VERSION in $VENV"
