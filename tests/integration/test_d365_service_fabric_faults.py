# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interrupted rotations: a fault of every kind at every mutating call of the whole rotation (the run to the LCS gate,
the run that enables the encrypted-data rotation job, the cleanup), an upgrade that rolls back, the single-node stall
and the watch's timeout. Each fails clearly; a re-run converges to the state an uninterrupted run reaches; no
invariant is violated at any moment.

A reference journey on a fresh lab saves the lab just before each of its three runs (a stopped lab's state directory
resumes where it stopped, call counters included) and lists each run's mutating calls, counted per host. Every case
starts a copy of the saved lab and plans faults at one position of that run: one call, or the k-th certificate
removal of every node at once (the nodes remove their old certificates side by side, so one run covers all of them).
"""
from __future__ import annotations

import collections
import json
import shutil
import time

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
import fault_matrix
from d365_service_fabric_lab import (HOSTS, cluster, do_lcs_update_settings, dump, failure_messages, mutating,
                                     new_certificates_as_pfx_files, plan_document, rotate, secrets_of, topology, watch_progress)

KINDS = ("drop", "http500", "cmdlet-error", "drop-after", "timeout-after")
# The first three stop the call before it runs, the other two run it and lose the answer: the kinds of a group leave
# the lab in the same state (checked), so one re-run from it shows that every kind of the group converges.
KIND_GROUPS = (KINDS[:3], KINDS[3:])
# timeout-after holds the reply until the client gives up reading: pywinrm's read timeout, here 6 s instead of the 30 s
# default. The lab answers a Receive before the operation timeout (4 s) whether the command has finished or not, and
# pywinrm polls again, so a slow answer is never mistaken for a lost one.
SHORT_TIMEOUT = {"ansible_winrm_operation_timeout_sec": 4, "ansible_winrm_read_timeout_sec": 6}
WATCH = "servicefabric_cluster_upgrade_watch"
# The journey, with the new certificates given as PFX files that the role places on every node: (stage, role
# variables of its run besides the placement's, what happens before the next stage).
JOURNEY = (("gate", {}, do_lcs_update_settings),
           ("job", {}, lambda lab, _document: lab.clock.advance("+5d")),
           ("cleanup", {"d365_service_fabric_cleanup": True}, None))
# Steps the nodes of a wave take side by side (script or module, the position's name): the k-th one of every node in
# a wave is one position, so one run faults all of them.
SIDE_BY_SIDE = {"windows_certificate_import": "place", "win_certificate_store": "remove"}
# Positions per run (checked against the journey): the five imports of every node, the upgrade, its watch, LocalAgent,
# config.json, Credentials.json; the job; the cleanup upgrade, its watch, and the removals (five per node, three waves).
UPGRADE = ["upgrade", "watch-1", "watch-2", "watch-3"]
LABELS = {"gate": [f"place-wave1-{rank}" for rank in range(1, 6)] + UPGRADE + ["localagent", "config.json", "credentials"], "job": ["job"],
          "cleanup": UPGRADE + [f"remove-wave{wave}-{rank}" for wave, ranks in ((1, 4), (2, 4), (3, 1)) for rank in range(1, ranks + 1)]}
POSITION_COUNTS = {stage: len(labels) for stage, labels in LABELS.items()}


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


def start(state_dir) -> Lab:
    return Lab(LabInstance(load_topology(resolve_topology(topology())), str(state_dir)).start())


def saved(lab: Lab, directory) -> Lab:
    """Stop the lab, keep a copy of its state directory in ``directory``, and start it again."""
    lab.stop()
    shutil.copytree(lab.state_dir, directory)
    return start(lab.state_dir)


def end_state(lab) -> dict:
    """What an uninterrupted run leaves, without counters and timestamps: the cluster, the D365 pieces, every store."""
    model = cluster(lab)
    d365 = model.d365
    return {"config": model.config, "upgrade_state": model.upgrade_state(), "localagent": d365["localagent_config"],
            "cleanup_marker": d365["localagent_cleanup"], "agent_share": d365["agent_share_config"], "credentials": d365["credentials"],
            "database": {key: d365["database"][key] for key in ("flight_enabled", "rotation_enabled", "encrypted_with")},
            "stores": {host: sorted(lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").entries) for host in HOSTS}}


def step_name(step: dict) -> str:
    return step["script"] or step["module"].rsplit(".", 1)[1]


def positions(calls: list, document: dict) -> list:
    """The run's mutating calls as positions: each call on its own, except the steps nodes take side by side in a wave
    (SIDE_BY_SIDE): the k-th such step of every node in a wave is one position (the plan says which wave)."""
    waves = collections.defaultdict(list)
    for step in document["steps"] + document["cleanup"]:
        waves[(step_name(step), step["host"])].append(step["wave"])
    found, ranks = {}, collections.Counter()
    for host, number, script in calls:
        key = f"{script}#{host}#{number}"
        if script in SIDE_BY_SIDE:
            wave = waves[(script, host)].pop(0)
            ranks[(script, host, wave)] += 1
            key = f"{SIDE_BY_SIDE[script]}-wave{wave}-{ranks[(script, host, wave)]}"
        found.setdefault(key, []).append((host, number))
    return list(found.items())


@pytest.fixture(name="journey", scope="module")
def journey_fixture(tmp_path_factory):
    """{stage: (saved lab directory, the run's positions, the end state it reaches, its role variables)} of an uninterrupted
    journey."""
    root = tmp_path_factory.mktemp("d365_journey")
    lab, stages = start(root / "lab"), {}
    try:
        placing = new_certificates_as_pfx_files(lab, root)
        for stage, stage_options, then in JOURNEY:
            options = {**placing, **stage_options}
            lab = saved(lab, root / stage)
            before = len(lab.audit())
            run = rotate(lab, **options)
            assert run.returncode == 0, dump(run)
            calls = [(record["host"], call_number(record), record["script"] or record["module"].rsplit(".", 1)[1])
                     for record in mutating(lab.audit()[before:])]
            stages[stage] = (root / stage, positions(calls, plan_document(run)), end_state(lab), options)
            if then:
                then(lab, plan_document(run))
        assert lab.violations() == []
    finally:
        lab.stop()
    return stages


def test_the_journey_mutates_with_each_documented_step_at_the_positions_the_cases_fault(journey):
    names = {stage: [name.split("#")[0] for name, _places in journey[stage][1]] for stage in POSITION_COUNTS}
    # The watch reads count as mutating when they change the cluster: re-applying the replica-set-check timeout, or the
    # lab clock they move finishing the last upgrade domain.
    assert names["gate"] == LABELS["gate"][:5] + ["servicefabric_cluster_config_upgrade", WATCH, WATCH, WATCH, "d365_localagent_config_set",
                                                  "d365_agent_share_config_set", "d365_credentials_rotate"]
    assert names["job"] == ["d365_encrypted_data_rotation_set"]
    # The first node removes its old certificates right after its cleanup upgrade (wave 1); the others then remove theirs
    # side by side (wave 2); the data-encryption certificate goes last everywhere (wave 3).
    assert names["cleanup"] == ["servicefabric_cluster_config_upgrade", WATCH, WATCH, WATCH] + LABELS["cleanup"][4:]
    assert all(sorted(host for host, _number in places) == sorted(HOSTS) for _name, places in journey["gate"][1][:5])
    removals = {name: sorted(host for host, _number in places) for name, places in journey["cleanup"][1] if name.startswith("remove-")}
    assert all(hosts == ["orch01"] for name, hosts in removals.items() if name.startswith("remove-wave1"))
    assert all(hosts == sorted(set(HOSTS) - {"orch01"}) for name, hosts in removals.items() if name.startswith("remove-wave2"))
    assert removals["remove-wave3-1"] == sorted(HOSTS)
    assert {stage: len(journey[stage][1]) for stage in POSITION_COUNTS} == POSITION_COUNTS
    calls = sum(len(places) for stage in POSITION_COUNTS for _name, places in journey[stage][1])
    print(f"\nfaulted: {calls} mutating calls at {sum(POSITION_COUNTS.values())} positions, {len(fault_matrix.kinds_at(0, KINDS))} kind(s) each")


def expected_words(kind: str, name: str) -> str:
    """A cmdlet that threw changed nothing; any transport failure may have taken effect; a watch that got no answer says so."""
    if name.startswith(WATCH):
        return f"its watch ({WATCH}) could not be read: "
    return "failed and changed nothing" if kind == "cmdlet-error" else "may or may not have taken effect"


def fingerprint(lab) -> str:
    """Everything a re-run's plan depends on: the end state, the cluster model (upgrade progress included), the lab clock."""
    return json.dumps({"state": end_state(lab), "cluster": cluster(lab).to_dict(), "clock": str(lab.clock.now())}, sort_keys=True)


def interrupted(lab_factory, copy, saved_lab: tuple, position: tuple, kind: str):
    """``copy`` of the lab saved before a run, that run with ``kind`` planned at the position: it must fail clearly."""
    directory, _positions, _reference, options = saved_lab
    name, places = position
    lab = lab_factory(topology(), state_dir=str(shutil.copytree(directory, copy)))
    for host, number in places:
        lab.add_fault(host, at_call=number, kind=kind, message="The operation failed (injected).")
    run = rotate(lab, **options, **SHORT_TIMEOUT)
    assert run.returncode != 0, f"{kind} at {name} did not fail the run"
    message = failure_messages(run)
    assert "Traceback" not in run.stdout + run.stderr
    assert not [secret for secret in secrets_of(options) if secret in run.stdout + run.stderr]
    assert expected_words(kind, name) in message and "Re-run the same play" in message, message
    if name.startswith(WATCH) and kind != "cmdlet-error":
        assert "the operation may still be running" in message, message
    for host, number in places:
        assert f"({host}: " in message, (host, message)
        assert lab.call_count(host) >= number   # the planned fault was reached
    return lab, message


POSITIONS = [(stage, index) for stage, count in POSITION_COUNTS.items() for index in range(count)]


@pytest.mark.slow
@pytest.mark.parametrize("stage,index", POSITIONS, ids=[f"{stage}-{LABELS[stage][index]}" for stage, index in POSITIONS])
def test_a_fault_at_every_mutating_call_fails_clearly_and_a_rerun_converges_without_violations(
        lab_factory, tmp_path, journey, stage, index):
    position, (_directory, _positions, reference, options) = journey[stage][1][index], journey[stage]
    kinds = fault_matrix.kinds_at(POSITIONS.index((stage, index)), KINDS)
    for group in [[kind for kind in group if kind in kinds] for group in KIND_GROUPS if set(group) & set(kinds)]:
        started = time.monotonic()
        labs = [interrupted(lab_factory, tmp_path / kind, journey[stage], position, kind) for kind in group]
        assert len({fingerprint(lab) for lab, _message in labs}) == 1, f"{group} left different states"
        resumed = rotate(labs[-1][0], **options)
        assert resumed.returncode == 0, f"{group[-1]} at {position[0]}: {failure_messages(resumed)}"
        assert end_state(labs[-1][0]) == reference
        assert all(lab.violations() == [] for lab, _message in labs)
        for (lab, message), kind in zip(labs, group):
            lab.stop()
            print(f"\n{stage} {position[0]} {kind}: {message.splitlines()[0][:180]}")
        print(f"{group}: {time.monotonic() - started:.1f}s")


def test_upgrade_that_rolls_back_fails_clearly_and_the_rerun_converges(lab_factory):
    lab = lab_factory(topology(rollback_upgrades=1))
    old_version = cluster(lab).config["clusterConfigurationVersion"]
    failed = rotate(lab)
    assert failed.returncode != 0
    assert "its watch read UpgradeState = RollingBackCompleted" in failure_messages(failed)
    assert cluster(lab).config["clusterConfigurationVersion"] == old_version
    assert cluster(lab).d365["cleanups"] == 0   # nothing after the cluster step ran
    rerun = rotate(lab)
    assert rerun.returncode == 0, dump(rerun)
    assert cluster(lab).upgrade_state() == "RollingForwardCompleted" and cluster(lab).config["clusterConfigurationVersion"] == "2.0.0"
    assert lab.violations() == []


def test_single_node_type_stalls_until_the_replica_set_check_timeout_is_set_and_the_watch_times_out_clearly(lab_factory):
    lab = lab_factory(topology())
    stalled = rotate(lab, d365_service_fabric_replica_set_check_timeout=0, d365_service_fabric_watch_timeout_seconds=1,
                     d365_service_fabric_watch_interval_seconds=0.1)
    assert stalled.returncode != 0
    message = failure_messages(stalled)
    assert "its watch timed out after 1 s" in message and "UpgradeState: expected RollingForwardCompleted, found RollingForwardInProgress" in message
    assert cluster(lab).upgrade["done"] == []
    resumed = rotate(lab)
    assert resumed.returncode == 0, dump(resumed)
    assert [step["id"] for step in plan_document(resumed)["steps"]][0] == "cluster-watch"
    assert cluster(lab).upgrade_state() == "RollingForwardCompleted" and lab.violations() == []


def test_watch_reapplies_the_timeout_after_it_is_reset_and_reports_progress_per_upgrade_domain(lab_factory):
    lab = lab_factory(topology())
    run = rotate(lab)
    assert run.returncode == 0, dump(run)
    progress = watch_progress(run)["orch01"]
    assert progress[-1]["UpgradeState"] == "RollingForwardCompleted"
    assert any(entry["TimeoutReapplied"] for entry in progress)
    assert any("ud0=Completed" in entry["UpgradeDomains"] and "ud2=Pending" in entry["UpgradeDomains"] for entry in progress)
    print(f"\nwatch reads: {len(progress)}; timeout re-applied {sum(bool(entry['TimeoutReapplied']) for entry in progress)} times")
