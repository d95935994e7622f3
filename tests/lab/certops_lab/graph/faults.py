# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults planned at the n-th Microsoft Graph request of the lab (1-based, every /v1.0 request, $batch counted once).

Kinds, as Graph and the network show them to a client:

=================  ==============================================================================
``throttle``       HTTP 429 TooManyRequests with ``Retry-After: <seconds>`` (default 1); nothing applied
``http500``        HTTP 500 InternalServerError; nothing applied
``http503``        HTTP 503 ServiceUnavailable with ``Retry-After``; nothing applied
``drop``           the connection closes without an answer; nothing applied
``timeout``        no answer until the hold time has passed, then the connection closes; nothing applied
``drop-after``     the request is applied, then the connection closes without an answer
``timeout-after``  the request is applied, then no answer until the hold time has passed
=================  ==============================================================================

The ``-after`` kinds are the lost answer of a write that took effect: what a client must report as
an uncertain outcome.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Optional

BEFORE = ("throttle", "http500", "http503", "drop", "timeout")
AFTER = ("drop-after", "timeout-after")
GRAPH_FAULT_KINDS = BEFORE + AFTER


class GraphFaultError(ValueError):
    """A Graph fault the user asked for cannot be planned."""


@dataclass
class GraphFault:
    at_call: int
    kind: str
    seconds: float = 1.0
    fired: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def validate(at_call: int, kind: str, seconds: float) -> None:
    if kind not in GRAPH_FAULT_KINDS:
        raise GraphFaultError(f"unknown Graph fault kind {kind!r}: use one of {', '.join(GRAPH_FAULT_KINDS)}")
    if int(at_call) < 1:
        raise GraphFaultError(f"--at-call must be 1 or more (Graph requests are counted from 1), not {at_call}")
    if float(seconds) < 0:
        raise GraphFaultError("--seconds cannot be negative")


class GraphFaultPlan:
    """The planned Graph faults; each fires once. Thread safe, JSON-serialisable."""

    def __init__(self, faults: Optional[list] = None):
        self._faults = [GraphFault(**item) for item in faults or []]
        self._lock = threading.Lock()

    def add(self, at_call: int, kind: str, seconds: float = 1.0) -> GraphFault:
        validate(at_call, kind, seconds)
        fault = GraphFault(int(at_call), kind, float(seconds))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, call_number: int) -> Optional[GraphFault]:
        with self._lock:
            for fault in self._faults:
                if fault.at_call == call_number and not fault.fired:
                    fault.fired = True
                    return fault
        return None

    def clear(self) -> int:
        with self._lock:
            removed, self._faults = len(self._faults), []
        return removed

    def to_list(self) -> list:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]
