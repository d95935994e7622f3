# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AD FS + Entra modes planned on recorded states: auto-rollover, CA-issued, emergency (adfs_entra_modes.py)."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.certops.microsoft.tests.unit.plugins.module_utils.products.test_adfs_entra import (
    ACCOUNT, DOMAINS, NOW, TD_NEW, TD_OLD, TS_NEW, TS_NEXT, TS_OLD, adfs_certificate, entra_read, factory, federation, node_output, plan, reads,
    store_item, thumbprint, write_pfx)


def actions(document) -> list:
    return [(step["host"], step["id"], step["wave"]) for step in document["steps"]]


def ids(document, part: str = "steps") -> list:
    return [step["id"] for step in document[part]]


def auto_reads(result="couldNotAccessRemoteHost", held=(TS_OLD, None), secondary=True) -> dict:
    """Auto-rollover mid-way: TS_OLD primary, TS_NEXT generated yesterday (promotion in 4 days) unless ``secondary`` is False."""
    certificates = [adfs_certificate(TS_OLD)] + ([adfs_certificate(TS_NEXT, primary=False)] if secondary else [])
    node = node_output(certificates=certificates)
    return reads(node, node_output("SecondaryComputer", certificates=certificates),
                 entra_read({name: federation(held[0], held[1], result) for name in DOMAINS}))


# --- auto-rollover -----------------------------------------------------------------------------------------
def test_auto_pushes_the_next_certificate_to_every_domain_when_entra_cannot_poll():
    document = plan(auto_reads())
    assert ids(document) == [f"entra-next-{name}" for name in DOMAINS]
    step = document["steps"][0]
    assert step["controller"] == "entra_federation_patch" and step["host"] == "adfs01"
    assert set(step["parameters"]["body"]) == {"nextSigningCertificate"}   # signingCertificate untouched
    assert step["parameters"]["expect"] == {"signing": thumbprint(TS_OLD), "next": thumbprint(TS_NEXT)}
    assert document["expected"]["adfs01"]["entra_next@contoso.test"] == thumbprint(TS_NEXT)
    assert [wait["id"] for wait in document["waits"]] == ["adfs-promotion"]


