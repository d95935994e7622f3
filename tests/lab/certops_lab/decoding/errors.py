# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one error the decoders raise: what Ansible sent is not a layout the lab knows."""
from __future__ import annotations


class DecodeError(ValueError):
    """A payload the lab cannot read; the message names what was seen, so a new ansible-core fails loudly."""


def preview(data, limit: int = 80) -> str:
    """A short, printable excerpt of a payload for error messages."""
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)
    return repr(text[:limit]) + ("..." if len(text) > limit else "")
