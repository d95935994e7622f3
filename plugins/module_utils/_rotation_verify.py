# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification: what one read of a host shows, compared with what the plan expects there.

PRIVATE to the collection: the name and location may change without notice.

Facts are flat ``{name: value}`` maps that a product derives from its read of a host. A list is a
set (its order is the server's, not ours); any other value must be equal.
"""
from __future__ import annotations


def _comparable(value):
    return sorted(map(str, value)) if isinstance(value, (list, tuple, set)) else value


def fact_mismatches(expected: dict, observed: dict) -> list:
    """One line per fact that differs: name, expected value, found value."""
    return [f"{name}: expected {_shown(value)}, found {_shown(observed.get(name))}"
            for name, value in sorted(expected.items()) if _comparable(value) != _comparable(observed.get(name))]


def _shown(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return "[" + ", ".join(_comparable(value)) + "]" if value else "none"
    return str(value) if value not in (None, "") else "none"
