# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text input of the cert_info filter and the certificate_info module's ``content`` option.

PRIVATE to the collection: the name and location may change without notice.

Accepts PEM text, or base64 of DER, PKCS#7 or PKCS#12 exactly as ansible.builtin.slurp
returns it in ``content`` (which, for a PEM file, is base64 of the PEM text).
"""
from __future__ import annotations

import base64
import binascii
import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import describe_character

_BASE64_CHARACTER = re.compile(r"[A-Za-z0-9+/=\s]")
EXPECTED = "give PEM text (-----BEGIN CERTIFICATE-----) or base64 of a DER, P7B or PFX file (what ansible.builtin.slurp returns in content)"


def base64_or_none(data: bytes) -> bytes | None:
    """The decoded bytes when data is strict base64 (whitespace allowed), else None."""
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _base64_error(text: str) -> CertopsError:
    """Name the first character that is not base64, or say the padding/length is wrong."""
    for position, char in enumerate(text, start=1):
        if not _BASE64_CHARACTER.match(char):
            return CertopsError(f"the input is neither PEM nor base64: character {describe_character(char)} at position {position} is not base64; {EXPECTED}")
    return CertopsError(f"the input is neither PEM nor valid base64: its length or '=' padding is wrong (it may be truncated); {EXPECTED}")


def decode_text_input(text: str) -> bytes:
    """Bytes for load_bundle from PEM text or base64 text; bytes pass through unchanged."""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    if not isinstance(text, str):
        raise CertopsError(f"expected text, got {type(text).__name__}; {EXPECTED}")
    if not text.strip():
        raise CertopsError(f"the input is empty; {EXPECTED}")
    if "-----BEGIN " in text:
        return text.encode("utf-8")
    decoded = base64_or_none(text.encode("utf-8"))
    if decoded is None:
        raise _base64_error(text)
    return decoded
