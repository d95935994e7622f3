# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SharePoint farm model: issuers, root authorities, realm, and SharePoint's own failures."""
from __future__ import annotations

import base64
import pathlib

import pytest

from certops_lab import invariants
from certops_lab.contracts import CallContext, CmdletError
from certops_lab.products import workflow
from certops_lab.products.sharepoint import WORKFLOW_PRINCIPAL, SharePointFarm, default_realm, thumbprint_of
from certops_lab.estate_builder import build_estate
from certops_lab.pki import LabCA
from certops_lab.state import Estate
from certops_lab.topology import load_topology
from certops_lab.twins.scripts import lookup

from workflow_lab import SERVICE_URI, install, make_certificate, workflow_estate

DEMO_TOPOLOGY = pathlib.Path(__file__).resolve().parents[1] / "topologies" / "demo.yml"
WORKFLOW_INVARIANTS = ("sharepoint_trusts_wfm_signing_certificate", "wfm_current_outbound_certificate_on_every_host")
REALM = "5d5b9d5a-6c1e-4b0c-9d39-3c8f0b7f9a11"


@pytest.fixture(name="farm")
def farm_fixture():
    return SharePointFarm(name="sp", hosts=["sp01", "sp02"], realm=REALM, workflow_farm="wfm")


def test_new_issuer_with_duplicate_name_fails_as_sharepoint_does(farm):
    farm.new_issuer("wfm-2026", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    with pytest.raises(CmdletError, match='SPTrustedSecurityTokenService named "WFM-2026" already exists under the parent .*'
                       "Rename your object or delete the existing object"):
        farm.new_issuer("WFM-2026", make_certificate("b"), f"{WORKFLOW_PRINCIPAL}@*")
    assert len(farm.issuers) == 1


def test_new_root_authority_with_duplicate_name_fails_as_sharepoint_does(farm):
    farm.new_root_authority("WorkflowManager", make_certificate("a"))
    with pytest.raises(CmdletError, match='SPTrustedRootAuthority named "WorkflowManager" already exists'):
        farm.new_root_authority("WorkflowManager", make_certificate("b"))


@pytest.mark.parametrize("lookup", ["issuer", "remove_issuer", "root_authority", "remove_root_authority"])
def test_unknown_identity_fails_with_pipe_bind_message(farm, lookup):
    with pytest.raises(CmdletError, match="Cannot find an SPTrusted(SecurityTokenIssuer|RootAuthority) object with Id or Name: nope."):
        getattr(farm, lookup)("nope")


def test_issuer_found_by_name_or_id_case_insensitively(farm):
    issuer = farm.new_issuer("WFM", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    assert farm.issuer("wfm") is issuer
    assert farm.issuer(issuer.id.upper()) is issuer


@pytest.mark.parametrize("registered,trusted", [
    (f"{WORKFLOW_PRINCIPAL}@*", True),
    (f"{WORKFLOW_PRINCIPAL}@{REALM}", True),
    (f"{WORKFLOW_PRINCIPAL}@{REALM.upper()}", True),
    (f"{WORKFLOW_PRINCIPAL}@11111111-2222-3333-4444-555555555555", False),
    ("00000003-0000-0ff1-ce00-000000000000@*", False),
])
def test_trusts_workflow_signer_only_through_workflow_principal_in_its_realm(farm, registered, trusted):
    der = make_certificate("a")
    farm.new_issuer("issuer", der, registered)
    assert farm.trusts_workflow_signer(thumbprint_of(der)) is trusted


def test_trusts_workflow_signer_only_for_the_issuer_certificate(farm):
    farm.new_issuer("issuer", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*")
    assert not farm.trusts_workflow_signer(thumbprint_of(make_certificate("b")))


def test_old_and_new_issuer_both_trusted_during_switch(farm):
    old, new = make_certificate("old"), make_certificate("new")
    farm.new_issuer(WORKFLOW_PRINCIPAL, old, f"{WORKFLOW_PRINCIPAL}@*", True)
    farm.new_issuer("wfm-new", new, f"{WORKFLOW_PRINCIPAL}@*")
    assert farm.trusts_workflow_signer(thumbprint_of(old)) and farm.trusts_workflow_signer(thumbprint_of(new))
    farm.remove_issuer(WORKFLOW_PRINCIPAL)
    assert not farm.trusts_workflow_signer(thumbprint_of(old))


def test_farm_to_dict_round_trip(farm):
    farm.new_issuer("wfm", make_certificate("a"), f"{WORKFLOW_PRINCIPAL}@*", True)
    farm.new_root_authority("root", make_certificate("r"))
    again = SharePointFarm.from_dict(farm.to_dict())
    assert again.to_dict() == farm.to_dict()
    assert again.issuers[0].certificate == farm.issuers[0].certificate


def test_default_realm_is_stable_guid():
    assert default_realm("sp") == default_realm("sp") != default_realm("sp2")
    assert len(default_realm("sp")) == 36


@pytest.mark.parametrize("become_user", [None, "", "LAB\\someone"])
def test_farm_unreachable_without_become_as_farm_account(farm, become_user):
    farm.farm_account = "LAB\\sp-farm"
    with pytest.raises(CmdletError, match="Cannot access the local farm"):
        farm.check_database_access(become_user)


def test_farm_reachable_with_become_as_farm_account_or_without_farm_account(farm):
    farm.check_database_access(None)
    farm.farm_account = "LAB\\sp-farm"
    farm.check_database_access("lab\\SP-FARM")


# --- script twins -----------------------------------------------------------------------------------
def run(estate, name, parameters=None, host="sp01", check_mode=False, become_user=None):
    ctx = CallContext(host=host, check_mode=check_mode, become_user=become_user)
    return lookup(name)(estate, estate.hosts[host], parameters or {}, ctx)


def b64(label):
    return base64.b64encode(make_certificate(label)).decode()


def sp_farm(estate):
    return workflow.sharepoint_farms(estate)["sp"]


def test_trust_get_twin_returns_the_farm_and_its_issuers_and_authorities():
    estate = workflow_estate()
    issuer = sp_farm(estate).issuers[0]
    assert run(estate, "sharepoint_trust_get").output == [{"FarmId": sp_farm(estate).id, "Realm": sp_farm(estate).realm, "Issuers": [{
        "Name": WORKFLOW_PRINCIPAL, "Id": issuer.id, "RegisteredIssuerName": f"{WORKFLOW_PRINCIPAL}@*", "IsSelfIssuer": True,
        "MetadataEndPoint": "", "SigningCertificateThumbprint": thumbprint_of(make_certificate("old")), "SigningCertificate": b64("old")}],
        "Authorities": []}]


def test_farm_id_is_stable_per_farm_name_and_survives_serialisation():
    farm = sp_farm(workflow_estate())
    assert farm.id == sp_farm(workflow_estate()).id and type(farm).from_dict(farm.to_dict()).id == farm.id


def test_issuer_set_twin_new_creates_issuer_with_is_self_issuer():
    estate = workflow_estate()
    outcome = run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": "wfm-2026", "Certificate": b64("new"),
                                                                   "RegisteredIssuerName": WORKFLOW_PRINCIPAL + "@*", "IsSelfIssuer": False})
    created = sp_farm(estate).issuer("wfm-2026")
    assert outcome.changed is True
    assert outcome.output == [{"Operation": "New", "Changed": True, "Name": "wfm-2026", "Id": created.id,
                               "RegisteredIssuerName": f"{WORKFLOW_PRINCIPAL}@*", "IsSelfIssuer": False,
                               "SigningCertificateThumbprint": thumbprint_of(make_certificate("new"))}]


def test_issuer_set_twin_update_and_remove():
    estate = workflow_estate()
    run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "Update", "Identity": WORKFLOW_PRINCIPAL, "IsSelfIssuer": False})
    assert sp_farm(estate).issuer(WORKFLOW_PRINCIPAL).is_self_issuer is False
    outcome = run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "Remove", "Identity": WORKFLOW_PRINCIPAL})
    assert sp_farm(estate).issuers == [] and outcome.output[0]["Name"] == "" and outcome.changed is True


