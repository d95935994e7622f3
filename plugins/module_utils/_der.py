# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Just enough DER reading to tell certificates, PKCS#7, PKCS#12 and private keys apart.

PRIVATE to the collection: the name and location may change without notice.

cryptography's PKCS#12 loader says "Invalid password or PKCS12 data" for a wrong password, and
its certificate loader gives an ASN.1 parse error for a PFX or a key. Peeking at the outer
structure first lets the loader pick the right parser and give the user the right message
(truncated file, wrong password, "this is a private key"), instead of a guess.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

SEQUENCE = 0x30
INTEGER = 0x02
OBJECT_IDENTIFIER = 0x06
# 1.2.840.113549.1.7.2, PKCS#7 signedData: the ContentInfo of a .p7b.
SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")
PFX_VERSION = 3


def read_header(data: bytes, offset: int = 0) -> tuple:
    """(tag, header length, content length or None for BER indefinite length) of the element at offset."""
    if offset + 2 > len(data):
        raise CertopsError("the data is truncated: it ends inside a DER header")
    tag, first = data[offset], data[offset + 1]
    if first < 0x80:
        return tag, 2, first
    if first == 0x80:  # BER indefinite length, as Windows writes some P7B files: the length is unknown.
        return tag, 2, None
    count = first & 0x7F
    if count == 0 or count > 4 or offset + 2 + count > len(data):
        raise CertopsError("the data is corrupt or truncated: a DER length field is invalid")
    return tag, 2 + count, int.from_bytes(data[offset + 2:offset + 2 + count], "big")


def outer_extent(data: bytes) -> int:
    """Length of the outer DER element; CertopsError when the data is shorter than it declares."""
    tag, header, length = read_header(data)
    if tag != SEQUENCE:
        raise CertopsError(f"the data is not DER: it starts with byte 0x{tag:02X}, not a SEQUENCE (0x30)")
    if length is None:
        return len(data)
    if header + length > len(data):
        raise CertopsError(f"the data is truncated: its DER structure declares {header + length} bytes but only {len(data)} are present")
    return header + length


def _first_inner(data: bytes) -> tuple[int, bytes]:
    """Tag and content of the first element inside the outer SEQUENCE."""
    _tag, outer_header, _length = read_header(data)
    tag, header, length = read_header(data, outer_header)
    start = outer_header + header
    return tag, data[start:start + (length or 0)]


def der_kind(data: bytes) -> str:
    """What a DER blob most likely is: pkcs12, pkcs7, private_key or certificate (the default guess)."""
    tag, content = _first_inner(data)
    if tag == INTEGER:
        return "pkcs12" if int.from_bytes(content, "big") == PFX_VERSION else "private_key"
    if tag == OBJECT_IDENTIFIER:
        return "pkcs7" if content == SIGNED_DATA_OID else "other_content_info"
    return "certificate"
