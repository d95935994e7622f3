#!/usr/bin/env bash
# Usage: bootstrap-venv.sh VENV_DIR REQUIREMENTS PYVER [PYVER...]
# Creates VENV_DIR on the first working interpreter of the versions given and installs the
# pinned requirements. Re-running reuses the venv (pip skips what is already satisfied).
set -euo pipefail
venv=$1 req=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$venv/bin/python" ]; then
  python=$("$here/find-python.sh" "$@")
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r "$req"
