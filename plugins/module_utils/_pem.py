# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PEM armour: find the blocks in text that may have anything around them.

PRIVATE to the collection: the name and location may change without notice.

Administrators paste certificates with mail headers, `openssl x509 -text` output or
"Bag Attributes" around them, and Windows PowerShell 5.1 writes text files as UTF-16, so the
reader tolerates text around the armour and decodes UTF-16/UTF-8 byte-order marks.
"""
from __future__ import annotations

import binascii
import base64
import dataclasses
import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

PEM_MARKER = b"-----BEGIN "
_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----(.*?)-----END \1-----", re.DOTALL)
_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 #]+)-----")
_HEADER_LINE = re.compile(rb"^[A-Za-z-]+:.*$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class PemBlock:
    """One -----BEGIN label----- ... -----END label----- block."""

    label: str
    body: bytes
    text: bytes

    def der(self, number: int) -> bytes:
        """The base64 body decoded; CertopsError naming the block when it is not valid base64."""
        payload = b"".join(_HEADER_LINE.sub(b"", self.body).split())
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise CertopsError(f"PEM block {number} ({self.label}) is corrupt: its content is not valid base64; copy the block again") from None


def text_bytes(data) -> bytes:
    """Bytes of the input with a UTF-16 or UTF-8 byte-order mark decoded away; str is UTF-8 encoded."""
    if isinstance(data, str):
        return data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CertopsError(f"expected certificate data as bytes or text, got {type(data).__name__}")
    data = bytes(data)
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace").encode("utf-8")
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _line_of(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def _first_uncovered(begins, spans):
    """The first BEGIN match that no block span covers, or None.

    Both iterables come in file order and the spans do not overlap, so each is read once, side by
    side: checking every BEGIN against the list of spans took 0.6 s on a bundle of 4,000
    certificates, 40 times the regular expression's work.
    """
    spans = iter(spans)
    span = next(spans, None)
    for begin in begins:
        while span is not None and span[1] <= begin.start():
            span = next(spans, None)
        if span is None or begin.start() < span[0]:
            return begin
    return None


def pem_blocks(data: bytes) -> list:
    """Every complete PEM block, in order; CertopsError when a block has no END line (truncated data)."""
    matches = list(_BLOCK.finditer(data))
    blocks = [PemBlock(match.group(1).decode("ascii"), match.group(2), match.group(0)) for match in matches]
    begin = _first_uncovered(_BEGIN.finditer(data), (match.span() for match in matches))
    if begin is not None:
        label = begin.group(1).decode("ascii")
        raise CertopsError(
            f"the PEM data is truncated: the {label} block that begins on line {_line_of(data, begin.start())} "
            f"has no -----END {label}----- line; copy the whole block"
        )
    return blocks
