# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab clock: UTC, frozen until a test or the CLI moves it.

Frozen on purpose: certificate expiry and product timelines (AD FS rollover) must not drift while
a playbook runs, and a test that says "advance 3 days" must land on an exact instant.
Offsets are written like the topology's validity fields: ``+10d``, ``-3d``, ``12h``, ``90m``, ``30s``.
"""
from __future__ import annotations

import datetime
import re
import threading

_OFFSET = re.compile(r"^\s*([+-]?)\s*(\d+)\s*([dhms])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
DEFAULT_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


class ClockError(ValueError):
    """A clock value the user typed cannot be read."""


def parse_offset(text) -> datetime.timedelta:
    """``+10d`` / ``-3d`` / ``12h`` / ``90m`` / ``30s`` as a timedelta."""
    match = _OFFSET.match(str(text))
    if not match:
        raise ClockError(f"{text!r} is not an offset: write a signed number with a unit d, h, m or s, e.g. +10d or -3h")
    sign, amount, unit = match.groups()
    delta = datetime.timedelta(**{_UNITS[unit]: int(amount)})
    return -delta if sign == "-" else delta


def parse_instant(text) -> datetime.datetime:
    """An ISO 8601 instant; naive values are taken as UTC, others are converted to UTC."""
    if isinstance(text, datetime.datetime):
        value = text
    else:
        try:
            value = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ClockError(f"{text!r} is not an ISO 8601 time: write e.g. 2026-01-01T00:00:00Z") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def isoformat(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class _Instant:
    """Where a clock keeps its time when it is not bound to an estate."""

    def __init__(self, now: datetime.datetime):
        self.clock = now


class LabClock:
    """A settable UTC clock. Bound to an estate (``LabClock(estate)``) it reads and moves
    ``estate.clock``, so the time is saved with the estate; given a datetime it keeps its own."""

    def __init__(self, holder=DEFAULT_START):
        self._holder = _Instant(parse_instant(holder)) if isinstance(holder, (str, datetime.datetime)) else holder
        self._lock = threading.Lock()

    def now(self) -> datetime.datetime:
        with self._lock:
            return self._holder.clock

    def set(self, value) -> datetime.datetime:
        with self._lock:
            self._holder.clock = parse_instant(value)
            return self._holder.clock

    def advance(self, offset) -> datetime.datetime:
        delta = offset if isinstance(offset, datetime.timedelta) else parse_offset(offset)
        with self._lock:
            self._holder.clock = self._holder.clock + delta
            return self._holder.clock