@pytest.mark.parametrize("name,parameters", [
    ("sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": "x", "Certificate": b64("new"), "RegisteredIssuerName": "y"}),
    ("sp_trusted_security_token_issuer_set", {"Operation": "Remove", "Identity": WORKFLOW_PRINCIPAL}),
    ("sp_trusted_root_authority_set", {"Operation": "New", "Name": "root", "Certificate": b64("root")}),
])
def test_set_twins_in_check_mode_change_nothing(name, parameters):
    estate = workflow_estate()
    before = estate.to_dict()
    outcome = run(estate, name, parameters, check_mode=True)
    assert estate.to_dict() == before
    assert outcome.changed is False and outcome.output[0]["Changed"] is False and outcome.output[0]["Name"] == ""


def test_issuer_set_twin_new_with_duplicate_name_fails():
    estate = workflow_estate()
    with pytest.raises(CmdletError, match="already exists"):
        run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": WORKFLOW_PRINCIPAL, "Certificate": b64("new"),
                                                             "RegisteredIssuerName": WORKFLOW_PRINCIPAL + "@*"})


@pytest.mark.parametrize("certificate,message", [
    ("not base64!", 'Exception calling "FromBase64String"'),
    (base64.b64encode(b"not a certificate").decode(), 'Exception calling ".ctor" with "1" argument\\(s\\): "Cannot find the requested object."'),
])
def test_issuer_set_twin_refuses_bad_certificate_bytes(certificate, message):
    with pytest.raises(CmdletError, match=message):
        run(workflow_estate(), "sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": "x", "Certificate": certificate,
                                                                        "RegisteredIssuerName": WORKFLOW_PRINCIPAL + "@*"})


