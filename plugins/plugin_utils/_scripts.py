# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the one place action plugins read certops PowerShell scripts from.

Every script lives in ``plugins/plugin_utils/scripts/<name>.ps1`` and carries the marker line
``# certops-script: <name>`` (the lab dispatches on it, and it tells an administrator reading a
Windows event log which certops script ran). The script text travels as the ``script`` option of
``ansible.windows.win_powershell``; values travel only as its ``parameters``.

What travels is assembled here, once per process:
- a line ``# certops-include: <fragment>`` is replaced by ``scripts/include/<fragment>.ps1``, so
  helpers that several scripts need (certificate and key facts) exist once in the source while
  win_powershell still receives one self-contained script;
- comment lines, blank lines and indentation are dropped (every byte crosses WinRM on every call,
  and they are for the people reading the source), except the marker line.
Scripts use no here-strings and no block comments, so a line that starts with ``#`` is a comment.
"""
from __future__ import annotations

import functools
import os
import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

SCRIPT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
INCLUDE_DIR = "include"
_NAME = re.compile(r"[a-z0-9_]+")
_INCLUDE = re.compile(r"^\s*#\s*certops-include:\s*([a-z0-9_]+)\s*$")
_COMMENT = re.compile(r"^\s*#")


def marker_line(name: str) -> str:
    return f"# certops-script: {name}"


def script_path(name: str, folder: str = "") -> str:
    """Path of the script (or include fragment) called ``name``; the name is checked so it cannot leave SCRIPT_DIR."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CertopsError(f"invalid certops script name {name!r}: use lower-case letters, digits and underscores")
    return os.path.join(SCRIPT_DIR, folder, name + ".ps1")


def read_source(name: str, folder: str = "") -> str:
    """The source text of a script or fragment as shipped."""
    path = script_path(name, folder)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as err:
        raise CertopsError(f"certops script {name!r} is missing from this installation ({path}): {err.strerror}") from None


def expand_includes(text: str) -> list:
    """The lines of ``text`` with every include line replaced by its fragment's lines (fragments do not nest)."""
    lines = []
    for line in text.splitlines():
        include = _INCLUDE.match(line)
        lines.extend(read_source(include.group(1), INCLUDE_DIR).splitlines() if include else [line])
    return lines


def shipped_lines(lines: list, marker: str) -> list:
    """Code lines only: comments, blank lines and indentation dropped, the marker line kept first."""
    code = [line.strip() for line in lines if line.strip() and not _COMMENT.match(line)]
    return [marker] + code


@functools.lru_cache(maxsize=None)
def load_script(name: str) -> str:
    """The text sent to the target for the certops script ``name``, checked to carry its own marker line."""
    source = read_source(name)
    marker = marker_line(name)
    if not re.search(rf"^#\s*certops-script:\s*{name}\s*$", source, re.MULTILINE):
        raise CertopsError(f"certops script {script_path(name)} lacks its marker line '{marker}'")
    return "\n".join(shipped_lines(expand_includes(source), marker)) + "\n"


def shipped_script_names() -> list:
    """Every certops script this installation ships (fragments excluded)."""
    return sorted(entry[:-4] for entry in os.listdir(SCRIPT_DIR) if entry.endswith(".ps1"))
