#!/usr/bin/env bash
# Creates (or completes) the Python environment of bin/bench-suite's peers:
#   bench/python/setup-peer-venv.sh [VENV_DIR]      (default: bench/target/peer-venv)
# It pip-installs the pinned versions of requirements-peer.txt with the interpreter named by
# $EMBEDTUNE_PEER_PYTHON (default: python3, 3.10 or newer) and the machine's own pip settings
# (index, find-links). Exits non-zero with pip's message when an install fails; the suite then
# records the peers as skipped with that message.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/../target/peer-venv}"
python="${EMBEDTUNE_PEER_PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || { echo "setup-peer-venv: $python is older than 3.10 (sentence-transformers 6 needs 3.10+)" >&2; exit 3; }
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
tmp="$venv/.installing"
touch "$tmp"
# Few retries: where the default index is unreachable (a machine with only a local index) pip moves on.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --retries "${EMBEDTUNE_PIP_RETRIES:-1}" --timeout 20 -r "$here/requirements-peer.txt"
# MKL on AMD CPUs: the vendor-check override that lets MKL use its AVX-512 kernels (see mkl-on-amd.c); the
# suite preloads it into the peers when it exists. No compiler: no override, the peers run MKL's AMD path.
if command -v cc > /dev/null 2>&1; then
  cc -shared -fPIC -O2 -o "$venv/lib/libmkl-on-amd.so" "$here/mkl-on-amd.c" \
    || { rm -f "$venv/lib/libmkl-on-amd.so"; echo "setup-peer-venv: could not build the MKL override from $here/mkl-on-amd.c: the peers run MKL's generic AMD path" >&2; }
fi
# A marker naming what was installed: the suite re-runs this script when the pins change.
cp "$here/requirements-peer.txt" "$venv/.requirements-installed"
rm -f "$tmp"
echo "setup-peer-venv: $venv ready ($("$venv/bin/python" -c 'import torch, sentence_transformers as st; print("torch", torch.__version__, "sentence-transformers", st.__version__)'))"
