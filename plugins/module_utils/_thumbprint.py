# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thumbprint hygiene: accept a SHA-1 thumbprint the way administrators paste it.

PRIVATE to the collection: the name and location may change without notice.

The Windows certificate dialog copies the thumbprint with an invisible U+200E (left-to-right
mark) in front, other tools add bidi controls, zero-width spaces or no-break spaces, and people
separate the bytes with spaces, colons or dashes. ansible.windows.win_certificate_store passes a
thumbprint verbatim to FindByThumbprint, so an invisible character there means "not found".
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

THUMBPRINT_LENGTH = 40
HEX_DIGITS = frozenset("0123456789ABCDEF")
SEPARATORS = frozenset(" \t\r\n:-")
# Bidi marks and embeddings, isolates, zero-width characters, the BOM and the no-break space.
INVISIBLE = frozenset(
    ["\u200e", "\u200f", "\ufeff", "\u00a0", "\u2060"]
    + [chr(code) for code in range(0x202A, 0x202F)]
    + [chr(code) for code in range(0x2066, 0x206A)]
    + [chr(code) for code in range(0x200B, 0x200E)]
)


def describe_character(char: str) -> str:
    """U+XXXX plus the character itself when it is printable, e.g. "U+0047 'G'"."""
    code = f"U+{ord(char):04X}"
    return f"{code} {char!r}" if char.isprintable() else code


def _hex_digits(value: str) -> str:
    """The upper-cased hex digits of value; raises on the first character that is neither hex nor ignorable."""
    digits = []
    for position, char in enumerate(value, start=1):
        if char in SEPARATORS or char in INVISIBLE:
            continue
        if char.upper() not in HEX_DIGITS:
            raise CertopsError(
                f"thumbprint {value!r}: character {describe_character(char)} at position {position} is not a hexadecimal digit; "
                "a thumbprint is 40 hex digits (0-9, A-F), optionally separated by spaces, colons or dashes"
            )
        digits.append(char.upper())
    return "".join(digits)


def normalize_thumbprint(value: str) -> str:
    """40 upper-case hex digits from a pasted SHA-1 thumbprint, or CertopsError saying what is wrong."""
    if not isinstance(value, str):
        raise CertopsError(f"a thumbprint must be a string of 40 hex digits, got {type(value).__name__}")
    digits = _hex_digits(value)
    if len(digits) != THUMBPRINT_LENGTH:
        raise CertopsError(
            f"thumbprint {value!r} has {len(digits)} hex digits, expected {THUMBPRINT_LENGTH} (a SHA-1 thumbprint); "
            "copy the whole Thumbprint field of the certificate"
        )
    return digits
