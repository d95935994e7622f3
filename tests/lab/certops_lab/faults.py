# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults planned per host at the n-th audited module call (1-based, counted across runs).

Transport kinds (drop, http500, timeout, auth) are raised by the runtime as InjectedFault and put
on the wire by the server; cmdlet-error makes the call fail like a terminating cmdlet error without
touching state; slow sleeps ``seconds`` and then runs the call normally.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Optional

from certops_lab.contracts import FAULT_KINDS

DEFAULT_CMDLET_ERROR = "Injected fault: the cmdlet threw a terminating error"


class FaultError(ValueError):
    """A fault the user asked for cannot be planned."""


@dataclass
class Fault:
    host: str
    at_call: int
    kind: str
    seconds: float = 0.0
    message: str = DEFAULT_CMDLET_ERROR
    fired: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def validate(host: str, at_call: int, kind: str, seconds: float, known_hosts) -> None:
    if known_hosts is not None and host not in known_hosts:
        raise FaultError(f"unknown host {host!r}: use one of {', '.join(sorted(known_hosts))}")
    if kind not in FAULT_KINDS:
        raise FaultError(f"unknown fault kind {kind!r}: use one of {', '.join(FAULT_KINDS)}")
    if int(at_call) < 1:
        raise FaultError(f"--at-call must be 1 or more (calls are counted from 1), not {at_call}")
    if kind == "slow" and float(seconds) <= 0:
        raise FaultError("a slow fault needs --seconds greater than 0")


class FaultPlan:
    """Every planned fault of one estate; thread safe and JSON-serialisable."""

    def __init__(self, faults: Optional[list] = None):
        self._faults = list(faults or [])
        self._lock = threading.Lock()

    def add(self, host: str, at_call: int, kind: str, seconds: float = 0.0, message: str = DEFAULT_CMDLET_ERROR,
            known_hosts=None) -> Fault:
        validate(host, at_call, kind, seconds, known_hosts)
        fault = Fault(host, int(at_call), kind, float(seconds), message or DEFAULT_CMDLET_ERROR)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, host: str, call_number: int) -> Optional[Fault]:
        """The fault planned for this call, marked fired so it never fires twice."""
        with self._lock:
            for fault in self._faults:
                if fault.host == host and fault.at_call == call_number and not fault.fired:
                    fault.fired = True
                    return fault
        return None

    def clear(self, host: Optional[str] = None) -> int:
        with self._lock:
            kept = [fault for fault in self._faults if host is not None and fault.host != host]
            removed = len(self._faults) - len(kept)
            self._faults = kept
        return removed

    def to_list(self) -> list:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]

    @classmethod
    def from_list(cls, items: list) -> "FaultPlan":
        return cls([Fault(**item) for item in items or []])
