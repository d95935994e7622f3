# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UTC time helpers: every date the collection computes or returns is UTC.

PRIVATE to the collection: the name and location may change without notice.

Time-dependent functions take ``now`` so that tests (and the lab's clock) can inject it; they
call utc_now() only when ``now`` is None.
"""
from __future__ import annotations

import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

ONE_DAY = datetime.timedelta(days=1)


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def ensure_utc(value) -> datetime.datetime:
    """An aware UTC datetime from a datetime (naive ones are taken as UTC) or a date (midnight UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    raise CertopsError(f"expected a date or datetime, got {type(value).__name__} {value!r}")


def iso_z(value) -> str:
    """ISO 8601 in UTC to the second, ending in Z: YYYY-MM-DDTHH:MM:SSZ."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime.datetime:
    """An aware UTC datetime from ISO 8601 text (date only, Z or an offset; naive means UTC)."""
    if not isinstance(text, str) or not text.strip():
        raise CertopsError(f"expected an ISO 8601 date such as 2030-07-25T00:00:00Z, got {text!r}")
    cleaned = text.strip()
    # Python < 3.11 fromisoformat() does not accept the Z suffix that the collection writes.
    if cleaned[-1] in "zZ":
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return ensure_utc(datetime.datetime.fromisoformat(cleaned))
    except ValueError:
        raise CertopsError(f"{text!r} is not an ISO 8601 date: write it like 2030-07-25 or 2030-07-25T00:00:00Z") from None


def to_datetime(value) -> datetime.datetime:
    """An aware UTC datetime from a datetime, a date or ISO 8601 text."""
    if isinstance(value, str):
        return parse_iso(value)
    return ensure_utc(value)


def days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole days from start to end, rounded down (negative when end is before start)."""
    return (ensure_utc(end) - ensure_utc(start)) // ONE_DAY


def resolve_now(now=None) -> datetime.datetime:
    """The injected clock (datetime, date or ISO 8601 text) as aware UTC, or the real clock when None."""
    return utc_now() if now is None else to_datetime(now)
