# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_rotation_verify.py: expected facts against what a read found."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._rotation_verify import fact_mismatches


def test_equal_facts_have_no_mismatch_and_extra_observed_facts_are_ignored():
    assert fact_mismatches({"current": "AB", "ok": True}, {"current": "AB", "ok": True, "other": 1}) == []


def test_lists_compare_as_sets():
    assert fact_mismatches({"trusted": ["B", "A"]}, {"trusted": ["A", "B"]}) == []


def test_each_mismatch_names_the_fact_the_expected_and_the_found_value():
    assert fact_mismatches({"current": "NEW", "trusted": ["NEW"], "ok": True}, {"current": "OLD", "trusted": []}) == [
        "current: expected NEW, found OLD", "ok: expected True, found none", "trusted: expected [NEW], found none"]
