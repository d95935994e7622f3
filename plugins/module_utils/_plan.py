# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The check-mode plan every certops action returns: ordered steps, per host, saying what would change.

PRIVATE to the collection: the name and location may change without notice.
"""
from __future__ import annotations


def plan_step(number: int, host: str, action: str, detail: str) -> dict:
    """One step: its 1-based position in this task's plan, the inventory host, what and how."""
    return {"step": number, "host": host, "action": action, "detail": detail}
