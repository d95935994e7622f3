# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preflight gates: every reason to refuse a rotation, found before any change, said at once.

PRIVATE to the collection: the name and location may change without notice.

A product's rules check its gates in stages (inputs first, then what the hosts reported, then the
decisions that need both); each stage collects every refusal it finds and ``close()`` raises one
CertopsError that lists them, one line each, naming the problem and the fix, and ends with
"Nothing was changed." so that the reader knows a re-run after the fix is safe.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

PREFIX = "preflight: "
NOTHING_CHANGED = "Nothing was changed."


class Gates:
    """Collects refusals; ``close()`` raises them together."""

    def __init__(self):
        self.refusals: list = []

    def refuse(self, message: str) -> None:
        self.refusals.append(message.rstrip(". ") + ".")

    def require(self, condition: bool, message: str) -> bool:
        """Refuse with ``message`` unless ``condition``; returns ``condition``."""
        if not condition:
            self.refuse(message)
        return bool(condition)

    def run(self, check, *args):
        """``check(*args)``; a CertopsError it raises becomes a refusal (and None is returned)."""
        try:
            return check(*args)
        except CertopsError as error:
            self.refuse(str(error))
            return None

    def close(self) -> None:
        if self.refusals:
            raise CertopsError("\n".join(PREFIX + refusal for refusal in self.refusals) + " " + NOTHING_CHANGED)
