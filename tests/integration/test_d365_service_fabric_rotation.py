# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The d365_service_fabric role end to end on the lab: check mode, the run to the LCS gate, the run after it,
the job, the second run, cleanup; thumbprint-based and common-name-based clusters."""
from __future__ import annotations

import pytest

from d365_service_fabric_lab import (HOSTS, ROLE_TASK, calls_per_host, cluster, do_lcs_update_settings, dump, failure_messages, mutating,
                                     new_thumbprints, plan_document, rotate, summary_lines, topology)

LAYOUTS = {"thumbprint": "d365_service_fabric.yml", "common_name": "d365_service_fabric_cn.yml"}


@pytest.fixture(name="lab", params=sorted(LAYOUTS))
def lab_fixture(lab_factory, request):
    return lab_factory(topology(LAYOUTS[request.param]))


def store(lab, host: str) -> set:
    return set(lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").entries)


def test_check_mode_changes_nothing_and_prints_the_whole_plan_with_the_manual_gate(lab, tmp_path):
    before = cluster(lab).to_dict()
    run = rotate(lab, tmp_path, check=True)
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
    assert calls_per_host(records) == {host: 3 if host == "orch01" else 1 for host in HOSTS}
    print(f"\nplan executions per host: {calls_per_host(records)}")


def test_real_run_reaches_the_gate_and_the_run_after_lcs_finishes_then_no_change(lab, tmp_path):
    new = new_thumbprints(lab)
    first = rotate(lab, tmp_path)
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
    gate_again = rotate(lab, tmp_path)
    assert gate_again.returncode == 0 and plan_document(gate_again)["status"] == "manual_gate"
    assert plan_document(gate_again)["steps"] == [] and mutating(lab.audit()[before:]) == []

    do_lcs_update_settings(lab, document)
    after_gate = rotate(lab, tmp_path)
    assert after_gate.returncode == 0, dump(after_gate)
    assert [step["id"] for step in plan_document(after_gate)["steps"]] == ["encrypted-data-rotation"]
    assert model.d365["database"]["flight_enabled"] == "1" and model.d365["database"]["rotation_enabled"] == "True"

    before = len(lab.audit())
    second = rotate(lab, tmp_path)
    assert second.returncode == 0, dump(second)
    assert plan_document(second)["status"] == "waiting" and mutating(lab.audit()[before:]) == []
    assert {host: second.stats[host]["changed"] for host in HOSTS} == dict.fromkeys(HOSTS, 0)
    assert lab.violations() == []


def test_cleanup_is_refused_until_the_job_is_done_then_removes_the_old_certificates_data_encryption_last(lab, tmp_path):
    first = rotate(lab, tmp_path)
    assert first.returncode == 0, dump(first)
    do_lcs_update_settings(lab, plan_document(first))
    assert rotate(lab, tmp_path).returncode == 0
    old = dict(cluster(lab).d365["old_config_template"])
    refused = rotate(lab, tmp_path, d365_service_fabric_cleanup=True)
    assert refused.returncode != 0 and "cleanup before the encrypted data rotation job is done" in failure_messages(refused)
    assert all(old["data_encryption"] in store(lab, host) for host in HOSTS)
    lab.clock.advance("+5d")
    before = len(lab.audit())
    cleaned = rotate(lab, tmp_path, d365_service_fabric_cleanup=True)
    assert cleaned.returncode == 0, dump(cleaned)
    assert all(not (set(old.values()) & store(lab, host)) for host in HOSTS)
    removed = [record for record in mutating(lab.audit()[before:]) if record["module"] == "ansible.windows.win_certificate_store"]
    assert removed and all(record["parameters"]["thumbprint"] == old["data_encryption"] for record in removed[-len(HOSTS):])
    if cluster(lab).layout == "thumbprint":
        security = cluster(lab).config["properties"]["security"]["CertificateInformation"]
        assert "ThumbprintSecondary" not in security["ClusterCertificate"]
        assert [entry["CertificateThumbprint"] for entry in security["ClientCertificateThumbprints"]] == [new_thumbprints(lab)["client"]]
    again = rotate(lab, tmp_path, d365_service_fabric_cleanup=True)
    assert again.returncode == 0 and plan_document(again)["cleanup"] == []
    assert lab.violations() == []
