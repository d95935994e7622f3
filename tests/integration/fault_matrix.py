# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which fault kinds the fault suites inject at each mutating call.

Every mutating call of a rotation is interrupted in every run of `make test`; the kinds rotate over the calls, so
each kind is injected at several calls and every call gets one. CERTOPS_FAULT_MATRIX=full injects every kind at
every call (about five times as long: run it before a release, or when a product's steps change).
"""
from __future__ import annotations

import os

FULL = os.environ.get("CERTOPS_FAULT_MATRIX", "") == "full"


def kinds_at(position: int, kinds: tuple) -> tuple:
    """The kinds to inject at the ``position``-th mutating call (0-based)."""
    return tuple(kinds) if FULL else (kinds[position % len(kinds)],)


def cases(positions: int, kinds: tuple) -> list:
    """(position, kind) pairs: every position, its kinds."""
    return [(position, kind) for position in range(positions) for kind in kinds_at(position, kinds)]
