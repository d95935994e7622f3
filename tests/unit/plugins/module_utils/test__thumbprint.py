# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thumbprint hygiene: pasted forms are cleaned, anything else is named by code point and position."""
from __future__ import annotations

import re

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import INVISIBLE, normalize_thumbprint

CLEAN = "A94E1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C"
INVISIBLE_CODE_POINTS = [0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
                         0xFEFF, 0x00A0, 0x200B, 0x200C, 0x200D, 0x2060]


@pytest.mark.parametrize("pasted", [
    pytest.param(CLEAN, id="already-clean"),
    pytest.param(CLEAN.lower(), id="lower-case"),
    pytest.param(" ".join(CLEAN[i:i + 2] for i in range(0, 40, 2)), id="spaces"),
    pytest.param(":".join(CLEAN[i:i + 2] for i in range(0, 40, 2)).lower(), id="colons-openssl"),
    pytest.param("-".join(CLEAN[i:i + 4] for i in range(0, 40, 4)), id="dashes"),
    pytest.param("\u200e" + CLEAN.lower(), id="windows-dialog-lrm"),
    pytest.param("\u200e" + " ".join(CLEAN[i:i + 2] for i in range(0, 40, 2)) + "\u200f", id="dialog-with-spaces"),
    pytest.param("\ufeff" + CLEAN + "\u00a0", id="bom-and-nbsp"),
    pytest.param("\u202a" + CLEAN + "\u202c", id="bidi-embedding"),
    pytest.param("\t" + CLEAN + "\r\n", id="tab-and-newline"),
])
def test_normalize_thumbprint_accepts_pasted_forms(pasted):
    assert normalize_thumbprint(pasted) == CLEAN


@pytest.mark.parametrize("code_point", INVISIBLE_CODE_POINTS, ids=lambda code: f"U+{code:04X}")
def test_normalize_thumbprint_strips_every_invisible_character(code_point):
    invisible = chr(code_point)
    assert normalize_thumbprint(invisible + CLEAN[:20] + invisible + CLEAN[20:] + invisible) == CLEAN


def test_invisible_set_is_exactly_the_documented_characters():
    assert sorted(ord(char) for char in INVISIBLE) == sorted(INVISIBLE_CODE_POINTS)


@pytest.mark.parametrize("pasted, expected", [
    pytest.param("A94EG" + CLEAN[5:], "character U+0047 'G' at position 5 is not a hexadecimal digit", id="letter-G"),
    pytest.param("0x" + CLEAN, "character U+0078 'x' at position 2", id="0x-prefix"),
    pytest.param("\u200e" + "O" + CLEAN[1:], "character U+004F 'O' at position 2", id="letter-O-after-invisible"),
    pytest.param(CLEAN[:10] + "\u0430" + CLEAN[11:], "character U+0430 'а' at position 11", id="cyrillic-a"),
    pytest.param(CLEAN[:39] + "\u2028", "character U+2028 at position 40", id="line-separator-unprintable"),
    pytest.param(CLEAN + ".", "character U+002E '.' at position 41", id="trailing-dot"),
])
def test_normalize_thumbprint_names_offending_character(pasted, expected):
    with pytest.raises(CertopsError, match=re.escape(expected)):
        normalize_thumbprint(pasted)


@pytest.mark.parametrize("pasted, found", [
    pytest.param(CLEAN[:-1], 39, id="one-short"),
    pytest.param(CLEAN + "A", 41, id="one-long"),
    pytest.param(CLEAN + CLEAN[:24], 64, id="sha256-thumbprint"),
    pytest.param("", 0, id="empty"),
    pytest.param("\u200e \u200f", 0, id="only-invisible"),
])
def test_normalize_thumbprint_reports_found_and_expected_length(pasted, found):
    with pytest.raises(CertopsError, match=f"has {found} hex digits, expected 40"):
        normalize_thumbprint(pasted)


@pytest.mark.parametrize("value", [None, 123, b"A94E"], ids=["none", "int", "bytes"])
def test_normalize_thumbprint_rejects_non_string(value):
    with pytest.raises(CertopsError, match="must be a string of 40 hex digits"):
        normalize_thumbprint(value)
