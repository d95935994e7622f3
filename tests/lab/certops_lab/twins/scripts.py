# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Script twins: one Python function per certops PowerShell script, found by the script's marker.

    @script_twin("windows_certificate_inventory")
    def inventory(estate, host, parameters, ctx) -> ScriptOutcome: ...

Every certops script carries ``# certops-script: <name>`` (contracts.SCRIPT_MARKER_PATTERN).
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from certops_lab.contracts import SCRIPT_MARKER_PATTERN

_SCRIPT_TWINS: dict = {}
_MARKER = re.compile(SCRIPT_MARKER_PATTERN)
_SHOULD_PROCESS = re.compile(r"\[\s*CmdletBinding\s*\([^)]*\bSupportsShouldProcess\b(?!\s*=\s*\$false)[^)]*\)\s*\]",
                             re.IGNORECASE)


def script_twin(name: str) -> Callable:
    """Register ``fn(estate, host, parameters, ctx) -> ScriptOutcome`` for the script marked ``name``."""
    def register(function: Callable) -> Callable:
        _SCRIPT_TWINS[name] = function
        return function
    return register


def registered() -> dict:
    return dict(_SCRIPT_TWINS)


def marker_of(script: str) -> Optional[str]:
    match = _MARKER.search(script or "")
    return match.group(1) if match else None


def lookup(name: str) -> Optional[Callable]:
    if name not in _SCRIPT_TWINS:
        _load_product_twins()
    return _SCRIPT_TWINS.get(name)


def supports_should_process(script: str) -> bool:
    """Whether the script declares ``[CmdletBinding(SupportsShouldProcess)]`` (win_powershell's check-mode rule)."""
    return bool(_SHOULD_PROCESS.search(script or ""))


def _load_product_twins() -> None:
    """Product modules register their script twins at import time."""
    from certops_lab import invariants  # pylint: disable=import-outside-toplevel
    invariants.load_product_models()
