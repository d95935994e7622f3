# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault plan, the lab clock and the raw commands a simulated host understands."""
from __future__ import annotations

import datetime

import pytest

try:  # How the winrm connection reads CLIXML stderr: ansible-core 2.21 moved the parser.
    from ansible._internal._powershell._clixml import replace_stderr_clixml
except ImportError:
    from ansible.plugins.shell.powershell import _parse_clixml as replace_stderr_clixml

from certops_lab.clock import ClockError, LabClock, parse_instant, parse_offset
from certops_lab.faults import FaultError, FaultPlan
from certops_lab.rawcommands import run_raw
from certops_lab.state import Estate

UTC = datetime.timezone.utc


def test_fault_plan_fires_once_at_the_planned_call_of_the_planned_host():
    plan = FaultPlan()
    plan.add("a", 2, "drop")
    assert plan.take("a", 1) is None and plan.take("b", 2) is None
    assert plan.take("a", 2).kind == "drop"
    assert plan.take("a", 2) is None


@pytest.mark.parametrize("host,at_call,kind,seconds,message", [
    ("zz", 1, "drop", 0, "unknown host 'zz': use one of a, b"),
    ("a", 1, "explode", 0, "unknown fault kind 'explode': use one of drop, http500, timeout, auth, cmdlet-error, slow"),
    ("a", 0, "drop", 0, "--at-call must be 1 or more"),
    ("a", 1, "slow", 0, "a slow fault needs --seconds greater than 0"),
])
def test_fault_plan_refuses_impossible_faults_with_the_fix(host, at_call, kind, seconds, message):
    with pytest.raises(FaultError) as caught:
        FaultPlan().add(host, at_call, kind, seconds, known_hosts={"a": 1, "b": 2})
    assert message in str(caught.value)


def test_fault_plan_clear_by_host_and_round_trip():
    plan = FaultPlan()
    plan.add("a", 1, "drop")
    plan.add("b", 1, "slow", seconds=2)
    again = FaultPlan.from_list(plan.to_list())
    assert again.clear("a") == 1 and [item["host"] for item in again.to_list()] == ["b"]
    assert again.clear() == 1 and again.to_list() == []


@pytest.mark.parametrize("text,expected", [("+10d", datetime.timedelta(days=10)), ("-3d", datetime.timedelta(days=-3)),
                                           ("12h", datetime.timedelta(hours=12)), ("- 90m", datetime.timedelta(minutes=-90)),
                                           ("30s", datetime.timedelta(seconds=30))])
def test_parse_offset_reads_signed_offsets(text, expected):
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["10 days", "+d", "3w", ""])
def test_parse_offset_refuses_other_text(text):
    with pytest.raises(ClockError, match="is not an offset"):
        parse_offset(text)


def test_parse_instant_is_utc_whatever_the_input():
    assert parse_instant("2026-01-01T02:00:00+02:00") == datetime.datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_instant("2026-01-01T00:00:00Z") == parse_instant("2026-01-01T00:00:00")


def test_lab_clock_is_frozen_until_set_or_advanced():
    clock = LabClock(datetime.datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime.datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.advance("+3d") == datetime.datetime(2026, 1, 4, tzinfo=UTC)
    assert clock.set("2027-01-01T00:00:00Z") == datetime.datetime(2027, 1, 1, tzinfo=UTC)


def test_lab_clock_bound_to_an_estate_moves_the_estate_clock():
    estate = Estate()
    LabClock(estate).advance("+2d")
    assert estate.clock == datetime.datetime(2026, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize("script,stdout,rc", [
    ("echo hello", b"hello\r\n", 0), ("Write-Output 'a b'", b"a b\r\n", 0), ("$env:COMPUTERNAME", b"WIN01\r\n", 0),
    ("exit 3", b"", 3), ("echo one\nexit 0", b"one\r\n", 0), ("", b"", 0),
])
def test_run_raw_answers_known_boilerplate(script, stdout, rc):
    result = run_raw("win01", script)
    assert (result.stdout, result.rc, result.stderr) == (stdout, rc, b"")


def test_run_raw_fails_an_unknown_script_with_a_clixml_error():
    result = run_raw("win01", "Get-ChildItem <C:\\> & more")
    assert result.rc == 1 and result.stderr.startswith(b"#< CLIXML\r\n<Objs ")
    assert replace_stderr_clixml(result.stderr) == (b"The lab cannot run this raw command on win01: 'Get-ChildItem <C:\\\\> & more'. "
                                                    b"Use a module or a certops script.\r\n")