def test_issuer_set_twin_refuses_text_for_is_self_issuer_as_bool_binding_does():
    with pytest.raises(CmdletError, match="Cannot process argument transformation on parameter 'IsSelfIssuer'"):
        run(workflow_estate(), "sp_trusted_security_token_issuer_set", {"Operation": "Update", "Identity": WORKFLOW_PRINCIPAL, "IsSelfIssuer": "false"})


@pytest.mark.parametrize("name", ["sp_trusted_security_token_issuer_set", "sp_trusted_root_authority_set"])
def test_set_twins_validate_operation_as_validateset_does(name):
    with pytest.raises(CmdletError, match="Cannot validate argument on parameter 'Operation'"):
        run(workflow_estate(), name, {"Operation": "Delete"})


def test_sharepoint_twin_on_a_host_without_sharepoint_fails():
    with pytest.raises(CmdletError, match="The term 'Get-SPTrustedSecurityTokenIssuer' is not recognized"):
        run(workflow_estate(), "sharepoint_trust_get", host="wfm01")


def test_sharepoint_twin_without_become_as_farm_account_fails_like_double_hop():
    estate = workflow_estate()
    sp_farm(estate).farm_account = "LAB\\sp-farm"
    with pytest.raises(CmdletError, match="Cannot access the local farm"):
        run(estate, "sharepoint_trust_get")
    assert run(estate, "sharepoint_trust_get", become_user="LAB\\sp-farm").output[0]["Authorities"] == []


def test_root_authority_twins_new_set_get_remove():
    estate = workflow_estate()
    created = run(estate, "sp_trusted_root_authority_set", {"Operation": "New", "Name": "WorkflowManager", "Certificate": b64("root")})
    assert created.output[0]["CertificateThumbprint"] == thumbprint_of(make_certificate("root"))
    run(estate, "sp_trusted_root_authority_set", {"Operation": "Set", "Identity": "workflowmanager", "Certificate": b64("root2")})
    listed = run(estate, "sharepoint_trust_get").output[0]["Authorities"]
    assert [(item["Name"], item["CertificateThumbprint"], item["Certificate"]) for item in listed] == [
        ("WorkflowManager", thumbprint_of(make_certificate("root2")), b64("root2"))]
    run(estate, "sp_trusted_root_authority_set", {"Operation": "Remove", "Identity": created.output[0]["Id"]})
    assert sp_farm(estate).root_authorities == []


# --- probe and invariant: WFM's signing certificate is trusted by SharePoint ------------------------
def switch_wfm(estate, label="new"):
    thumbprint = [install(estate.hosts[name], label) for name in ("wfm01", "wfm02")][0]
    run(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": thumbprint}, host="wfm01")
    return thumbprint


def test_workflow_probe_gets_200_while_sharepoint_trusts_the_signer():
    estate = workflow_estate()
    assert workflow.workflow_probe(estate, "sp")["status"] == 200


def test_seed_order_leaves_window_with_401_invalid_jwt_and_a_violation():
    estate = workflow_estate()
    new = switch_wfm(estate)
    probe = workflow.workflow_probe(estate, "sp")
    assert probe["status"] == 401 and probe["body"]["error_description"] == "Invalid JWT token. Could not resolve issuer token."
    assert workflow.untrusted_workflow_signers(estate) == [
        f"SharePoint farm sp has no issuer for {WORKFLOW_PRINCIPAL}@{sp_farm(estate).realm} or @* with certificate {new}, which Workflow "
        'Manager farm wfm signs with: workflows would fail with HTTP 401 "Invalid JWT token"']


def test_make_before_break_order_never_violates():
    estate = workflow_estate()
    steps = [
        lambda: run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": "wfm-new", "Certificate": b64("new"),
                                                                     "RegisteredIssuerName": WORKFLOW_PRINCIPAL + "@" + sp_farm(estate).realm}),
        lambda: switch_wfm(estate),
        lambda: run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "Remove", "Identity": WORKFLOW_PRINCIPAL}),
    ]
    for step in steps:
        step()
        assert workflow.untrusted_workflow_signers(estate) == [] and workflow.unusable_current_outbound(estate) == []
        assert workflow.workflow_probe(estate, "sp")["status"] == 200


