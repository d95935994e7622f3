# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adfs_entra role with AD FS auto-rollover against the lab: Entra cannot reach the metadata, the promotion on the lab
clock, Entra polling for itself, and an emergency rotation."""
from __future__ import annotations

import pytest

from adfs_entra_lab import (DOMAINS, adfs_thumbprints, calls_per_host, dump, entra_holds, failure_messages, farm, graph_credential, mutating,
                            plan_document, primary_thumbprint, rotate, signins_work, task_result, topology)


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology("adfs_entra_auto.yml"))
    lab.credential = graph_credential(lab, tmp_path, form="pfx")
    lab.primary = primary_thumbprint(lab)
    lab.secondary = farm(lab).newest_secondary("Token-Signing").thumbprint
    return lab


def test_without_the_role_the_promotion_breaks_federated_sign_ins(estate):
    estate.clock.advance("+4d")
    assert estate.violations() and not signins_work(estate)


def test_metadata_unreachable_the_role_pushes_the_next_certificate_and_the_promotion_keeps_sign_ins_working(estate):
    run = rotate(estate, estate.credential)
    assert run.returncode == 0, dump(run)
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.primary, estate.secondary)] * 2
    summary = "\n".join(task_result(run, "Summary")["msg"])
    assert "push" in summary and "Entra cannot fetch the metadata" in summary and "Waiting until" in summary
    estate.clock.advance("+4d")                                  # AD FS promotes on its own schedule
    assert primary_thumbprint(estate) == estate.secondary and estate.violations() == [] and signins_work(estate)
    switched = rotate(estate, estate.credential)
    assert switched.returncode == 0, dump(switched)
    assert [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.secondary, estate.primary)] * 2
    audited = len(estate.audit())
    again = rotate(estate, estate.credential)
    assert again.returncode == 0 and mutating(estate.audit()[audited:]) == [] and plan_document(again)["status"] == "waiting"
    estate.clock.advance("+30d")                                 # the old certificate expires and AD FS drops it
    assert estate.violations() == [] and signins_work(estate)


def test_check_mode_prints_the_push_and_changes_nothing(estate):
    run = rotate(estate, estate.credential, check=True)
    assert run.returncode == 0, dump(run)
    assert mutating(estate.audit()) == [] and [entra_holds(estate, domain) for domain in DOMAINS] == [(estate.primary, "")] * 2
    assert calls_per_host(estate.audit()) == {"adfs01": 1, "adfs02": 1, "login": 1, "graph": 2}
    assert "2 step(s) in 1 wave(s)" in task_result(run, "Show the plan")["msg"][0]


def test_metadata_reachable_the_role_leaves_entra_to_poll_and_changes_nothing(lab_factory, tmp_path):
    data = topology("adfs_entra_auto.yml")
    data["products"]["adfs"][0]["metadata_reachable"] = True
    for domain in data["products"]["entra"]["domains"]:
        domain["update_result"] = "noNewCertificateFound"
    lab = lab_factory(data)
    run = rotate(lab, graph_credential(lab, tmp_path), adfs_entra_promotion_margin_days=1)   # promotion is 3 days away
    assert run.returncode == 0, dump(run)
    assert mutating(lab.audit()) == [] and plan_document(run)["status"] == "waiting"
    assert "Entra polls the farm's metadata daily" in "\n".join(task_result(run, "Summary")["msg"])
    lab.clock.advance("+4d")                                     # Entra polls daily, then AD FS promotes
    assert lab.violations() == [] and signins_work(lab)


def test_emergency_rotation_is_refused_without_the_flag_then_replaces_the_compromised_certificate(estate):
    refused = rotate(estate, estate.credential, adfs_entra_mode="emergency", adfs_entra_compromised_thumbprint=estate.primary)
    assert refused.returncode != 0 and "runs only when adfs_entra_emergency=true" in failure_messages(refused)
    assert mutating(estate.audit()) == []
    run = rotate(estate, estate.credential, adfs_entra_mode="emergency", adfs_entra_emergency=True, adfs_entra_compromised_thumbprint=estate.primary)
    assert run.returncode == 0, dump(run)
    new = adfs_thumbprints(estate)
    assert estate.primary not in new and len(new) == 2 and signins_work(estate)
    held = [entra_holds(estate, domain) for domain in DOMAINS]
    assert all(estate.primary not in pair and set(pair) == set(new) for pair in held)
    # The documented outage: between -Urgent and the Entra update, nothing after it.
    assert [record["call_id"] for record in estate.violations()] == ["adfs01#3", "adfs01#4", "graph#5"]
    audited = len(estate.audit())
    again = rotate(estate, estate.credential, adfs_entra_mode="emergency", adfs_entra_emergency=True, adfs_entra_compromised_thumbprint=estate.primary)
    assert again.returncode == 0 and mutating(estate.audit()[audited:]) == []
