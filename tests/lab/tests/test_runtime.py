# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HostRuntime: counting, faults, twins, audit, invariants and persistence around each call."""
from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from certops_lab import invariants
from certops_lab.contracts import ExecRequest, InjectedFault, ModuleCall
from certops_lab.runtime import STATE_FILE, EstateRuntime
from certops_lab.state import Estate

WIN_FILE = "ansible.windows.win_file"
DIRECTORY = "C:\\certops lab\\made by test"


@pytest.fixture(name="lab")
def lab_fixture(tmp_path):
    estate = Estate()
    estate.add_host("win01")
    estate.add_host("win02")
    return EstateRuntime(estate, str(tmp_path))


def make_directory(check_mode=False) -> ModuleCall:
    return ModuleCall(WIN_FILE, {"path": DIRECTORY, "state": "directory"}, check_mode=check_mode)


def ping() -> ModuleCall:
    return ModuleCall("ansible.windows.win_ping", {"data": "pong"})


def result_of(outcome) -> dict:
    return json.loads(outcome.stdout)


@pytest.fixture(name="directory_invariant")
def directory_invariant_fixture(monkeypatch):
    """An invariant that calls any directory made by this test a violation, and counts its runs."""
    runs = []
    registry = dict(invariants.registered())

    def no_test_directory(estate):
        runs.append(1)
        return [f"{name} has {DIRECTORY}" for name, host in estate.hosts.items() if host.files.is_dir(DIRECTORY)]

    registry["no_test_directory"] = no_test_directory
    monkeypatch.setattr(invariants, "_REGISTRY", registry)
    return runs


def test_module_calls_are_counted_per_host_from_one(lab):
    lab.host("win01").run_module_call(ping())
    lab.host("win01").run_module_call(ping())
    lab.host("win02").run_module_call(ping())
    assert lab.call_counts == {"win01": 2, "win02": 1}
    assert [record["call_id"] for record in lab.audit.records()] == ["win01#1", "win01#2", "win02#1"]


def test_call_counts_faults_and_violations_survive_a_restart(lab, tmp_path):
    lab.host("win01").run_module_call(ping())
    lab.faults.add("win01", 3, "drop")
    lab.save()
    again = EstateRuntime.load(str(tmp_path))
    assert again.call_counts == {"win01": 1} and again.faults.to_list()[0]["at_call"] == 3
    again.host("win01").run_module_call(ping())
    with pytest.raises(InjectedFault):
        again.host("win01").run_module_call(ping())


@pytest.mark.parametrize("kind", ["drop", "http500", "timeout", "auth"])
def test_transport_fault_raises_injected_fault_before_the_twin_runs(lab, kind):
    lab.faults.add("win01", 1, kind)
    with pytest.raises(InjectedFault) as caught:
        lab.host("win01").run_module_call(make_directory())
    assert caught.value.kind == kind
    assert not lab.estate.hosts["win01"].files.exists(DIRECTORY)
    record = lab.audit.records()[0]
    assert (record["fault"], record["failed"], record["mutating"]) == (kind, True, False)


@pytest.mark.parametrize("kind, wire", [("drop-after", "drop"), ("timeout-after", "timeout")])
def test_lost_answer_fault_applies_the_change_then_loses_the_reply(lab, kind, wire):
    lab.faults.add("win01", 1, kind)
    with pytest.raises(InjectedFault) as caught:
        lab.host("win01").run_module_call(make_directory())
    assert caught.value.kind == wire
    assert lab.estate.hosts["win01"].files.exists(DIRECTORY)
    record = lab.audit.records()[0]
    assert (record["fault"], record["mutating"], record["changed"]) == (kind, True, True)


def test_cmdlet_error_fault_fails_the_call_without_mutating(lab):
    lab.faults.add("win01", 1, "cmdlet-error", message="Access is denied.")
    outcome = lab.host("win01").run_module_call(make_directory())
    assert outcome.rc == 1 and result_of(outcome)["failed"] is True
    assert "Access is denied." in result_of(outcome)["msg"]
    assert not lab.estate.hosts["win01"].files.exists(DIRECTORY)
    assert lab.audit.records()[0]["fault"] == "cmdlet-error"


def test_cmdlet_error_fault_in_win_powershell_returns_its_error_record(lab):
    lab.faults.add("win01", 1, "cmdlet-error", message="Access is denied.")
    script = ModuleCall("ansible.windows.win_powershell", {"script": "# certops-script: anything\n"})
    result = result_of(lab.host("win01").run_module_call(script))
    assert result["failed"] is True and result["error"][0]["exception"]["message"] == "Access is denied."


def test_slow_fault_sleeps_outside_the_estate_lock_then_runs(lab):
    lab.faults.add("win01", 1, "slow", seconds=1.0)
    slow = threading.Thread(target=lab.host("win01").run_module_call, args=(ping(),))
    started = time.monotonic()
    slow.start()
    time.sleep(0.1)
    assert result_of(lab.host("win02").run_module_call(ping()))["ping"] == "pong"
    assert slow.is_alive()                           # win02 finished while win01 still slept
    slow.join()
    assert time.monotonic() - started >= 1.0
    assert [record["host"] for record in lab.audit.records()] == ["win02", "win01"]


def test_mutating_call_records_invariant_violations_with_the_call(lab, directory_invariant):
    outcome = lab.host("win02").run_module_call(make_directory())
    assert result_of(outcome)["changed"] is True
    record = lab.audit.records()[-1]
    assert record["mutating"] is True and record["violations"] == [f"no_test_directory: win02 has {DIRECTORY}"]
    violation = lab.violations.to_list()[0]
    assert (violation["call_id"], violation["host"], violation["module"]) == ("win02#1", "win02", WIN_FILE)
    assert violation["time"] == "2026-01-01T00:00:00Z" and directory_invariant


def test_read_only_and_check_mode_calls_skip_invariants_and_are_not_mutating(lab, directory_invariant):
    lab.host("win01").run_module_call(ping())
    lab.host("win01").run_module_call(make_directory(check_mode=True))
    assert not directory_invariant
    assert [(record["mutating"], record["check_mode"]) for record in lab.audit.records()] == [(False, False), (False, True)]
    assert lab.violations.to_list() == []


def test_mutating_call_saves_the_state_file(lab, tmp_path):
    lab.host("win01").run_module_call(make_directory())
    assert stat.S_IMODE(os.stat(os.path.join(tmp_path, STATE_FILE)).st_mode) == 0o600
    saved = json.load(open(os.path.join(tmp_path, STATE_FILE), encoding="utf-8"))
    assert Estate.from_dict(saved["estate"]).hosts["win01"].files.is_dir(DIRECTORY)
    assert saved["call_counts"] == {"win01": 1}


def test_execute_answers_a_known_raw_command(lab):
    outcome = lab.host("win01").execute(ExecRequest("win01", "echo lab-ok", None))
    assert (outcome.rc, outcome.stdout) == (0, b"lab-ok\r\n")
    assert lab.call_counts == {}


def test_execute_fails_an_unknown_raw_command_loudly(lab):
    outcome = lab.host("win01").execute(ExecRequest("win01", "Restart-Computer -Force", None))
    assert outcome.rc == 1 and outcome.stderr.startswith(b"#< CLIXML")


def test_execute_fails_an_undecodable_payload_loudly(lab):
    outcome = lab.host("win01").execute(ExecRequest("win01", "powershell.exe -NoProfile -", None, stdin=b"\x00garbage payload"))
    assert outcome.rc == 1 and b"certops lab cannot decode this request" in outcome.stderr
