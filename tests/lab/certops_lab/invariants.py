# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Safety invariants of the product models and the log of their violations.

A product model registers each invariant once, at import time::

    @invariant("sharepoint_trusts_wfm_signing_certificate")
    def untrusted_signers(estate) -> list[str]: ...

The runtime calls ``check_all(estate)`` after every mutating call and appends what it finds to a
``ViolationLog`` together with the call that caused it. An invariant that raises is itself
reported as a violation: a broken check must never read as "safe".
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
import threading
from dataclasses import asdict, dataclass, field
from typing import Callable

_REGISTRY: dict[str, Callable] = {}


@dataclass
class Violation:
    invariant: str
    message: str


@dataclass
class ViolationRecord:
    """Every violation one call left behind."""
    call_id: str
    host: str
    module: str
    script: str | None
    messages: list = field(default_factory=list)
    time: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def invariant(name: str) -> Callable:
    """Register ``fn(estate) -> list[str]`` under ``name``; a second registration of a name replaces the first."""
    def register(function: Callable) -> Callable:
        _REGISTRY[name] = function
        return function
    return register


def registered() -> dict:
    return dict(_REGISTRY)


@functools.lru_cache(maxsize=1)
def _product_module_names() -> tuple:
    from certops_lab import products  # pylint: disable=import-outside-toplevel
    return tuple(info.name for info in pkgutil.iter_modules(products.__path__, products.__name__ + "."))


def load_product_models() -> list:
    """Import every module of certops_lab.products so that their invariants (and codecs, twins) are registered."""
    names = list(_product_module_names())
    for name in names:
        importlib.import_module(name)
    return names


def _run_one(name: str, function: Callable, estate) -> list:
    try:
        messages = function(estate) or []
    except Exception as error:  # pylint: disable=broad-exception-caught
        return [Violation(name, f"invariant {name} could not be checked: {type(error).__name__}: {error}")]
    return [Violation(name, str(message)) for message in messages]


def check_all(estate) -> list:
    """Every violation of every registered invariant in the estate's current state."""
    found = []
    for name, function in sorted(_REGISTRY.items()):
        found.extend(_run_one(name, function, estate))
    return found


class ViolationLog:
    """Violations in the order they were found; thread safe, JSON-serialisable."""

    def __init__(self, records: list | None = None):
        self._records = list(records or [])
        self._lock = threading.Lock()

    def record(self, record: ViolationRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list:
        with self._lock:
            return list(self._records)

    def to_list(self) -> list:
        return [record.to_dict() for record in self.records()]

    @classmethod
    def from_list(cls, items: list) -> "ViolationLog":
        return cls([ViolationRecord(**item) for item in items or []])
