# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The d365_service_fabric role end to end on the lab: check mode, the run to the LCS gate, the run after it,
the job, the second run, cleanup; thumbprint-based and common-name-based clusters."""
from __future__ import annotations

import base64
import os

import pytest

from d365_service_fabric_lab import (HOSTS, ROLE_TASK, SERVICE_ACCOUNT, calls_per_host, cluster, do_lcs_update_settings, dump,
                                     failure_messages, mutating, new_certificates_as_pfx_files, new_thumbprints, plan_document, planned_executions,
                                     rotate, secrets_of, summary_lines, topology, watch_progress)

LAYOUTS = {"thumbprint": "d365_service_fabric.yml", "common_name": "d365_service_fabric_cn.yml"}


@pytest.fixture(name="lab", params=sorted(LAYOUTS))
def lab_fixture(lab_factory, request):
    return lab_factory(topology(LAYOUTS[request.param]))


def store(lab, host: str) -> set:
    return set(lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").entries)


def test_check_mode_changes_nothing_and_prints_the_whole_plan_with_the_manual_gate(lab):
    before = cluster(lab).to_dict()
    run = rotate(lab, check=True)
    assert run.returncode == 0, dump(run)
    records = lab.audit()
    assert records and mutating(records) == [] and all(record["check_mode"] for record in records)
    assert cluster(lab).to_dict() == before
    printed = "\n".join(next(iter(run.results(ROLE_TASK + "Show the plan").values()))["msg"])
    assert "manual gate: LCS environment > Full details > Maintain > Update Settings" in printed
    for thumbprint in (new_thumbprints(lab)[role] for role in ("client", "data_encryption", "data_signing", "encipherment")):
        assert thumbprint in printed
    assert "localagent" in printed and "credentials" in printed
    assert ("Start-ServiceFabricClusterConfigurationUpgrade" in printed) == (cluster(lab).layout == "thumbprint")
    # One read per node: the Orchestrator node reads its certificates, the cluster and D365 in one execution.
    assert calls_per_host(records) == dict.fromkeys(HOSTS, 1)
    print(f"\nplan executions per host: {calls_per_host(records)}")


def test_real_run_reaches_the_gate_and_the_run_after_lcs_finishes_then_no_change(lab):
    new = new_thumbprints(lab)
    first = rotate(lab)
    assert first.returncode == 0, dump(first)
    document = plan_document(first)
    assert document["status"] == "manual_gate"
    assert any("Stopped at a manual step" in line for line in summary_lines(first))
    model = cluster(lab)
    if model.layout == "thumbprint":
        security = model.config["properties"]["security"]["CertificateInformation"]
        assert security["ClusterCertificate"]["Thumbprint"] == new["server"]
        assert security["ClusterCertificate"]["ThumbprintSecondary"]
        assert model.d365["agent_share_config"]["serviceFabric"]["certificateSettings"]["serverCertThumbprint"] == new["server"]
    assert model.d365["localagent_config"]["serviceFabric"]["certificateSettings"]["clientCertThumbprint"] == new["client"]
    assert model.d365["credentials"]["encrypted_with"] == new["encipherment"] and model.d365["cleanups"] == 1
    print(f"\nrotation executions per host: {calls_per_host(lab.audit())}")

    before = len(lab.audit())
    gate_again = rotate(lab)
    assert gate_again.returncode == 0 and plan_document(gate_again)["status"] == "manual_gate"
    assert plan_document(gate_again)["steps"] == [] and mutating(lab.audit()[before:]) == []

    do_lcs_update_settings(lab, document)
    after_gate = rotate(lab)
    assert after_gate.returncode == 0, dump(after_gate)
    assert [step["id"] for step in plan_document(after_gate)["steps"]] == ["encrypted-data-rotation"]
    assert model.d365["database"]["flight_enabled"] == "1" and model.d365["database"]["rotation_enabled"] == "True"

    before = len(lab.audit())
    second = rotate(lab)
    assert second.returncode == 0, dump(second)
    assert plan_document(second)["status"] == "waiting" and mutating(lab.audit()[before:]) == []
    assert {host: second.stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert lab.violations() == []


# Executions per node of the run to the gate: read, the node's steps, the watch reads of the upgrade, verify.
# orch01: cluster-rotate + 6 watch reads (three upgrade domains, each done after two reads) + LocalAgent + config.json;
# aos01: Credentials.json. A common-name cluster has no upgrade and (LocalAgent 3.2.3) no config.json.
TO_GATE = {"thumbprint": {"orch01": 11, "aos01": 3}, "common_name": {"orch01": 3, "aos01": 3}}
# The journey: (run, its role variables, what happens before the next run).
JOURNEY = (("to the gate", {}, do_lcs_update_settings), ("after LCS", {}, None),
           ("waiting for the job", {}, lambda lab, _document: lab.clock.advance("+5d")), ("cleanup", {"d365_service_fabric_cleanup": True}, None))


def test_each_run_reads_every_node_once_and_verifies_it_once_besides_its_writes_and_watch_reads(lab):
    layout, costs = cluster(lab).layout, []
    for label, options, then in JOURNEY:
        before = len(lab.audit())
        run = rotate(lab, **options)
        assert run.returncode == 0, dump(run)
        measured = calls_per_host(lab.audit()[before:])
        assert measured == planned_executions(run, cleanup=bool(options)), label
        costs.append((label, measured, sum(len(reads) for reads in watch_progress(run).values())))
        if then:
            then(lab, plan_document(run))
    assert costs[0][1] == {**dict.fromkeys(HOSTS, 2), **TO_GATE[layout]}
    assert costs[1][1] == {**dict.fromkeys(HOSTS, 2), "orch01": 3}      # + enabling the encrypted-data rotation job
    assert costs[2][1] == dict.fromkeys(HOSTS, 2)                       # read + verify, nothing else
    # + five removals per node; the first node also drops the old thumbprints in an upgrade and watches it.
    assert costs[3][1] == {**dict.fromkeys(HOSTS, 7), "orch01": 14 if layout == "thumbprint" else 7}
    assert lab.violations() == []
    for label, measured, watches in costs:
        print(f"\n{layout} {label}: executions per host {measured} (watch reads {watches})")


def test_cleanup_is_refused_until_the_job_is_done_then_removes_the_old_certificates_data_encryption_last(lab):
    first = rotate(lab)
    assert first.returncode == 0, dump(first)
    do_lcs_update_settings(lab, plan_document(first))
    assert rotate(lab).returncode == 0
    old = dict(cluster(lab).d365["old_config_template"])
    refused = rotate(lab, d365_service_fabric_cleanup=True)
    assert refused.returncode != 0 and "cleanup before the encrypted data rotation job is done" in failure_messages(refused)
    assert all(old["data_encryption"] in store(lab, host) for host in HOSTS)
    lab.clock.advance("+5d")
    before = len(lab.audit())
    cleaned = rotate(lab, d365_service_fabric_cleanup=True)
    assert cleaned.returncode == 0, dump(cleaned)
    assert all(not (set(old.values()) & store(lab, host)) for host in HOSTS)
    removed = [record for record in mutating(lab.audit()[before:]) if record["module"] == "ansible.windows.win_certificate_store"]
    assert removed and all(record["parameters"]["thumbprint"] == old["data_encryption"] for record in removed[-len(HOSTS):])
    if cluster(lab).layout == "thumbprint":
        security = cluster(lab).config["properties"]["security"]["CertificateInformation"]
        assert "ThumbprintSecondary" not in security["ClusterCertificate"]
        assert [entry["CertificateThumbprint"] for entry in security["ClientCertificateThumbprints"]] == [new_thumbprints(lab)["client"]]
    again = rotate(lab, d365_service_fabric_cleanup=True)
    assert again.returncode == 0 and plan_document(again)["cleanup"] == []
    assert lab.violations() == []


def files_text(directory) -> str:
    """Every file of the lab's state directory as text (state, audit, inventory)."""
    texts = []
    for root, _dirs, names in os.walk(directory):
        for name in names:
            with open(os.path.join(root, name), "rb") as handle:
                texts.append(handle.read().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_pfx_certificates_are_placed_on_every_node_with_key_access_before_the_rotation_and_no_secret_shows(lab, tmp_path):
    placing = new_certificates_as_pfx_files(lab, tmp_path)
    run = rotate(lab, **placing)
    assert run.returncode == 0, dump(run)
    document = plan_document(run)
    placed = [step for step in document["steps"] if step["phase"] == "place"]
    assert len(placed) == len(HOSTS) * 5 and {step["wave"] for step in placed} == {1}
    assert all(step["wave"] > 1 for step in document["steps"] if step["phase"] != "place")   # the rotation waits for every node
    for host in HOSTS:
        store = lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My")
        for thumbprint in new_thumbprints(lab).values():
            entry = store.get(thumbprint)
            assert entry is not None and entry.key_readable_by(SERVICE_ACCOUNT) and not entry.exportable, (host, thumbprint)
    assert calls_per_host(lab.audit()) == planned_executions(run)
    assert document["status"] == "manual_gate" and lab.violations() == []
    before = len(lab.audit())
    again = rotate(lab, **placing)
    assert again.returncode == 0 and mutating(lab.audit()[before:]) == [] and plan_document(again)["steps"] == []
    seen = run.stdout + run.stderr + again.stdout + again.stderr + files_text(lab.state_dir)
    assert [secret for secret in secrets_of(placing) if secret in seen] == []
    print(f"\n{cluster(lab).layout} with placement: executions per host {calls_per_host(lab.audit()[:before])}")


def as_contents(placing: dict) -> dict:
    """The same PFXs as an AWX credential injects them (extensions/awx/credential_types/certops_d365_pfx.yml): base64 text."""
    contents = {}
    for role, path in placing["d365_service_fabric_pfx_files"].items():
        with open(path, "rb") as handle:
            contents[role] = base64.b64encode(handle.read()).decode("ascii")
    return {**placing, "d365_service_fabric_pfx_files": {}, "d365_service_fabric_pfx_contents": contents}


def test_pfx_certificates_given_as_base64_contents_are_placed_and_never_show(lab, tmp_path):
    placing = as_contents(new_certificates_as_pfx_files(lab, tmp_path))
    checked = rotate(lab, check=True, **placing)
    assert checked.returncode == 0 and mutating(lab.audit()) == [], dump(checked)
    run = rotate(lab, **placing)
    assert run.returncode == 0 and plan_document(run)["status"] == "manual_gate" and lab.violations() == [], dump(run)
    assert all(lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").get(thumbprint) is not None
               for host in HOSTS for thumbprint in new_thumbprints(lab).values())
    seen = checked.stdout + run.stdout + run.stderr + files_text(lab.state_dir)
    assert [text[:80] for text in placing["d365_service_fabric_pfx_contents"].values() if text[:80] in seen] == []


def test_a_bad_pfx_content_is_refused_before_any_change_naming_the_role(lab, tmp_path):
    placing = as_contents(new_certificates_as_pfx_files(lab, tmp_path))
    placing["d365_service_fabric_pfx_contents"]["client"] = "bm90IGEgUEZY"
    run = rotate(lab, **placing)
    assert run.returncode != 0 and mutating(lab.audit()) == [] and "d365_service_fabric_pfx_contents.client" in failure_messages(run)


def test_one_role_given_as_a_file_and_as_content_is_refused(lab, tmp_path):
    placing = new_certificates_as_pfx_files(lab, tmp_path)
    both = {**placing, "d365_service_fabric_pfx_contents": as_contents(placing)["d365_service_fabric_pfx_contents"]}
    run = rotate(lab, **both)
    assert run.returncode != 0 and mutating(lab.audit()) == [] and "both give client" in failure_messages(run)
