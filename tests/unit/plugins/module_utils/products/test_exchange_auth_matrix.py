# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MEAC's decision matrix in Python (module_utils/_products/exchange_auth_matrix.py), case by case as
Get-ExchangeAuthCertificateStatus.ps1 and New-ExchangeAuthCertificate.ps1 evaluate it."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_matrix import (
    MeacInput, effective_offset_days, lifetime_days, meac_scenario, scenario_reason)

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("delta,days", [
    (datetime.timedelta(days=200, hours=3), 200),
    (datetime.timedelta(days=60, hours=23), 60),      # TimeSpan.Days truncates
    (datetime.timedelta(hours=20), 0),                 # expires tomorrow morning: 0 whole days, still valid
    (datetime.timedelta(hours=5), -1),                 # expires later today: MEAC counts it as expired today
    (datetime.timedelta(hours=-5), -1),                # expired this morning
    (datetime.timedelta(days=-3, hours=-1), -3),
], ids=["200_days", "truncated", "tomorrow", "later_today", "earlier_today", "three_days_ago"])
def test_lifetime_days_follow_meac(delta, days):
    assert lifetime_days(NOW + delta, NOW) == days


def test_a_certificate_not_found_counts_as_minus_one():
    assert lifetime_days(None, NOW) == -1


@pytest.mark.parametrize("state,number", [
    (MeacInput(-1, -1), 1),
    (MeacInput(-5, -1), 1),
    (MeacInput(30, -1), 2),
    (MeacInput(0, -1), 2),
    (MeacInput(60, 120), 2),
    (MeacInput(61, -1), 0),
    (MeacInput(30, 121), 0),
    (MeacInput(30, -1, current_missing=("EX03",)), 4),
    (MeacInput(-1, 400), 3),
    (MeacInput(0, 400), 3),
    (MeacInput(200, -1, current_missing=("EX03",)), 4),
    (MeacInput(200, 900, next_missing=("EX02",)), 5),
    (MeacInput(200, 900, ("EX03",), ("EX02",)), 4),
    (MeacInput(200, -1, enforce=True), 2),
    (MeacInput(200, 1800), 0),
], ids=["both_dead", "current_expired_no_next", "stage_window", "zero_days", "window_edges", "above_60", "next_above_120",
        "window_but_missing", "dead_with_next", "zero_with_next", "import_current", "import_next", "import_both", "enforced", "in_rotation"])
def test_scenario_is_the_one_meac_selects(state, number):
    assert meac_scenario(state).number == number


def test_import_scenario_says_which_certificates_to_import():
    decision = meac_scenario(MeacInput(200, 900, ("EX03",), ("EX02",)))
    assert (decision.import_current, decision.import_next, decision.name) == (True, True, "import")


@pytest.mark.parametrize("current_days,offset", [(200, 30), (32, 30), (31, 4), (5, 4), (4, 2), (3, 2), (2, 0), (0, 0)])
def test_effective_offset_shrinks_as_meac_does(current_days, offset):
    assert effective_offset_days(current_days) == offset


@pytest.mark.parametrize("state,words", [
    (MeacInput(-1, -1), "is dead"),
    (MeacInput(40, -1), "has 40 day(s) left (<= 60) and the next one is not staged"),
    (MeacInput(200, -1, enforce=True), "is enforced"),
    (MeacInput(200, -1, current_missing=("EX03",)), "missing on EX03"),
    (MeacInput(200, 1800), "nothing is due"),
])
def test_reason_names_the_numbers_that_decided(state, words):
    assert words in scenario_reason(state, meac_scenario(state))
