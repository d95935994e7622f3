# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_rotation_gates.py: every refusal at once, before any change."""
from __future__ import annotations

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates


def failing(value):
    raise CertopsError(f"{value} is wrong; use another")


def test_close_without_refusals_does_nothing():
    gates = Gates()
    assert gates.require(True, "never said") is True
    gates.close()


def test_close_lists_every_refusal_on_its_own_line_and_says_nothing_changed():
    gates = Gates()
    gates.refuse("first problem; fix it")
    gates.require(False, "second problem.")
    with pytest.raises(CertopsError) as caught:
        gates.close()
    assert str(caught.value) == "preflight: first problem; fix it.\npreflight: second problem. Nothing was changed."


def test_run_returns_the_checks_value_or_turns_its_error_into_a_refusal():
    gates = Gates()
    assert gates.run(lambda value: value * 2, 21) == 42
    assert gates.run(failing, "x") is None
    assert gates.refusals == ["x is wrong; use another."]
