# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exchange_auth role against the lab organisation: each MEAC scenario end to end, check mode, the run across the
effective date (the lab clock moves), serial restarts behind health gates, second runs, cleanup."""
from __future__ import annotations

import time

import pytest

from exchange_auth_lab import (HOSTS, Rotation, auth, calls_per_host, dump, holders, mutating, organisation, plan_documents, restarts,
                               scripts_run, summary, topology, transports)


@pytest.fixture(name="start")
def start_fixture(lab_factory, tmp_path):
    def start(**options) -> Rotation:
        return Rotation(lab_factory(topology(**options)), tmp_path)
    return start


def converged_again(rotation) -> None:
    """A second run changes nothing: no mutating call, no changed task, nothing planned."""
    before = len(rotation.lab.audit())
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    assert mutating(rotation.lab.audit()[before:]) == []
    assert {host: run.stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert plan_documents(run)[-1]["steps"] == []


# --- nothing to do -------------------------------------------------------------------------------
def test_nothing_is_due_when_the_current_certificate_has_200_days_and_each_server_is_read_once(start):
    rotation = start()
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    document = plan_documents(run)[0]
    assert (document["status"], document["inputs"]["meac_scenario"], document["steps"]) == ("converged", 0, [])
    assert mutating(rotation.lab.audit()) == [] and rotation.lab.violations() == []
    # One read per server for the plan, one verify read (with the OAuth and OWA probes) per server.
    assert calls_per_host(rotation.lab.audit()) == dict.fromkeys(HOSTS, 2)


# --- scenario 2: stage ---------------------------------------------------------------------------
def test_check_mode_changes_nothing_reads_each_server_once_and_says_which_scenario_and_why(start):
    rotation = start(current_days=40)
    before = auth(rotation.lab)
    run = rotation.run(check=True)
    assert run.returncode == 0, dump(run)
    records = rotation.lab.audit()
    assert records and mutating(records) == [] and all(record["check_mode"] for record in records)
    assert calls_per_host(records) == dict.fromkeys(HOSTS, 1)
    assert auth(rotation.lab) == before
    lines = summary(run)
    assert any("MEAC's decision: scenario 2 (stage): the current Auth certificate has 40 day(s) left (<= 60)" in line for line in lines), lines
    assert "Check mode: nothing was changed; 1 step(s) planned." in lines


def test_stage_creates_the_certificate_copies_it_everywhere_and_stages_it_30_days_ahead(start):
    rotation = start(current_days=40)
    old_transports = transports(rotation.lab)
    started = time.monotonic()
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    elapsed = time.monotonic() - started
    staged = auth(rotation.lab)
    assert staged["next"] and holders(rotation.lab, staged["next"]) == list(HOSTS)
    assert [[step["id"] for step in document["steps"]] for document in plan_documents(run)] == [
        ["create"], ["import-new-ex02", "import-new-ex03", "stage"]]
    assert plan_documents(run)[-1]["inputs"]["new_source"] == "created"
    assert transports(rotation.lab) == old_transports and rotation.lab.violations() == []
    assert any(line.startswith("Waiting until ") for line in summary(run))
    # ex01: read, create, read again, two imports, stage, verify; the others: read, verify.
    assert calls_per_host(rotation.lab.audit()) == {"ex01": 7, "ex02": 2, "ex03": 2}
    print(f"\nstage: {elapsed:.1f}s, module executions per host {calls_per_host(rotation.lab.audit())}")
    converged_again(rotation)


def test_a_run_after_the_effective_date_publishes_at_once_and_restarts_one_server_at_a_time(start):
    rotation = start(current_days=40)
    assert rotation.run().returncode == 0
    new, old = auth(rotation.lab)["next"], auth(rotation.lab)["current"]
    rotation.advance("+30d")
    rotation.advance("+1h")       # past the effective date, before the servicelet's lag (6 hours)
    before = len(rotation.lab.audit())
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    assert (auth(rotation.lab)["current"], auth(rotation.lab)["previous"]) == (new, old)
    assert restarts(rotation.lab) == dict.fromkeys(HOSTS, 1)
    calls = scripts_run(rotation.lab.audit()[before:])
    roll = [call for call in calls if call[1] in ("exchange_auth_services_restart", "exchange_authconfig_set")]
    assert roll[0] == ("ex01", "exchange_authconfig_set") and [host for host, _script in roll[1:]] == list(HOSTS)
    # Each restart is followed by its health gate on the same server before the next server starts.
    for host in HOSTS:
        index = calls.index((host, "exchange_auth_services_restart"))
        assert calls[index + 1] == (host, "exchange_auth_get")
    assert plan_documents(run)[0]["inputs"]["scenario"] == "activate" and rotation.lab.violations() == []
    converged_again(rotation)


def test_a_run_after_the_servicelet_published_only_restarts_and_recycles(start):
    rotation = start(current_days=40)
    assert rotation.run().returncode == 0
    new = auth(rotation.lab)["next"]
    rotation.advance("+31d")
    assert auth(rotation.lab)["current"] == new      # the AuthAdmin servicelet did it on the lab clock
    before = len(rotation.lab.audit())
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    written = {record["script"] for record in mutating(rotation.lab.audit()[before:])}
    assert written == {"exchange_auth_services_restart"} and restarts(rotation.lab) == dict.fromkeys(HOSTS, 1)
    assert plan_documents(run)[0]["inputs"]["scenario"] == "finish" and rotation.lab.violations() == []
    converged_again(rotation)


def test_two_days_left_is_too_little_notice_so_the_new_certificate_is_published_at_once(start):
    rotation = start(current_days=2)
    old = auth(rotation.lab)["current"]
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    assert auth(rotation.lab)["next"] == "" and auth(rotation.lab)["previous"] == old
    assert holders(rotation.lab, auth(rotation.lab)["current"]) == list(HOSTS)
    assert plan_documents(run)[-1]["inputs"]["meac_scenario"] == 2 and restarts(rotation.lab) == dict.fromkeys(HOSTS, 1)
    assert rotation.lab.violations() == []
    converged_again(rotation)


# --- scenarios 1 and 3: replace ---------------------------------------------------------------------
def test_an_expired_certificate_is_replaced_everywhere_before_it_is_published(start):
    rotation = start(current_days=-3)
    old = auth(rotation.lab)["current"]
    old_transports = transports(rotation.lab)
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    new = auth(rotation.lab)["current"]
    assert new != old and auth(rotation.lab)["previous"] == old and holders(rotation.lab, new) == list(HOSTS)
    steps = [step["id"] for step in plan_documents(run)[-1]["steps"]]
    assert steps == ["import-new-ex02", "import-new-ex03", "stage", "publish", "restart-ex01", "restart-ex02", "restart-ex03"]
    assert plan_documents(run)[0]["inputs"]["meac_scenario"] == 1
    assert transports(rotation.lab) == old_transports and rotation.lab.violations() == []
    converged_again(rotation)


def test_cleanup_after_a_replace_removes_the_retired_certificate_and_clears_it(start):
    rotation = start(current_days=-3)
    old = auth(rotation.lab)["current"]
    assert rotation.run().returncode == 0
    run = rotation.run(exchange_auth_cleanup=True)
    assert run.returncode == 0, dump(run)
    assert auth(rotation.lab)["previous"] == "" and holders(rotation.lab, old) == []
    assert rotation.lab.violations() == []
    converged_again(rotation)


def test_cleanup_refuses_to_run_when_verify_is_skipped(start):
    rotation = start(current_days=-3)
    assert rotation.run().returncode == 0
    before = len(rotation.lab.audit())
    run = rotation.run("--skip-tags", "certops_verify", exchange_auth_cleanup=True)
    assert run.returncode != 0 and "cleanup runs only after verify" in run.stdout
    assert mutating(rotation.lab.audit()[before:]) == []


# --- scenarios 4 and 5: import -----------------------------------------------------------------------
def test_a_valid_certificate_missing_on_a_server_is_imported_there_not_created_again(start):
    rotation = start(current_on=["ex01", "ex02"])
    current = auth(rotation.lab)["current"]
    run = rotation.run()
    assert run.returncode == 0, dump(run)
    assert holders(rotation.lab, current) == list(HOSTS) and auth(rotation.lab)["current"] == current
    assert [step["id"] for step in plan_documents(run)[0]["steps"]] == ["import-current-ex03"]
    assert plan_documents(run)[0]["inputs"]["meac_scenario"] == 4
    assert organisation(rotation.lab).server_of_host("ex03").restarts == 0 and rotation.lab.violations() == []
    converged_again(rotation)
