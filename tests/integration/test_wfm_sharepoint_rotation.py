# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wfm_sharepoint role through playbooks/rotate.yml against the lab: rotation, re-run, check mode, cleanup."""
from __future__ import annotations

import time

import pytest

from wfm_sharepoint_lab import (HOSTS, ROLE_TASK, ROTATE, calls_per_host, dump, failure_messages, farms, issuer_thumbprints, mutating,
                                plan_document, role_vars, root_thumbprints, store_thumbprints, topology, write_pfx)


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology())
    lab.pfx_path = str(tmp_path / "wfm outbound (new).pfx")
    lab.new_thumbprint = write_pfx(lab.pfx_path)
    lab.old_thumbprint = farms(lab)["wfm"]["current"]
    return lab


def rotate(lab, *args, check=False, **overrides):
    return lab.run_playbook(ROTATE, *args, check=check, diff=check, extra_vars=role_vars(lab.pfx_path, **overrides))


def test_fresh_rotation_switches_workflow_manager_after_sharepoint_trusts_the_new_certificate(estate):
    started = time.monotonic()
    run = rotate(estate)
    elapsed = time.monotonic() - started
    assert run.returncode == 0, dump(run)
    state = farms(estate)
    assert (state["wfm"]["current"], state["wfm"]["previous"]) == (estate.new_thumbprint, estate.old_thumbprint)
    assert estate.new_thumbprint in issuer_thumbprints(estate) and estate.old_thumbprint in issuer_thumbprints(estate)
    assert estate.new_thumbprint in root_thumbprints(estate)
    assert estate.new_thumbprint in store_thumbprints(estate)
    assert estate.violations() == []
    records = estate.audit()
    order = [record["script"] for record in mutating(records) if record["script"]]
    # Wave 1 runs on the hosts in parallel (the order across hosts is free); the switch is wave 2, last.
    assert sorted(order[:3]) == ["sp_trusted_root_authority_set", "sp_trusted_security_token_issuer_set", "windows_certificate_import"]
    assert order[3:] == ["wfm_outbound_certificate_set"]
    assert order.index("sp_trusted_root_authority_set") < order.index("sp_trusted_security_token_issuer_set")
    print(f"\nrotation: {elapsed:.1f}s, module executions per host {calls_per_host(records)}")


def test_rotation_makes_read_plus_writes_plus_one_verify_executions_per_host(estate):
    assert rotate(estate).returncode == 0
    # wfm01: read, stage, switch, verify; sp01: read, root authority, issuer, verify; sp02: read only.
    assert calls_per_host(estate.audit()) == {"wfm01": 4, "sp01": 4, "sp02": 1}


def test_rerun_after_rotation_reports_no_change(estate):
    assert rotate(estate).returncode == 0
    before = len(estate.audit())
    run = rotate(estate)
    assert run.returncode == 0, dump(run)
    assert {host: run.stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert mutating(estate.audit()[before:]) == []
    assert plan_document(run)["status"] == "converged"
    # A converged run reads and verifies: nothing else.
    assert calls_per_host(estate.audit()[before:]) == {"wfm01": 2, "sp01": 2, "sp02": 1}


def test_check_mode_changes_nothing_reads_each_host_once_and_prints_the_plan_in_order(estate):
    before = farms(estate)
    run = rotate(estate, check=True)
    assert run.returncode == 0, dump(run)
    records = estate.audit()
    assert records and mutating(records) == [] and all(record["check_mode"] for record in records)
    assert farms(estate) == before
    assert calls_per_host(records) == dict.fromkeys(HOSTS, 1)
    document = plan_document(run)
    assert [(step["host"], step["action"], step["wave"]) for step in document["steps"]] == [
        ("wfm01", "stage certificate", 1), ("sp01", "create trusted root authority", 1),
        ("sp01", "create trusted security token issuer", 1), ("wfm01", "switch outbound certificate", 2)]
    printed = next(iter(run.results(ROLE_TASK + "Show the plan").values()))["msg"]
    assert printed[0].startswith("certops plan (wfm_sharepoint, plan v1") and "4 step(s) in 2 wave(s)" in printed[0]
    assert [line.split(":", 1)[0].strip() for line in printed if line.startswith("  ") and ". " in line[:6]][:4] == [
        "1. wfm01", "2. sp01", "3. sp01", "4. wfm01"]
    # Check mode stops at the plan: its closing lines come with it, and no Summary task runs; the controller
    # decides the skip of apply/verify/cleanup once (run_once in check mode), not in a worker per host.
    assert "Check mode: nothing was changed; 4 step(s) planned." in printed and not run.results(ROLE_TASK + "Summary")
    assert list(run.results(ROLE_TASK + "Apply, verify and clean up (not in check mode, which stops at the plan)")) == ["wfm01"]
    print(f"\nplan: module executions per host {calls_per_host(records)}")


def test_the_plan_reaches_awx_as_set_stats_data(estate):
    run = rotate(estate, check=True)
    assert run.returncode == 0, dump(run)
    assert run.json["custom_stats"] == {"certops_plans": {"wfm_sharepoint": plan_document(run)}}


def test_cleanup_removes_only_the_retired_trust_and_certificate(estate):
    assert rotate(estate).returncode == 0
    run = rotate(estate, wfm_sharepoint_cleanup=True)
    assert run.returncode == 0, dump(run)
    assert issuer_thumbprints(estate) == [estate.new_thumbprint]
    assert root_thumbprints(estate) == [estate.new_thumbprint]
    assert store_thumbprints(estate) == [estate.new_thumbprint]
    assert farms(estate)["wfm"]["current"] == estate.new_thumbprint
    assert estate.violations() == []


def test_cleanup_refuses_to_run_when_verify_is_skipped(estate):
    assert rotate(estate).returncode == 0
    before, audited = farms(estate), len(estate.audit())
    run = rotate(estate, "--skip-tags", "certops_verify", wfm_sharepoint_cleanup=True)
    assert run.returncode != 0 and "cleanup runs only after verify" in failure_messages(run)
    assert farms(estate) == before and mutating(estate.audit()[audited:]) == []
