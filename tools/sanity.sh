#!/usr/bin/env bash
# Usage: sanity.sh PYTHON TEST_TREE PYVER
# ansible-test must run inside .../ansible_collections/certops/microsoft and resolves its working
# directory through symlinks, so it runs in a fresh copy of the files git would track.
# Tests that cannot run on these machines are skipped here by name, each with its reason:
#   pslint: needs pwsh (PowerShell 7), which no registry we can reach provides. The collection's
#           .ps1 scripts and its one .ps1 module (plugins/modules/win_read_script.ps1) are parsed
#           with tree-sitter-powershell and checked against tests/cmdlet_catalog.yml by the unit
#           tests instead.
set -euo pipefail
python=$1 tree=$2 pyver=$3
repo=$(cd "$(dirname "$0")/.." && pwd)
"$python" "$repo/tools/install_get_pip_shim.py"
rm -rf "$tree" && mkdir -p "$tree"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$tree"
cd "$tree"
# The copy lives inside this checkout's ignored .build/, where ansible-test would see no tracked
# files; giving the copy its own index makes it test exactly the files copied.
git init -q . && git add -A
"$(dirname "$python")/ansible-test" sanity --requirements --python "$pyver" --color no \
  --skip-test pslint
