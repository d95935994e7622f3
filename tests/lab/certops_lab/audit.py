# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit log: one JSON line per module call, with every secret masked before it is written.

What is masked (the value becomes ``MASK``):
- any key matching password|secret|private_key|pfx_password|token, case-insensitive, at any depth;
- everything under win_powershell's ``sensitive_parameters``;
- every argument when the task set ``no_log``;
- the options a module declares ``no_log`` (``NO_LOG_OPTIONS``, e.g. win_certificate_store's password).
win_powershell's ``script`` text is not kept: the record carries the certops script marker instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

MASK = "********"
SECRET_KEY = re.compile(r"password|secret|private_key|pfx_password|token", re.IGNORECASE)
# Options the real modules declare `no_log: true` in their argument spec (ansible.windows 3.x).
NO_LOG_OPTIONS = {
    "ansible.windows.win_certificate_store": frozenset({"password"}),
    "ansible.windows.win_powershell": frozenset({"sensitive_parameters"}),
    "ansible.windows.win_user": frozenset({"password"}),
    "ansible.windows.win_service": frozenset({"password"}),
}


def _mask_value(key: Any, value: Any) -> Any:
    if isinstance(key, str) and SECRET_KEY.search(key):
        return MASK
    return mask_nested(value)


def mask_nested(value: Any) -> Any:
    """Copy of ``value`` with every secret-looking key's value masked, at any depth."""
    if isinstance(value, dict):
        return {key: _mask_value(key, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_nested(item) for item in value]
    return value


def _script_summary(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8", "replace")).hexdigest()[:16]
    return f"<script: {len(script)} characters, sha256 {digest}>"


def mask_arguments(module: str, args: dict, no_log: bool = False) -> dict:
    """Module arguments as the audit log may show them."""
    if no_log:
        return {key: MASK for key in args}
    declared = NO_LOG_OPTIONS.get(module, frozenset())
    masked = {}
    for key, value in args.items():
        if key in declared and value not in (None, "", [], {}):
            masked[key] = MASK
        elif key == "script" and isinstance(value, str):
            masked[key] = _script_summary(value)
        else:
            masked[key] = _mask_value(key, value)
    return masked


@dataclass
class AuditRecord:
    call_id: str
    time: str
    host: str
    module: str
    script: Optional[str]
    parameters: dict
    check_mode: bool = False
    mutating: bool = False
    changed: bool = False
    failed: bool = False
    rc: int = 0
    fault: Optional[str] = None
    violations: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


class AuditLog:
    """Append-only JSON lines; kept in memory and, when ``path`` is given, appended to that file."""

    def __init__(self, path: Optional[str] = None):
        self.path = path
        self._lock = threading.Lock()
        self._lines: list = []
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                self._lines = [line.rstrip("\n") for line in handle if line.strip()]

    def append(self, record: AuditRecord) -> None:
        line = record.to_json()
        with self._lock:
            self._lines.append(line)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")

    def lines(self) -> list:
        with self._lock:
            return list(self._lines)

    def records(self) -> list:
        return [json.loads(line) for line in self.lines()]