def test_removing_the_trusted_issuer_first_violates_invariant():
    estate = workflow_estate()
    run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "Remove", "Identity": WORKFLOW_PRINCIPAL})
    assert len(workflow.untrusted_workflow_signers(estate)) == 1


# --- topology hook --------------------------------------------------------------------------------
def wfm_section(estate):
    return [{"name": "wfm", "service_uri": SERVICE_URI, "hosts": ["wfm01"], "service_account": "LAB\\svc-wfm",
             "outbound_certificate": workflow.wfm_farms(estate)["wfm"].current}]


def test_from_topology_builds_declared_issuers_and_root_authorities():
    estate = workflow_estate()
    root = install(estate.hosts["sp01"], "root", key=False)
    sharepoint = {"name": "sp", "hosts": ["sp01"], "workflow_farm": "wfm", "realm": REALM, "farm_account": "LAB\\sp-farm",
                  "issuers": [{"name": "custom", "certificate": root, "registered_issuer_name": f"{WORKFLOW_PRINCIPAL}@{REALM}"}],
                  "root_authorities": [{"name": "WorkflowManager", "certificate": root}]}
    workflow.from_topology({"wfm": wfm_section(estate), "sharepoint": [sharepoint]}, estate)
    farm = sp_farm(estate)
    assert (farm.realm, farm.farm_account) == (REALM, "LAB\\sp-farm")
    assert [(item.name, item.thumbprint, item.is_self_issuer) for item in farm.issuers] == [("custom", root, False)]
    assert [(item.name, item.thumbprint) for item in farm.root_authorities] == [("WorkflowManager", root)]


@pytest.mark.parametrize("entry,message", [
    ({"name": "sp", "hosts": ["sp01"]}, "products.sharepoint 'sp' lacks workflow_farm"),
    ({"name": "sp", "hosts": ["nope"], "workflow_farm": "wfm"}, "products.sharepoint 'sp': unknown hosts nope"),
    ({"name": "sp", "hosts": ["sp01"], "workflow_farm": "other"}, "workflow_farm 'other' is not a products.wfm farm"),
    ({"name": "sp", "hosts": ["sp01"], "workflow_farm": "wfm", "issuers": [{"name": "x", "certificate": "C" * 40}]},
     "certificate CCCC.* is in no host's certificate store"),
])
def test_from_topology_refuses_bad_sharepoint_entry(entry, message):
    estate = workflow_estate()
    with pytest.raises(ValueError, match=message):
        workflow.from_topology({"wfm": wfm_section(estate), "sharepoint": [entry]}, estate)


def test_estate_round_trip_keeps_sharepoint_farm():
    estate = workflow_estate()
    run(estate, "sp_trusted_root_authority_set", {"Operation": "New", "Name": "WorkflowManager", "Certificate": b64("root")})
    again = Estate.from_dict(estate.to_dict())
    assert again.to_dict() == estate.to_dict()
    assert workflow.workflow_probe(again, "sp")["status"] == 200


def test_demo_topology_builds_farms_that_trust_each_other():
    estate = build_estate(load_topology(str(DEMO_TOPOLOGY)), LabCA.create())
    assert workflow.wfm_farms(estate)["wfm"].current in {entry.thumbprint for entry in estate.hosts["wfm01"].all_certificates()}
    assert set(WORKFLOW_INVARIANTS) <= set(invariants.registered())
    assert workflow.workflow_probe(estate, "sp")["status"] == 200
    assert [violation for violation in invariants.check_all(estate) if violation.invariant in WORKFLOW_INVARIANTS] == []
