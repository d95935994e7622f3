# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UTC helpers: parsing, formatting, rounding of days and the injectable clock."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._time import days_between, ensure_utc, iso_z, parse_iso, resolve_now, to_datetime, utc_now

UTC = datetime.timezone.utc
PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


@pytest.mark.parametrize("text, expected", [
    ("2014-07-25", datetime.datetime(2014, 7, 25, tzinfo=UTC)),
    ("2014-07-25T10:20:30Z", datetime.datetime(2014, 7, 25, 10, 20, 30, tzinfo=UTC)),
    ("2014-07-25T10:20:30z", datetime.datetime(2014, 7, 25, 10, 20, 30, tzinfo=UTC)),
    ("2014-07-25T12:20:30+02:00", datetime.datetime(2014, 7, 25, 10, 20, 30, tzinfo=UTC)),
    ("2014-07-25T10:20:30", datetime.datetime(2014, 7, 25, 10, 20, 30, tzinfo=UTC)),
    (" 2014-07-25T10:20:30.500000Z ", datetime.datetime(2014, 7, 25, 10, 20, 30, 500000, tzinfo=UTC)),
])
def test_parse_iso_reads_dates_offsets_and_z(text, expected):
    parsed = parse_iso(text)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("text", ["", "   ", "25/07/2014", "2014-13-01", None, 20140725])
def test_parse_iso_rejects_other_text_with_an_example(text):
    with pytest.raises(CertopsError, match="2030-07-25"):
        parse_iso(text)


@pytest.mark.parametrize("value, expected", [
    (datetime.datetime(2030, 1, 2, 3, 4, 5), "2030-01-02T03:04:05Z"),
    (datetime.datetime(2030, 1, 2, 5, 4, 5, 999999, tzinfo=PLUS_TWO), "2030-01-02T03:04:05Z"),
    (datetime.date(2030, 1, 2), "2030-01-02T00:00:00Z"),
])
def test_iso_z_is_utc_to_the_second(value, expected):
    assert iso_z(value) == expected


def test_ensure_utc_converts_offsets_and_takes_naive_as_utc():
    assert ensure_utc(datetime.datetime(2030, 1, 1, 2, tzinfo=PLUS_TWO)) == datetime.datetime(2030, 1, 1, tzinfo=UTC)
    assert ensure_utc(datetime.datetime(2030, 1, 1)).tzinfo == UTC


def test_ensure_utc_rejects_other_types():
    with pytest.raises(CertopsError, match="expected a date or datetime, got str"):
        ensure_utc("2030-01-01")


@pytest.mark.parametrize("hours, expected", [(0, 0), (23, 0), (24, 1), (36, 1), (-1, -1), (-24, -1), (-25, -2)])
def test_days_between_rounds_down(hours, expected):
    start = datetime.datetime(2030, 1, 1, tzinfo=UTC)
    assert days_between(start, start + datetime.timedelta(hours=hours)) == expected


def test_resolve_now_uses_the_injected_clock_in_any_form():
    frozen = datetime.datetime(2030, 1, 1, tzinfo=UTC)
    assert resolve_now(frozen) == resolve_now("2030-01-01T00:00:00Z") == resolve_now(datetime.date(2030, 1, 1)) == frozen
    assert to_datetime("2030-01-01") == frozen


def test_resolve_now_without_a_clock_is_the_current_utc_time():
    before = utc_now()
    now = resolve_now(None)
    assert before <= now <= utc_now() and now.tzinfo == UTC
