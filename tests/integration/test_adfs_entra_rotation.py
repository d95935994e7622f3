# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adfs_entra role, CA-issued mode, against the lab over real WinRM and real HTTPS Graph: check mode, rotation, re-run,
cleanup, the snapshot, the relying-party gate and what each phase costs."""
from __future__ import annotations

import base64
import glob
import json
import os

import pytest

from adfs_entra_lab import (DOMAINS, NODES, PFX_PASSWORD, ROLE_TASK, adfs_thumbprints, calls_per_host, dump, entra_holds, failure_messages, farm,
                            graph_credential, mutating, plan_document, primary_thumbprint, rotate, signins_work, task_result, topology, write_pfx)


def installed_decrypting(lab) -> str:
    store = lab.instance.runtime.estate.hosts["adfs01"].store("LocalMachine", "My")
    return next(entry.thumbprint for entry in store.entries.values() if "2027" in entry.certificate.subject.rfc4514_string())


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology("adfs_entra_ca.yml"))
    lab.credential = graph_credential(lab, tmp_path)
    lab.pfx_path = str(tmp_path / "adfs signing (2027).pfx")
    lab.new_signing = write_pfx(lab.pfx_path)
    lab.new_decrypting = installed_decrypting(lab)
    lab.old_signing, lab.old_decrypting = primary_thumbprint(lab), primary_thumbprint(lab, "Token-Decrypting")
    lab.ca_vars = {"adfs_entra_mode": "ca", "adfs_entra_signing_pfx_path": lab.pfx_path, "adfs_entra_signing_pfx_password": PFX_PASSWORD,
                   "adfs_entra_decrypting_thumbprint": lab.new_decrypting, "adfs_entra_relying_parties_ready": True}
    return lab


def run_ca(lab, *args, check=False, **overrides):
    return rotate(lab, lab.credential, *args, check=check, **{**lab.ca_vars, **overrides})


def test_check_mode_changes_nothing_reads_each_node_once_graph_twice_and_prints_the_plan(estate):
    before = (farm(estate).to_dict(), [entra_holds(estate, domain) for domain in DOMAINS])
    run = run_ca(estate, check=True)
    assert run.returncode == 0, dump(run)
    records = estate.audit()
    assert mutating(records) == [] and (farm(estate).to_dict(), [entra_holds(estate, domain) for domain in DOMAINS]) == before
    assert calls_per_host(records) == {"adfs01": 1, "adfs02": 1, "login": 1, "graph": 2}
    printed = task_result(run, "Show the plan")["msg"]
    assert printed[0].startswith("certops plan (adfs_entra, plan v1") and "10 step(s) in 2 wave(s)" in printed[0]
    # Check mode stops at the plan: its closing lines come with it, and no Summary task runs.
    assert "Check mode: nothing was changed; 10 step(s) planned." in printed and not run.results(ROLE_TASK + "Summary")
    print(f"\nplan: executions {calls_per_host(records)}")


def test_ca_rotation_stages_adds_writes_next_promotes_and_switches_entra_without_a_failed_sign_in(estate):
    run = run_ca(estate)
    assert run.returncode == 0, dump(run)
    assert adfs_thumbprints(estate) == {estate.old_signing: False, estate.new_signing: True}
    assert adfs_thumbprints(estate, "Token-Decrypting") == {estate.old_decrypting: False, estate.new_decrypting: True}
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.new_signing, estate.old_signing)] * 2
    assert estate.violations() == [] and signins_work(estate)
    records = mutating(estate.audit())
    promoted = next(index for index, record in enumerate(records) if record["script"] == "adfs_certificate_set"
                    and record["parameters"]["parameters"] == {"Operation": "Promote", "CertificateType": "Token-Signing", "Thumbprint": estate.new_signing})
    staged = [index for index, record in enumerate(records) if record["host"] == "graph" and set(record["parameters"]["body"]) == {"nextSigningCertificate"}]
    switched = [index for index, record in enumerate(records) if record["host"] == "graph" and "signingCertificate" in record["parameters"]["body"]]
    assert len(staged) == len(switched) == 2 and max(staged) < promoted < min(switched)   # Entra's next before promotion, signing after
    records = estate.audit()
    assert calls_per_host(records) == {"adfs01": 7, "adfs02": 3, "login": 3, "graph": 8}
    print(f"\nrotation: executions {calls_per_host(records)}")


def test_a_second_run_reports_no_change(estate):
    assert run_ca(estate).returncode == 0
    before = len(estate.audit())
    run = run_ca(estate)
    assert run.returncode == 0, dump(run)
    assert {host: run.stats[host]["changed"] for host in NODES} == dict.fromkeys(NODES, 0)
    assert mutating(estate.audit()[before:]) == [] and plan_document(run)["status"] == "converged"
    print(f"\nre-run: executions {calls_per_host(estate.audit()[before:])}")


def test_cleanup_stops_entra_trusting_the_old_certificate_then_removes_it_from_adfs(estate):
    assert run_ca(estate).returncode == 0
    run = run_ca(estate, adfs_entra_cleanup=True)
    assert run.returncode == 0, dump(run)
    assert adfs_thumbprints(estate) == {estate.new_signing: True} and adfs_thumbprints(estate, "Token-Decrypting") == {estate.new_decrypting: True}
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.new_signing, "")] * 2
    assert estate.violations() == [] and signins_work(estate)


def test_cleanup_refuses_to_run_when_verify_is_skipped(estate):
    assert run_ca(estate).returncode == 0
    before, audited = farm(estate).to_dict(), len(estate.audit())
    run = run_ca(estate, "--skip-tags", "certops_verify", adfs_entra_cleanup=True)
    assert run.returncode != 0 and "cleanup runs only after verify" in failure_messages(run)
    assert farm(estate).to_dict() == before and mutating(estate.audit()[audited:]) == []


def test_a_snapshot_of_adfs_and_every_federation_is_written_before_the_first_change(estate):
    run = run_ca(estate)
    assert run.returncode == 0
    [path] = glob.glob(os.path.join(estate.state_dir, "..", "snapshots", "adfs-entra-*.json"))
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path, encoding="utf-8") as handle:
        snapshot = json.load(handle)
    primary = snapshot["reads"]["adfs01"]["state"]
    assert {item["thumbprint"] for item in primary["adfs"]["certificates"]} == {estate.old_signing, estate.old_decrypting}
    raw = {domain["id"]: domain["raw"] for domain in primary["entra"]["domains"] if domain["raw"]}
    assert sorted(raw) == sorted(DOMAINS) and all(item["nextSigningCertificate"] is None for item in raw.values())


def test_relying_parties_configured_by_hand_stop_the_run_before_promotion_with_the_certificate_to_give_them(estate):
    run = run_ca(estate, adfs_entra_relying_parties_ready=False)
    assert run.returncode == 0, dump(run)
    assert adfs_thumbprints(estate)[estate.new_signing] is False                       # added as secondary, not promoted
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.old_signing, estate.new_signing)] * 2
    summary = "\n".join(task_result(run, "Summary")["msg"])
    assert "Stopped at a manual step" in summary and "Payroll = https://payroll.lab.test/" in summary and estate.new_signing in summary
    assert run_ca(estate).returncode == 0 and adfs_thumbprints(estate)[estate.new_signing] is True and estate.violations() == []


def test_stop_after_stage_adds_the_secondary_and_stages_entra_only(estate):
    run = run_ca(estate, adfs_entra_stop_after="stage")
    assert run.returncode == 0, dump(run)
    assert adfs_thumbprints(estate) == {estate.old_signing: True, estate.new_signing: False}
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.old_signing, estate.new_signing)] * 2
    assert estate.violations() == [] and signins_work(estate)


def pfx_as_content(lab) -> dict:
    """The PFX as an AWX credential injects it (extensions/awx/credential_types/certops_adfs_pfx.yml): base64 text, no file."""
    with open(lab.pfx_path, "rb") as handle:
        content = base64.b64encode(handle.read()).decode("ascii")
    return {"adfs_entra_signing_pfx_path": "", "adfs_entra_signing_pfx_content": content}


def test_a_pfx_given_as_base64_content_rotates_and_never_shows(estate):
    content = pfx_as_content(estate)
    checked = run_ca(estate, check=True, **content)
    assert checked.returncode == 0 and mutating(estate.audit()) == [], dump(checked)
    run = run_ca(estate, **content)
    assert run.returncode == 0, dump(run)
    assert primary_thumbprint(estate) == estate.new_signing and estate.violations() == [] and signins_work(estate)
    secret = content["adfs_entra_signing_pfx_content"]
    assert secret[:40] not in checked.stdout + run.stdout + run.stderr + json.dumps(estate.audit())


def test_a_bad_pfx_content_is_refused_before_any_change_naming_the_variable(estate):
    run = run_ca(estate, adfs_entra_signing_pfx_path="", adfs_entra_signing_pfx_content="bm90IGEgUEZY")
    assert run.returncode != 0 and mutating(estate.audit()) == []
    assert "adfs_entra_signing_pfx_content" in failure_messages(run)


def test_a_pfx_path_and_content_together_are_refused(estate):
    run = run_ca(estate, **{**pfx_as_content(estate), "adfs_entra_signing_pfx_path": estate.pfx_path})
    assert run.returncode != 0 and mutating(estate.audit()) == []
    assert "adfs_entra_signing_pfx_path and adfs_entra_signing_pfx_content are set together" in failure_messages(run)
