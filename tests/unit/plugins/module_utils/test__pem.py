# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pem_blocks: every complete block of a large bundle, and the first truncated one named by its line.

The blocks here are synthetic (a fixed base64 body): pem_blocks finds the armour, the
certificate core decodes the bodies later. How fast the truncation check is on thousands of blocks
is measured by tests/bench/cert_bench.py (bulk parse), not here.
"""
from __future__ import annotations

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils import _pem
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

BLOCK_LINES = 3  # BEGIN, body, END


def block(label: str = "CERTIFICATE", body: bytes = b"QUJD") -> bytes:
    return b"-----BEGIN " + label.encode() + b"-----\n" + body + b"\n-----END " + label.encode() + b"-----\n"


def truncated(label: str = "CERTIFICATE") -> bytes:
    """A block cut before its END line, as when a copy stops short."""
    return b"-----BEGIN " + label.encode() + b"-----\nQUJD\n"


def bundle(count: int, cut_at=None, cut_label: str = "CERTIFICATE") -> bytes:
    """count certificate blocks; block number cut_at (0-based) is a truncated cut_label block instead."""
    return b"".join(truncated(cut_label) if index == cut_at else block() for index in range(count))


def truncation_message(label: str, line: int) -> str:
    return f"the PEM data is truncated: the {label} block that begins on line {line} has no -----END {label}----- line; copy the whole block"


class CountingSpans(list):
    """Block spans that count every item handed out by every iteration over them."""

    reads = 0

    def __iter__(self):
        for item in super().__iter__():
            self.reads += 1
            yield item


def test_pem_blocks_returns_every_block_of_a_large_bundle_in_order():
    data = b"".join(block(body=f"{index:04d}".encode()) for index in range(2000))
    blocks = _pem.pem_blocks(data)
    assert [item.body for item in blocks] == [f"\n{index:04d}\n".encode() for index in range(2000)]
    assert {item.label for item in blocks} == {"CERTIFICATE"}


def test_pem_blocks_ignores_text_around_and_between_blocks():
    data = b"Bag Attributes\n" + block() + b"subject=CN=x\n\n" + block("PRIVATE KEY") + b"trailer\n"
    assert [item.label for item in _pem.pem_blocks(data)] == ["CERTIFICATE", "PRIVATE KEY"]


def test_a_truncated_last_block_of_a_large_bundle_is_named_by_its_line():
    with pytest.raises(CertopsError) as caught:
        _pem.pem_blocks(bundle(2000, 1999))
    assert str(caught.value) == truncation_message("CERTIFICATE", 1999 * BLOCK_LINES + 1)


@pytest.mark.parametrize("cut_at", [0, 1, 999, 1999], ids=["first", "second", "middle", "last"])
def test_a_truncated_block_anywhere_in_a_large_bundle_is_named_by_its_line(cut_at):
    with pytest.raises(CertopsError) as caught:
        _pem.pem_blocks(bundle(2000, cut_at, "PKCS7"))
    assert str(caught.value) == truncation_message("PKCS7", cut_at * BLOCK_LINES + 1)


def test_the_first_of_several_truncated_blocks_is_named():
    data = block() + truncated("PKCS7") + block() + truncated() + block()
    with pytest.raises(CertopsError) as caught:
        _pem.pem_blocks(data)
    assert str(caught.value) == truncation_message("PKCS7", BLOCK_LINES + 1)


def test_a_cut_block_runs_to_the_next_end_line_of_its_label():
    # The block runs to the next END line of its label, so the cut one swallows the next block
    # and only a BEGIN outside every block is a truncation here; the certificate core then
    # reports the swallowing block as not valid base64.
    blocks = _pem.pem_blocks(bundle(2000, 999))
    assert len(blocks) == 1999 and blocks[999].body.count(b"-----BEGIN CERTIFICATE-----") == 1


@pytest.mark.parametrize("cut_at", [None, 1000, 1999])
def test_the_truncation_check_reads_each_block_span_once(cut_at):
    data = bundle(2000, cut_at, "PKCS7")
    spans = CountingSpans(match.span() for match in _pem._BLOCK.finditer(data))  # pylint: disable=protected-access
    _pem._first_uncovered(_pem._BEGIN.finditer(data), spans)  # pylint: disable=protected-access
    assert spans.reads <= len(spans)


def test_a_corrupt_body_names_its_block():
    with pytest.raises(CertopsError, match=r"^PEM block 3 \(CERTIFICATE\) is corrupt: its content is not valid base64"):
        _pem.pem_blocks(block(body=b"not base64!"))[0].der(3)
