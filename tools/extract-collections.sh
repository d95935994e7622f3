#!/usr/bin/env bash
# Usage: extract-collections.sh PYTHON ANSIBLE_VERSION DEST
# Galaxy is unreachable: take ansible.windows (a dependency) and community.crypto (development
# comparisons only, never a dependency) out of the PyPI `ansible` wheel.
set -euo pipefail
python=$1 version=$2 dest=$3
dl=$(dirname "$dest")/.cache/dl
mkdir -p "$dl" "$dest"
wheel=$(find "$dl" -name "ansible-$version-*.whl" | head -1)
if [ -z "$wheel" ]; then
  "$python" -m pip download -q --no-deps "ansible==$version" -d "$dl"
  wheel=$(find "$dl" -name "ansible-$version-*.whl" | head -1)
fi
"$python" - "$wheel" "$dest" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1:]
wanted = ("ansible_collections/ansible/windows/", "ansible_collections/community/crypto/")
with zipfile.ZipFile(wheel) as archive:
    archive.extractall(dest, [n for n in archive.namelist() if n.startswith(wanted)])
PY
