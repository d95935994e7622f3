# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interrupted rotations: a fault at every mutating call of the run to the LCS gate, an upgrade that rolls back,
the single-node stall and the watch's timeout. Each fails clearly; a re-run converges; no invariant is violated."""
from __future__ import annotations

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from d365_service_fabric_lab import cluster, dump, failure_messages, mutating, plan_document, rotate, topology

KINDS = ("drop", "cmdlet-error", "drop-after")


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


@pytest.fixture(name="reference_calls", scope="module")
def reference_calls_fixture(tmp_path_factory):
    """The mutating calls of an uninterrupted run to the gate on a fresh lab: (host, call number, script)."""
    directory = tmp_path_factory.mktemp("d365_reference")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology())), str(directory / "lab")).start())
    try:
        run = rotate(lab, directory)
        assert run.returncode == 0, dump(run)
        return [(record["host"], call_number(record), record["script"]) for record in mutating(lab.audit())]
    finally:
        lab.stop()


def test_reference_run_mutates_with_the_upgrade_the_watch_localagent_config_json_and_credentials(reference_calls):
    scripts = [script for _host, _number, script in reference_calls]
    assert scripts[0] == "servicefabric_cluster_config_upgrade" and "servicefabric_cluster_upgrade_watch" in scripts
    assert scripts[-3:] == ["d365_localagent_config_set", "d365_agent_share_config_set", "d365_credentials_rotate"]


@pytest.mark.parametrize("kind", KINDS)
def test_fault_at_every_mutating_call_fails_clearly_and_a_rerun_converges(lab_factory, tmp_path, reference_calls, kind):
    for index, (host, number, script) in enumerate(reference_calls):
        lab = lab_factory(topology())
        lab.add_fault(host, at_call=number, kind=kind, message="The operation failed (injected).")
        failed = rotate(lab, tmp_path)
        assert failed.returncode != 0, f"{kind} at {host}#{number} ({script}) did not fail the run"
        message = failure_messages(failed)
        assert "Traceback" not in message, message
        if script == "servicefabric_cluster_upgrade_watch":
            # The engine's watch (RotationActionBase.poll_problem) lets a failed watch read through as the task's
            # raw error; it names the script or the transport failure, not the step (engine change requested).
            assert "servicefabric_cluster_upgrade_watch" in message or "Connection aborted" in message or "apply:" in message, message
        else:
            assert "apply:" in message and "Re-run the same play" in message, message
        rerun = rotate(lab, tmp_path)
        assert rerun.returncode == 0, f"{kind} at {host}#{number} ({script}): {failure_messages(rerun)}"
        assert plan_document(rerun)["status"] == "manual_gate"
        assert cluster(lab).upgrade_state() == "RollingForwardCompleted" and lab.violations() == [], (index, script)
        lab.stop()


def test_upgrade_that_rolls_back_fails_clearly_and_the_rerun_converges(lab_factory, tmp_path):
    lab = lab_factory(topology(rollback_upgrades=1))
    old_version = cluster(lab).config["clusterConfigurationVersion"]
    failed = rotate(lab, tmp_path)
    assert failed.returncode != 0
    assert "its watch read UpgradeState = RollingBackCompleted" in failure_messages(failed)
    assert cluster(lab).config["clusterConfigurationVersion"] == old_version
    assert cluster(lab).d365["cleanups"] == 0   # nothing after the cluster step ran
    rerun = rotate(lab, tmp_path)
    assert rerun.returncode == 0, dump(rerun)
    assert cluster(lab).upgrade_state() == "RollingForwardCompleted" and cluster(lab).config["clusterConfigurationVersion"] == "2.0.0"
    assert lab.violations() == []


def test_single_node_type_stalls_until_the_replica_set_check_timeout_is_set_and_the_watch_times_out_clearly(lab_factory, tmp_path):
    lab = lab_factory(topology())
    stalled = rotate(lab, tmp_path, d365_service_fabric_replica_set_check_timeout=0, d365_service_fabric_watch_timeout_seconds=1,
                     d365_service_fabric_watch_interval_seconds=0.1)
    assert stalled.returncode != 0
    message = failure_messages(stalled)
    assert "its watch timed out after 1 s" in message and "UpgradeState: expected RollingForwardCompleted, found RollingForwardInProgress" in message
    assert cluster(lab).upgrade["done"] == []
    resumed = rotate(lab, tmp_path)
    assert resumed.returncode == 0, dump(resumed)
    assert [step["id"] for step in plan_document(resumed)["steps"]][0] == "cluster-watch"
    assert cluster(lab).upgrade_state() == "RollingForwardCompleted" and lab.violations() == []


def test_watch_reapplies_the_timeout_after_it_is_reset_and_reports_progress_per_upgrade_domain(lab_factory, tmp_path):
    lab = lab_factory(topology())
    run = rotate(lab, tmp_path)
    assert run.returncode == 0, dump(run)
    progress = [entry for play in run.json["plays"] for task in play["tasks"] if task["task"]["name"].endswith("Apply the steps of this wave on this node")
                for result in task["hosts"].values() for entry in result.get("progress") or []]
    assert progress[-1]["UpgradeState"] == "RollingForwardCompleted"
    assert any(entry["TimeoutReapplied"] for entry in progress)
    assert any("ud0=Completed" in entry["UpgradeDomains"] and "ud2=Pending" in entry["UpgradeDomains"] for entry in progress)
    print(f"\nwatch reads: {len(progress)}; timeout re-applied {sum(bool(entry['TimeoutReapplied']) for entry in progress)} times")
