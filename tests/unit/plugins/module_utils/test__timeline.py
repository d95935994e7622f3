# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS auto-rollover schedule, Entra metadata polling window and decision table, expires_within."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._timeline import (adfs_rollover_schedule, entra_action_needed, entra_polling_window,
                                                                                  expires_within, expiry_of)

UTC = datetime.timezone.utc
# Seed 001 (Office 365 AD FS token-signing rollover): today 2014-07-01, certificate expires 2014-07-25.
SEED_TODAY = datetime.datetime(2014, 7, 1, tzinfo=UTC)
SEED_EXPIRY = "2014-07-25T00:00:00Z"


def test_adfs_rollover_schedule_reproduces_the_seed_worked_example():
    schedule = adfs_rollover_schedule(SEED_EXPIRY, now=SEED_TODAY)
    assert schedule["generation_date"] == "2014-07-05T00:00:00Z"
    assert schedule["promotion_date"] == "2014-07-10T00:00:00Z"
    assert schedule["critical_date"] == "2014-07-23T00:00:00Z"
    assert schedule["phase"] == "before_generation"
    assert (schedule["days_until_generation"], schedule["days_until_promotion"], schedule["days_until_expiry"]) == (4, 9, 24)


@pytest.mark.parametrize("today, phase", [
    ("2014-07-04T23:59:59Z", "before_generation"),
    ("2014-07-05T00:00:00Z", "generated_not_promoted"),
    ("2014-07-09T12:00:00Z", "generated_not_promoted"),
    ("2014-07-10T00:00:00Z", "promoted"),
    ("2014-07-22T23:00:00Z", "promoted"),
    ("2014-07-23T00:00:00Z", "critical"),
    ("2014-07-24T23:59:59Z", "critical"),
    ("2014-07-25T00:00:00Z", "expired"),
    ("2015-01-01T00:00:00Z", "expired"),
])
def test_adfs_rollover_schedule_phase_at_each_boundary(today, phase):
    assert adfs_rollover_schedule(SEED_EXPIRY, now=today)["phase"] == phase


def test_adfs_rollover_schedule_honours_the_farm_thresholds():
    schedule = adfs_rollover_schedule(SEED_EXPIRY, generation_threshold=30, promotion_threshold=10, critical_threshold=5, now=SEED_TODAY)
    assert (schedule["generation_date"], schedule["promotion_date"], schedule["critical_date"]) == (
        "2014-06-25T00:00:00Z", "2014-07-05T00:00:00Z", "2014-07-20T00:00:00Z")
    assert schedule["thresholds"] == {"generation": 30, "promotion": 10, "critical": 5}
    assert schedule["phase"] == "generated_not_promoted"


def test_adfs_rollover_schedule_when_critical_comes_before_promotion():
    schedule = adfs_rollover_schedule(SEED_EXPIRY, generation_threshold=4, promotion_threshold=5, critical_threshold=2,
                                      now="2014-07-23T12:00:00Z")
    assert schedule["phase"] == "critical"


def test_adfs_rollover_schedule_accepts_certificate_facts_and_datetimes():
    from_info = adfs_rollover_schedule({"not_after": SEED_EXPIRY, "thumbprint": "A" * 40}, now=SEED_TODAY)
    from_datetime = adfs_rollover_schedule(datetime.datetime(2014, 7, 25, tzinfo=UTC), now=SEED_TODAY)
    assert from_info == from_datetime == adfs_rollover_schedule("2014-07-25", now=SEED_TODAY)


@pytest.mark.parametrize("thresholds, name", [
    ({"generation_threshold": -1}, "generation_threshold"),
    ({"promotion_threshold": "5"}, "promotion_threshold"),
    ({"critical_threshold": 2.5}, "critical_threshold"),
    ({"generation_threshold": True}, "generation_threshold"),
])
def test_adfs_rollover_schedule_rejects_bad_thresholds(thresholds, name):
    with pytest.raises(CertopsError, match=f"{name} must be a whole number of days >= 0"):
        adfs_rollover_schedule(SEED_EXPIRY, now=SEED_TODAY, **thresholds)


@pytest.mark.parametrize("value, message", [
    ({"thumbprint": "A" * 40}, "with a not_after key"),
    ("next week", "is not an ISO 8601 date"),
    (42, "expected a date or datetime, got int"),
])
def test_expiry_of_names_what_it_needs(value, message):
    with pytest.raises(CertopsError, match=message):
        expiry_of(value)


@pytest.mark.parametrize("today, in_window, certain", [
    ("2014-06-19T23:59:59Z", False, False),
    ("2014-06-20T00:00:00Z", True, False),
    ("2014-06-24T12:00:00Z", True, False),
    ("2014-06-25T00:00:00Z", True, True),
    ("2014-07-24T00:00:00Z", True, True),
    ("2014-07-25T00:00:00Z", False, False),
])
def test_entra_polling_window_spans_35_to_30_days(today, in_window, certain):
    window = entra_polling_window(SEED_EXPIRY, now=today)
    assert (window["earliest_start"], window["latest_start"]) == ("2014-06-20T00:00:00Z", "2014-06-25T00:00:00Z")
    assert (window["in_window"], window["polling_certain"]) == (in_window, certain)


def test_entra_polling_window_counts_days_until_each_start():
    window = entra_polling_window(SEED_EXPIRY, now="2014-06-01T00:00:00Z")
    assert (window["days_until_earliest_start"], window["days_until_latest_start"]) == (19, 24)


@pytest.mark.parametrize("auto_rollover, in_sync, days_left, needed, threshold", [
    (True, True, 1, False, None),
    (True, False, 15, False, 15),
    (True, False, 14, True, 15),
    (False, True, 35, False, 35),
    (False, True, 34, True, 35),
    (False, False, 10, True, 35),
])
def test_entra_action_needed_follows_the_decision_table(auto_rollover, in_sync, days_left, needed, threshold):
    now = datetime.datetime(2014, 7, 25, tzinfo=UTC) - datetime.timedelta(days=days_left)
    decision = entra_action_needed(SEED_EXPIRY, auto_rollover, in_sync, now)
    assert (decision["action_needed"], decision["threshold_days"], decision["days_remaining"]) == (needed, threshold, days_left)
    assert decision["reason"]


@pytest.mark.parametrize("days, today, expected", [
    (30, "2014-06-24T23:59:59Z", False),
    (30, "2014-06-25T00:00:00Z", True),
    (0, "2014-07-25T00:00:00Z", True),
    (0, "2014-07-24T00:00:00Z", False),
    (30, "2014-08-01T00:00:00Z", True),
    (7.5, "2014-07-17T12:00:00Z", True),
])
def test_expires_within_counts_from_now(days, today, expected):
    assert expires_within({"not_after": SEED_EXPIRY}, days, now=today) is expected


@pytest.mark.parametrize("days", [-1, "30", None, True])
def test_expires_within_rejects_a_bad_day_count(days):
    with pytest.raises(CertopsError, match="the number of days must be a number >= 0"):
        expires_within(SEED_EXPIRY, days, now=SEED_TODAY)
