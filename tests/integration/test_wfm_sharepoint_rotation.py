# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wfm_sharepoint role through playbooks/rotate.yml against the lab: rotation, re-run, check mode, cleanup."""
from __future__ import annotations

import time

import pytest

from wfm_sharepoint_lab import (HOSTS, ROLE_TASK, ROTATE, calls_per_host, dump, failure_messages, farms, issuer_thumbprints, mutating,
                                role_vars, root_thumbprints, store_thumbprints, topology, write_pfx)


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
    assert order == ["windows_certificate_key_access", "sp_trusted_root_authority_set", "sp_trusted_security_token_issuer_set",
                     "wfm_outbound_certificate_set"]
    print(f"\nrotation: {elapsed:.1f}s, module executions per host {calls_per_host(records)}")


def test_rerun_after_rotation_reports_no_change(estate):
    assert rotate(estate).returncode == 0
    before = len(estate.audit())
    run = rotate(estate)
    assert run.returncode == 0, dump(run)
    assert {host: run.stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert mutating(estate.audit()[before:]) == []
    print(f"\nre-run: module executions per host {calls_per_host(estate.audit()[before:])}")


def test_check_mode_changes_nothing_and_prints_the_plan_in_order(estate):
    before = farms(estate)
    run = rotate(estate, check=True)
    assert run.returncode == 0, dump(run)
    records = estate.audit()
    assert records and mutating(records) == [] and all(record["check_mode"] for record in records)
    assert farms(estate) == before
    plans = [step["action"] for task in ("Add the new certificate as a SharePoint trusted root authority",
                                         "Add a SharePoint trusted security token issuer for the new certificate",
                                         "Make the new certificate Workflow Manager's outbound certificate")
             for result in run.results(ROLE_TASK + task).values() for step in result.get("plan", [])]
    assert plans == ["create trusted root authority", "create trusted security token issuer", "switch Workflow Manager outbound certificate"]
    assert "plan: wfm01: copy the PFX" in run.results(ROLE_TASK + "Plan the import of the PFX")["wfm01"]["msg"]
    printed = next(iter(run.results(ROLE_TASK + "Print the plan of the activation and the verification").values()))["msg"]
    assert [line.split(": ", 1)[0] for line in printed[:3]] == ["sp01", "sp01", "wfm01"] and printed[3].startswith("verify that")
    print(f"\nplan: module executions per host {calls_per_host(records)}")


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
