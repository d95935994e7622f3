#!/usr/bin/env bash
# Usage: sanity.sh PYTHON TEST_TREE PYVER
# ansible-test must run inside .../ansible_collections/certops/microsoft and resolves its working
# directory through symlinks, so it runs in a fresh copy of the files git would track.
# Tests that cannot run on these machines are skipped here by name, each with its reason:
#   pslint: needs pwsh (PowerShell 7), which no registry we can reach provides. The collection's
#           .ps1 scripts and its one .ps1 module (plugins/modules/win_read_script.ps1) are parsed
#           with tree-sitter-powershell and checked against tests/cmdlet_catalog.yml by the unit
#           tests instead.
#   validate-modules on plugins/modules/win_read_script.ps1: it reads a PowerShell module's
#           argument spec by running pwsh. Without pwsh the copy gets an ignore line for that one
#           file (written here, not kept in the repository: the collection itself carries no skip,
#           and on a machine with pwsh the module is validated).
set -euo pipefail
python=$1 tree=$2 pyver=$3
repo=$(cd "$(dirname "$0")/.." && pwd)
"$python" "$repo/tools/install_get_pip_shim.py"
rm -rf "$tree" && mkdir -p "$tree"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$tree"
cd "$tree"
if ! command -v pwsh >/dev/null; then
  core=$("$python" -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')
  mkdir -p tests/sanity
  echo "plugins/modules/win_read_script.ps1 validate-modules!skip  # no pwsh on this machine to read the argument spec" \
    >> "tests/sanity/ignore-$core.txt"
fi
# The copy lives inside this checkout's ignored .build/, where ansible-test would see no tracked
# files; giving the copy its own index makes it test exactly the files copied.
git init -q . && git add -A
"$(dirname "$python")/ansible-test" sanity --requirements --python "$pyver" --color no \
  --skip-test pslint
