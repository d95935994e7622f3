# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Product timelines: what AD FS and Entra ID will do by themselves, and when.

PRIVATE to the collection: the name and location may change without notice.

AD FS auto-rollover (Get-AdfsProperties): a new token-signing certificate is generated
CertificateGenerationThreshold days (20) before the primary expires and promoted
CertificatePromotionThreshold days (5) after that; at CertificateCriticalThreshold days (2)
before expiry AD FS rolls over even if partners have not picked up the new certificate. Entra
ID must know the new certificate before promotion or sign-ins fail.

Entra ID polls the AD FS federation metadata from 35 days before expiry (Entra "Renew
federation certificates" doc) or 30 days (Graph property doc), then daily. The collection does
not bet on either: it treats 35 days as the earliest and 30 as the latest start.
"""
from __future__ import annotations

import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._time import days_between, iso_z, resolve_now, to_datetime

ENTRA_EARLIEST_POLL_DAYS = 35
ENTRA_LATEST_POLL_DAYS = 30
# Entra decision table: auto-rollover on but Entra not in sync -> act under 15 days; no auto-rollover -> under 35.
ENTRA_ACT_NOT_IN_SYNC_DAYS = 15
ENTRA_ACT_NO_AUTO_ROLLOVER_DAYS = 35


def expiry_of(value) -> datetime.datetime:
    """not_after from a certificate_info/cert_info result, or a date, datetime or ISO 8601 text itself."""
    if isinstance(value, dict):
        if "not_after" not in value:
            raise CertopsError("expected a certificate's facts (the result of certificate_info or cert_info) with a not_after key, or a date")
        value = value["not_after"]
    return to_datetime(value)


def expires_within(value, days, now=None) -> bool:
    """Whether the certificate (facts or not_after) expires within days from now; an expired one does."""
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0:
        raise CertopsError(f"the number of days must be a number >= 0, got {days!r}")
    now = resolve_now(now)
    return expiry_of(value) - now <= datetime.timedelta(days=days)


def _days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


def _threshold(name: str, value) -> int:
    """A non-negative whole number of days, or CertopsError naming the AdfsProperties threshold."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CertopsError(f"{name} must be a whole number of days >= 0 (as in Get-AdfsProperties), got {value!r}")
    return value


def adfs_phase(now: datetime.datetime, dates: dict) -> str:
    """Where AD FS auto-rollover stands at now, checked from the latest milestone back."""
    if now >= dates["not_after"]:
        return "expired"
    if now >= dates["critical"]:
        return "critical"
    if now >= dates["promotion"]:
        return "promoted"
    if now >= dates["generation"]:
        return "generated_not_promoted"
    return "before_generation"


def adfs_rollover_schedule(not_after, generation_threshold=20, promotion_threshold=5, critical_threshold=2, now=None) -> dict:
    """Generation, promotion and critical dates of AD FS auto-rollover for a primary token-signing certificate."""
    expiry = expiry_of(not_after)
    now = resolve_now(now)
    generation = expiry - _days(_threshold("generation_threshold", generation_threshold))
    dates = {
        "not_after": expiry,
        "generation": generation,
        "promotion": generation + _days(_threshold("promotion_threshold", promotion_threshold)),
        "critical": expiry - _days(_threshold("critical_threshold", critical_threshold)),
    }
    return {
        "not_after": iso_z(expiry),
        "generation_date": iso_z(dates["generation"]),
        "promotion_date": iso_z(dates["promotion"]),
        "critical_date": iso_z(dates["critical"]),
        "thresholds": {"generation": generation_threshold, "promotion": promotion_threshold, "critical": critical_threshold},
        "phase": adfs_phase(now, dates),
        "days_until_generation": days_between(now, dates["generation"]),
        "days_until_promotion": days_between(now, dates["promotion"]),
        "days_until_critical": days_between(now, dates["critical"]),
        "days_until_expiry": days_between(now, expiry),
    }


def entra_polling_window(not_after, now=None) -> dict:
    """When Entra ID starts polling AD FS metadata: from 35 days (earliest) to 30 days (latest) before expiry."""
    expiry = expiry_of(not_after)
    now = resolve_now(now)
    earliest, latest = expiry - _days(ENTRA_EARLIEST_POLL_DAYS), expiry - _days(ENTRA_LATEST_POLL_DAYS)
    return {
        "not_after": iso_z(expiry),
        "earliest_start": iso_z(earliest),
        "latest_start": iso_z(latest),
        "in_window": earliest <= now < expiry,
        "polling_certain": latest <= now < expiry,
        "days_until_earliest_start": days_between(now, earliest),
        "days_until_latest_start": days_between(now, latest),
    }


def entra_action_threshold(auto_rollover: bool, in_sync: bool) -> int | None:
    """Days before expiry under which Entra's decision table says to act; None when nothing is needed."""
    if not auto_rollover:
        return ENTRA_ACT_NO_AUTO_ROLLOVER_DAYS
    return None if in_sync else ENTRA_ACT_NOT_IN_SYNC_DAYS


def entra_action_needed(not_after, auto_rollover: bool, in_sync: bool, now=None) -> dict:
    """Entra's decision table applied at now: {action_needed, threshold_days, days_remaining, reason}."""
    now = resolve_now(now)
    days = days_between(now, expiry_of(not_after))
    threshold = entra_action_threshold(auto_rollover, in_sync)
    if threshold is None:
        reason = "auto-rollover is on and Entra ID is in sync: nothing to do while the metadata stays reachable"
    elif days < threshold:
        reason = f"{days} days left, under the {threshold}-day threshold: update Entra ID with the new token-signing certificate now"
    else:
        reason = f"{days} days left: act when fewer than {threshold} remain"
    return {"action_needed": threshold is not None and days < threshold, "threshold_days": threshold, "days_remaining": days, "reason": reason}
