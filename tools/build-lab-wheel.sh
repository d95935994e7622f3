#!/usr/bin/env bash
# tools/build-lab-wheel.sh PYTHON OUTDIR: the lab (tests/lab) as the wheel certops_lab-<version>-py3-none-any.whl.
# Built from a copy, so that setuptools' build/ and egg-info never land in the source tree; offline (no build isolation:
# the dev venv's setuptools builds it).
set -euo pipefail
python=${1:?usage: tools/build-lab-wheel.sh PYTHON OUTDIR}
out=$(realpath -m "${2:?usage: tools/build-lab-wheel.sh PYTHON OUTDIR}")
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/tests/lab/pyproject.toml" "$here/tests/lab/README.md" "$work/"
(cd "$here/tests/lab" && tar --exclude=__pycache__ -cf - certops_lab) | tar -xf - -C "$work"
mkdir -p "$out"
"$python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$out" "$work" 2>&1 | grep -v -i "deprecat\|^ *$" || true
ls "$out"/certops_lab-*.whl
