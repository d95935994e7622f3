# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MEAC's decision matrix for the Exchange Server Auth certificate, in Python.

PRIVATE to the collection: the name and location may change without notice.

Re-implemented (not copied) from Microsoft's MonitorExchangeAuthCertificate.ps1 (microsoft/CSS-Exchange,
Admin/MonitorExchangeAuthCertificate, MIT licence), DataCollection/Get-ExchangeAuthCertificateStatus.ps1
and ConfigurationAction/New-ExchangeAuthCertificate.ps1, so that the collection decides exactly as the
tool Microsoft recommends and the side-by-side comparison in docs/exchange-auth-rotation.md holds:

- lifetime in days: the whole days of NotAfter - now, truncated toward zero (TimeSpan.Days); a
  certificate whose expiry day has begun and that has 0 whole days left counts as -1 ("expired
  today"), and so does a certificate that is not configured or was found on no server;
- scenario 1, replace: current < 0 and next < 0;
- scenario 2, stage a new next: current 0..60 and next <= 120 (absent counts as -1), when no server
  misses either certificate; or when a new one is enforced (-EnforceNewAuthCertificateCreation);
- scenario 3, replace: current <= 0 and next >= 0;
- scenarios 4 and 5, import: otherwise, the current (4) or next (5) certificate is missing on a server;
- the new next certificate's effective date: +30 days, or when the current one has fewer than 32
  days left +4 days (more than 4 left), +2 days (more than 2 left), else now.
"""
from __future__ import annotations

import dataclasses
import datetime

ONE_DAY = datetime.timedelta(days=1)
STAGE_CURRENT_DAYS = 60
STAGE_NEXT_DAYS = 120
DEFAULT_OFFSET_DAYS = 30
SCENARIO_NAMES = {0: "nothing", 1: "replace", 2: "stage", 3: "replace", 4: "import", 5: "import"}


def lifetime_days(not_after, now) -> int:
    """MEAC's CurrentAuthCertificateLifetimeInDays for a certificate expiring at ``not_after`` (None: not found -> -1)."""
    if not_after is None:
        return -1
    days = int((not_after - now) / ONE_DAY)
    expiry_day = not_after.replace(hour=0, minute=0, second=0, microsecond=0)
    return -1 if expiry_day < now and days == 0 else days


@dataclasses.dataclass(frozen=True)
class MeacInput:
    """What MEAC's status function knows: both lifetimes and where each certificate is missing."""

    current_days: int
    next_days: int
    current_missing: tuple = ()
    next_missing: tuple = ()
    enforce: bool = False


@dataclasses.dataclass(frozen=True)
class MeacDecision:
    number: int                    # MEAC's scenario number, 0 for none
    import_current: bool = False
    import_next: bool = False

    @property
    def name(self) -> str:
        return SCENARIO_NAMES[self.number]


def _stage_window(state: MeacInput) -> bool:
    """Scenario 2 without the enforcement switch."""
    in_window = 0 <= state.current_days <= STAGE_CURRENT_DAYS and state.next_days <= STAGE_NEXT_DAYS
    return in_window and not state.current_missing and not state.next_missing


def _stage_due(state: MeacInput) -> bool:
    return _stage_window(state) or state.enforce


def meac_scenario(state: MeacInput) -> MeacDecision:
    """The scenario MEAC's Get-ExchangeAuthCertificateStatus selects, in its order of evaluation."""
    if state.current_days < 0 and state.next_days < 0:
        return MeacDecision(1)
    if _stage_due(state):
        return MeacDecision(2)
    if state.current_days <= 0 and state.next_days >= 0:
        return MeacDecision(3)
    if state.current_missing or state.next_missing:
        return MeacDecision(4 if state.current_missing else 5, bool(state.current_missing), bool(state.next_missing))
    return MeacDecision(0)


def effective_offset_days(current_days: int) -> int:
    """MEAC's EnableDaysInFuture for a new next certificate, shrinking as the current one runs out."""
    if current_days >= DEFAULT_OFFSET_DAYS + 2:
        return DEFAULT_OFFSET_DAYS
    if current_days - 4 > 0:
        return 4
    return 2 if current_days - 2 > 0 else 0


def _stage_reason(state: MeacInput) -> str:
    if not _stage_window(state):
        return f"a new next Auth certificate is enforced (current {state.current_days} day(s) left)"
    staged = "is not staged" if state.next_days < 0 else f"has {state.next_days} day(s) left"
    return (f"the current Auth certificate has {state.current_days} day(s) left (<= {STAGE_CURRENT_DAYS}) and the next one {staged} "
            f"(<= {STAGE_NEXT_DAYS})")


def scenario_reason(state: MeacInput, decision: MeacDecision) -> str:
    """Why MEAC picks this scenario, in its own terms."""
    current, nxt = f"current {state.current_days} day(s)", f"next {state.next_days if state.next_days >= 0 else 'none or expired'}"
    reasons = {
        1: f"the current Auth certificate is dead ({current}) and no valid next one is staged ({nxt})",
        2: _stage_reason(state),
        3: f"the current Auth certificate is dead ({current}) while a next one is staged ({nxt})",
        4: f"the current Auth certificate is valid ({current}) but missing on {', '.join(state.current_missing)}",
        5: f"the next Auth certificate is valid ({nxt}) but missing on {', '.join(state.next_missing)}",
        0: f"nothing is due ({current}, {nxt}, on every server)",
    }
    return reasons[decision.number]