def test_auto_waits_for_entra_polling_when_the_metadata_is_reachable_and_promotion_is_far():
    document = plan(auto_reads(result="success"))
    assert document["steps"] == [] and document["status"] == "waiting"
    promotion = TS_NEXT.cert.not_valid_before_utc + datetime.timedelta(days=5)
    assert {wait["until"] for wait in document["waits"]} == {(promotion - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_auto_pushes_when_promotion_is_within_the_margin_even_if_entra_could_poll():
    assert ids(plan(auto_reads(result="success"), now=NOW + datetime.timedelta(days=2))) == [f"entra-next-{name}" for name in DOMAINS]


def test_auto_takes_the_users_word_on_metadata_reachability():
    assert plan(auto_reads(), metadata_reachable="true")["steps"] == []
    assert len(plan(auto_reads(result="success"), metadata_reachable=False)["steps"]) == 2


def test_auto_repairs_a_domain_that_does_not_trust_the_certificate_adfs_signs_with():
    document = plan(auto_reads(held=(TS_NEXT, None), secondary=False))
    assert ids(document) == [f"entra-repair-{name}" for name in DOMAINS]
    assert document["steps"][0]["parameters"]["expect"] == {"signing": thumbprint(TS_OLD), "next": ""}
    assert any("federated sign-ins to it fail now" in warning for warning in document["warnings"])


def test_auto_before_generation_waits_until_the_farm_generates_on_its_own_threshold():
    document = plan(auto_reads(result="success", secondary=False))
    generation = TS_OLD.cert.not_valid_after_utc - datetime.timedelta(days=20)
    assert document["steps"] == [] and [wait["until"] for wait in document["waits"]] == [generation.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert any(line.startswith(f"auto-rollover schedule of {thumbprint(TS_OLD)}") for line in document["summary"])


def test_auto_after_promotion_switches_the_signing_certificate_where_entra_cannot_poll():
    certificates = [adfs_certificate(TS_OLD, primary=False), adfs_certificate(TS_NEXT)]
    recorded = reads(node_output(certificates=certificates), node_output("SecondaryComputer", certificates=certificates),
                     entra_read({name: federation(TS_OLD, TS_NEXT, "couldNotAccessRemoteHost") for name in DOMAINS}))
    document = plan(recorded)
    assert ids(document) == [f"entra-signing-{name}" for name in DOMAINS]
    assert document["steps"][0]["parameters"]["expect"] == {"signing": thumbprint(TS_NEXT), "next": thumbprint(TS_OLD)}


def test_auto_lists_relying_parties_configured_by_hand_with_the_certificate_they_need_before_promotion():
    payroll = {"Name": "Payroll", "Identifier": ["https://payroll.contoso.test/"], "Enabled": True, "MonitoringEnabled": False, "MetadataUrl": ""}
    certificates = [adfs_certificate(TS_OLD), adfs_certificate(TS_NEXT, primary=False)]
    recorded = reads(node_output(certificates=certificates, relying_parties=[payroll]), node_output("SecondaryComputer", certificates=certificates),
                     entra_read({name: federation(TS_OLD, TS_NEXT) for name in DOMAINS}))
    warning = next(line for line in plan(recorded)["warnings"] if "configured by hand" in line)
    assert thumbprint(TS_NEXT) in warning and warning.endswith(": Payroll")
    assert not any("configured by hand" in line for line in plan(recorded, metadata_consumers=["Payroll"])["warnings"])


def test_auto_converged_state_plans_nothing():
    document = plan(auto_reads(held=(TS_OLD, TS_NEXT)))
    assert document["steps"] == [] and document["cleanup"] == []


# --- CA-issued ------------------------------------------------------------------------------------------------
def manual_reads(certificates=None, store=(), entra=None) -> dict:
    listed = certificates or [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    return reads(node_output(auto=False, certificates=listed, store=store), node_output("SecondaryComputer", auto=False, certificates=listed, store=store),
                 entra)


def ca_plan(tmp_path, recorded=None, **overrides) -> dict:
    pfx = write_pfx(tmp_path, TS_NEW)
    values = {"mode": "ca", "signing_pfx_path": pfx, "signing_pfx_password": factory.PFX_PASSWORD, "relying_parties_ready": True}
    values.update(overrides)
    return plan(recorded or manual_reads(), **values)


def test_ca_stages_adds_writes_next_promotes_then_switches_entra_in_that_order(tmp_path):
    document = ca_plan(tmp_path)
    assert actions(document) == [("adfs01", "stage-signing-adfs01", 1), ("adfs02", "stage-signing-adfs02", 1), ("adfs01", "add-signing", 2),
                                 ("adfs01", "entra-next-contoso.test", 2), ("adfs01", "entra-next-fabrikam.test", 2),
                                 ("adfs01", "promote-signing", 2), ("adfs01", "entra-signing-contoso.test", 2),
                                 ("adfs01", "entra-signing-fabrikam.test", 2)]
    steps = {step["id"]: step for step in document["steps"]}
    assert set(steps["entra-next-contoso.test"]["parameters"]["body"]) == {"nextSigningCertificate"}
    assert steps["promote-signing"]["after"] == ["stage-signing-adfs01", "stage-signing-adfs02", "add-signing", "entra-next-contoso.test",
                                                 "entra-next-fabrikam.test"]
    assert steps["entra-signing-contoso.test"]["parameters"]["expect"] == {"signing": thumbprint(TS_NEW), "next": thumbprint(TS_OLD)}
    assert steps["stage-signing-adfs01"]["parameters"]["Account"] == [ACCOUNT]
    assert steps["stage-signing-adfs01"]["secrets"] == {"Pfx": "signing_pfx", "PfxPassword": "signing_pfx_password"}


def test_ca_cleanup_stops_entra_trusting_the_old_certificate_before_adfs_removes_it(tmp_path):
    document = ca_plan(tmp_path)
    assert ids(document, "cleanup") == ["entra-clear-next-contoso.test", "entra-clear-next-fabrikam.test", "remove-signing"]
    assert all(step["irreversible"] for step in document["cleanup"])
    assert document["cleanup"][2]["parameters"] == {"Operation": "Remove", "CertificateType": "Token-Signing", "Thumbprint": thumbprint(TS_OLD)}


def test_ca_rerun_after_the_add_plans_only_what_is_missing(tmp_path):
    listed = [adfs_certificate(TS_OLD), adfs_certificate(TS_NEW, primary=False), adfs_certificate(TD_OLD, "Token-Decrypting")]
    entra = entra_read({"contoso.test": federation(TS_OLD, TS_NEW), "fabrikam.test": federation(TS_OLD)})
    document = ca_plan(tmp_path, manual_reads(listed, [store_item(TS_NEW)], entra))
    assert ids(document) == ["entra-next-fabrikam.test", "promote-signing", "entra-signing-contoso.test", "entra-signing-fabrikam.test"]


def test_ca_converged_farm_plans_nothing_and_keeps_the_retired_certificate_for_cleanup(tmp_path):
    listed = [adfs_certificate(TS_OLD, primary=False), adfs_certificate(TS_NEW), adfs_certificate(TD_OLD, "Token-Decrypting")]
    entra = entra_read({name: federation(TS_NEW, TS_OLD) for name in DOMAINS})
    document = ca_plan(tmp_path, manual_reads(listed, [store_item(TS_NEW)], entra))
    assert document["steps"] == [] and document["status"] == "converged"
    assert ids(document, "cleanup") == ["entra-clear-next-contoso.test", "entra-clear-next-fabrikam.test", "remove-signing"]


def test_ca_stop_after_stage_adds_and_stages_entra_but_does_not_promote(tmp_path):
    document = ca_plan(tmp_path, stop_after="stage")
    assert ids(document)[-1] == "entra-next-fabrikam.test" and "promote-signing" not in ids(document) and document["cleanup"] == []


def test_ca_relying_parties_configured_by_hand_stop_the_run_before_promotion(tmp_path):
    payroll = {"Name": "Payroll", "Identifier": ["https://payroll.contoso.test/"], "Enabled": True, "MonitoringEnabled": False, "MetadataUrl": ""}
    listed = [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    recorded = reads(node_output(auto=False, certificates=listed, relying_parties=[payroll]), node_output("SecondaryComputer", auto=False, certificates=listed))
    document = ca_plan(tmp_path, recorded, relying_parties_ready=False)
    assert "promote-signing" not in ids(document) and document["status"] == "manual_gate"
    values = document["manual_gates"][0]["values"]
    assert values["Payroll"] == "https://payroll.contoso.test/" and values["certificate thumbprint"] == thumbprint(TS_NEW)
    assert "promote-signing" in ids(ca_plan(tmp_path, recorded, relying_parties_ready=False, metadata_consumers=["payroll"]))


def test_ca_turns_auto_rollover_off_first_when_allowed(tmp_path):
    listed = [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    document = ca_plan(tmp_path, reads(node_output(certificates=listed), node_output("SecondaryComputer", certificates=listed)),
                       disable_auto_rollover=True)
    assert ids(document)[0] == "auto-rollover-off" and "auto-rollover-off" in document["steps"][ids(document).index("add-signing")]["after"]


def test_ca_decrypting_certificate_rotates_without_entra(tmp_path):
    listed = [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    document = plan(manual_reads(listed, [store_item(TD_NEW)]), mode="ca", decrypting_thumbprint=thumbprint(TD_NEW))
    assert ids(document) == ["add-decrypting", "promote-decrypting"] and ids(document, "cleanup") == ["remove-decrypting"]
    assert document["expected"]["adfs02"] == {"decrypting_key_usable": True}


# --- emergency ----------------------------------------------------------------------------------------------
def test_emergency_plans_two_updates_then_entra_from_their_answer():
    document = plan(mode="emergency", emergency=True, compromised_thumbprint=thumbprint(TS_OLD))
    assert ids(document) == ["emergency-urgent", "emergency-second", "entra-emergency-contoso.test", "entra-emergency-fabrikam.test"]
    assert document["steps"][0]["parameters"] == {"Operation": "Update", "CertificateType": "Token-Signing", "Urgent": True}
    assert document["steps"][2]["parameters"]["body"] == {"from_step": "emergency-second"}
    assert document["expected"]["adfs01"]["entra_trusts_compromised@contoso.test"] is False


def test_emergency_rerun_after_the_urgent_update_only_repairs_entra():
    certificates = [adfs_certificate(TS_NEW), adfs_certificate(TS_NEXT, primary=False)]
    recorded = reads(node_output(certificates=certificates), node_output("SecondaryComputer", certificates=certificates),
                     entra_read({"contoso.test": federation(TS_NEW, TS_NEXT), "fabrikam.test": federation(TS_OLD, TS_NEW)}))
    document = plan(recorded, mode="emergency", emergency=True, compromised_thumbprint=thumbprint(TS_OLD))
    assert ids(document) == ["entra-emergency-fabrikam.test"]
    assert document["steps"][0]["parameters"]["expect"] == {"signing": thumbprint(TS_NEW), "next": thumbprint(TS_NEXT)}


@pytest.mark.parametrize("mode", ["auto", "emergency"])
def test_plans_name_the_primary_node_as_the_host_of_every_graph_step(mode):
    extra = {"emergency": True, "compromised_thumbprint": thumbprint(TS_OLD)} if mode == "emergency" else {}
    document = plan(auto_reads(), mode=mode, **extra)
    assert {step["host"] for step in document["steps"] if step["controller"]} == {"adfs01"}
    assert document["hosts"] == {"adfs01": "adfs_primary+entra", "adfs02": "adfs"}
