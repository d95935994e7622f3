# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the one place action plugins read certops PowerShell scripts from.

Every script lives in ``plugins/plugin_utils/scripts/<name>.ps1`` and carries the marker line
``# certops-script: <name>`` (the lab dispatches on it, and it tells an administrator reading a
Windows event log which certops script ran). The script text travels as the ``script`` option of
``ansible.windows.win_powershell``; values travel only as its ``parameters``.
"""
from __future__ import annotations

import functools
import os
import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

SCRIPT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
_NAME = re.compile(r"[a-z0-9_]+")


def script_path(name: str) -> str:
    """Path of the script called ``name``; the name is checked so it cannot leave SCRIPT_DIR."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CertopsError(f"invalid certops script name {name!r}: use lower-case letters, digits and underscores")
    return os.path.join(SCRIPT_DIR, name + ".ps1")


@functools.lru_cache(maxsize=None)
def load_script(name: str) -> str:
    """Text of the certops script ``name``, checked to carry its own marker line."""
    path = script_path(name)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise CertopsError(f"certops script {name!r} is missing from this installation ({path}): {err.strerror}") from None
    if not re.search(rf"^#\s*certops-script:\s*{name}\s*$", text, re.MULTILINE):
        raise CertopsError(f"certops script {path} lacks its marker line '# certops-script: {name}'")
    return text
