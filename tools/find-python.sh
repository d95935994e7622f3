#!/usr/bin/env bash
# Print the path of the first working interpreter among the versions given (e.g. 3.13 3.12).
# pyenv shims exist for every installed version but only run the active one, so fall back to
# pyenv's version directories when `pythonX.Y` on PATH does not actually start.
set -u
for v in "$@"; do
  if command -v "python$v" >/dev/null 2>&1 && "python$v" -c 'import sys' >/dev/null 2>&1; then
    command -v "python$v"; exit 0
  fi
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for p in "$root"/versions/"$v"*/bin/"python$v"; do
    [ -x "$p" ] && "$p" -c 'import sys' >/dev/null 2>&1 && { echo "$p"; exit 0; }
  done
done
echo "no Python among: $* (install one, e.g. apt-get install python3.13)" >&2
exit 1
