# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the AD FS + Entra rules (module_utils/_products/adfs_entra*.py) on recorded states: reads, gates, verify, apply hooks.

Each read below is what the read phase registers for a node: the normalised output of
adfs_node_get (``normalise``) and, on the anchor node, the Graph read (``controller_read``'s
shape). test_adfs_entra_modes.py plans the modes on the same states.
"""
from __future__ import annotations

import ast
import base64
import json
import pathlib

import jsonschema
import pytest
import yaml

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra as rules
from ansible_collections.certops.microsoft.plugins.plugin_utils._rotation_action import PHASE_SPEC
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW
ACCOUNT = "CONTOSO\\gmsa-adfs$"
IDENTIFIER = "http://sts.contoso.test/adfs/services/trust"
TENANT = "7d5e4c4a-0c7e-4f55-9b0b-3f1c1e1a2b3c"
CLIENT = "6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10"
SECRET = "Graph-Client-Secret-Unit-4242"
REPO = pathlib.Path(__file__).resolve().parents[5]
SCHEMA = json.loads((REPO / "docs" / "schemas" / "plan-v1.json").read_text(encoding="utf-8"))
# Token certificates: the current ones expire in 40 days; AD FS-made ones are self-signed.
TS_OLD = factory.make_cert(common_name="ADFS Signing - sts.contoso.test", days=40, not_before_days=-325, key_usage=("digitalSignature",), slot="ts-old")
TS_NEXT = factory.make_cert(common_name="ADFS Signing 2 - sts.contoso.test", days=385, not_before_days=-1, key_usage=("digitalSignature",), slot="ts-next")
TS_NEW = factory.make_cert(common_name="ADFS Signing CA 2027 - sts.contoso.test", days=730, key_usage=("digitalSignature",), slot="ts-new")
TD_OLD = factory.make_cert(common_name="ADFS Encryption - sts.contoso.test", days=40, not_before_days=-325, key_usage=("keyEncipherment",), slot="td-old")
TD_NEW = factory.make_cert(common_name="ADFS Encryption CA 2027 - sts.contoso.test", days=730, key_usage=("keyEncipherment",), slot="td-new")
BOTH = factory.make_cert(common_name="ADFS Both 2027 - sts.contoso.test", days=730, slot="both")
NO_SIGNATURE = factory.make_cert(common_name="ADFS Signing bad - sts.contoso.test", days=730, key_usage=("keyEncipherment",), slot="bad")
DOMAINS = ("contoso.test", "fabrikam.test")


def thumbprint(issued) -> str:
    return issued.cert.fingerprint(factory.hashes.SHA1()).hex().upper()


def b64(issued) -> str:
    return base64.b64encode(factory.der(issued.cert)).decode()


# --- recorded states ------------------------------------------------------------------------------------
def adfs_certificate(issued, kind: str = "Token-Signing", primary: bool = True) -> dict:
    return {"CertificateType": kind, "Thumbprint": thumbprint(issued), "IsPrimary": primary, "Certificate": b64(issued)}


def store_item(issued, readers=(ACCOUNT,), has_key: bool = True) -> dict:
    return {"Thumbprint": thumbprint(issued), "Certificate": b64(issued), "HasPrivateKey": has_key, "KeyReaders": list(readers)}


def node_output(role="PrimaryComputer", certificates=None, auto=True, store=(), relying_parties=(), primary_name="") -> dict:
    properties = {"Identifier": IDENTIFIER, "HostName": "sts.contoso.test", "AutoCertificateRollover": auto, "CertificateGenerationThreshold": 20,
                  "CertificatePromotionThreshold": 5, "CertificateCriticalThreshold": 2, "CertificateDuration": 365,
                  "CertificateRolloverInterval": 720, "CertificateThresholdMultiplier": 1440}
    listed = certificates if certificates is not None else [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    parties = [{"Name": "Microsoft Office 365 Identity Platform", "Identifier": ["urn:federation:MicrosoftOnline"], "Enabled": True,
                "MonitoringEnabled": False, "MetadataUrl": ""}] + list(relying_parties)
    return {"ComputerName": "ADFS", "SyncRole": role, "PrimaryComputerName": primary_name, "ServiceAccount": ACCOUNT, "Properties": properties,
            "AdfsCertificates": listed, "RelyingParties": parties, "Certificates": list(store)}


def federation(signing=TS_OLD, upcoming=None, result="success", issuer=IDENTIFIER) -> dict:
    host = issuer.split("/")[2]
    return {"id": "fed-1", "issuerUri": issuer, "passiveSignInUri": f"https://{host}/adfs/ls/",
            "signingCertificate": b64(signing) if signing else None, "nextSigningCertificate": b64(upcoming) if upcoming else None,
            "signingCertificateUpdateStatus": {"certificateUpdateResult": result, "lastRunDateTime": "2026-11-22T00:00:00Z"}}


def entra_read(federations=None, roles=("Domain.Read.All", "Domain-InternalFederation.ReadWrite.All"), admins=("admin@contoso.onmicrosoft.com",)) -> dict:
    """What controller_read returns: every domain with its federation (federations: {domain: raw} of the federated ones)."""
    federations = federations if federations is not None else {name: federation() for name in DOMAINS}
    domains = [{"id": "contoso.onmicrosoft.com", "authentication_type": "Managed", "is_verified": True, "federation": None, "raw": None, "error": ""}]
    for name, raw in federations.items():
        domains.append({"id": name, "authentication_type": "Federated", "is_verified": True, "raw": raw, "error": "",
                        "federation": rules.graph.federation_state(raw)})
    return {"error": "", "roles": list(roles) if roles is not None else None, "domains": domains, "requests": 2,
            "global_admins": {"checked": True, "cloud_only": list(admins), "error": ""}}


def reads(primary=None, secondary=None, entra=None, anchor="adfs01") -> dict:
    states = {"adfs01": {"adfs": rules.normalise("adfs", primary or node_output())},
              "adfs02": {"adfs": rules.normalise("adfs", secondary or node_output("SecondaryComputer", primary_name="adfs01.contoso.test"))}}
    states[anchor]["entra"] = entra if entra is not None else entra_read()
    return {host: {"role": "adfs+entra" if host == anchor else "adfs", "state": state} for host, state in states.items()}


def params(**overrides) -> dict:
    values = {"mode": "auto", "adfs_group": "adfs", "primary": None, "domains": [], "signing_pfx_path": None, "signing_pfx_password": None,
              "signing_thumbprint": None, "decrypting_pfx_path": None, "decrypting_pfx_password": None, "decrypting_thumbprint": None,
              "min_days_remaining": 60, "policy": None, "key_exportable": False, "disable_auto_rollover": False, "emergency": False,
              "compromised_thumbprint": None, "metadata_reachable": "auto", "promotion_margin_days": 3, "relying_parties_ready": False,
              "metadata_consumers": [], "stop_after": "activate", "graph_tenant_id": TENANT, "graph_client_id": CLIENT,
              "graph_authority_host": "https://login.microsoftonline.com", "graph_endpoint": "https://graph.microsoft.com",
              "graph_certificate_path": None, "graph_certificate_thumbprint": None, "graph_certificate_password": None,
              "graph_client_secret": SECRET, "graph_ca_path": None, "graph_timeout": 30.0, "graph_retries": 3, "graph_max_retry_after": 60.0}
    values.update(overrides)
    return values


def context(hosts=("adfs01", "adfs02"), now=NOW) -> dict:
    return {"groups": {"adfs": list(hosts)}, "play_hosts": list(hosts), "now": now}


def plan(reads_=None, now=NOW, **overrides) -> dict:
    return rules.plan(params(**overrides), reads_ if reads_ is not None else reads(), context(now=now)).to_dict()


def refusal(reads_=None, **overrides) -> str:
    with pytest.raises(CertopsError) as caught:
        plan(reads_, **overrides)
    return str(caught.value)


def write_pfx(tmp_path, issued, name="new.pfx", password=factory.PFX_PASSWORD) -> str:
    path = tmp_path / name
    path.write_bytes(factory.make_pfx(issued, password=password))
    return str(path)


# --- hosts and reads --------------------------------------------------------------------------------------
def test_host_role_anchors_the_graph_read_on_the_given_primary_or_the_groups_first_node():
    variables = {"groups": {"adfs": ["adfs01", "adfs02"]}}
    assert [rules.host_role(host, params(), variables) for host in ("adfs01", "adfs02", "web01")] == ["adfs+entra", "adfs", None]
    assert rules.host_role("adfs02", params(primary="adfs02"), variables) == "adfs+entra"


def test_every_node_is_read_with_one_execution_of_adfs_node_get():
    assert rules.read_requests("adfs+entra", {}) == [("adfs", "adfs_node_get", {})]
    assert rules.read_requests("adfs", {}) == [("adfs", "adfs_node_get", {})]


def test_normalise_keeps_sync_role_properties_certificates_relying_parties_and_key_readers():
    state = rules.normalise("adfs", node_output(store=[store_item(TS_NEW, readers=("BUILTIN\\Administrators",))]))
    assert state["sync_role"] == "PrimaryComputer" and state["service_account"] == ACCOUNT
    assert state["properties"]["auto_rollover"] is True and state["properties"]["generation"] == 20
    assert [(item["type"], item["thumbprint"], item["primary"]) for item in state["certificates"]] == [
        ("Token-Signing", thumbprint(TS_OLD), True), ("Token-Decrypting", thumbprint(TD_OLD), True)]
    assert state["store"][thumbprint(TS_NEW)]["readers"] == ["BUILTIN\\Administrators"]
    assert state["relying_parties"][0]["identifiers"] == ["urn:federation:MicrosoftOnline"]


def test_controller_read_only_on_the_anchor_and_a_graph_failure_is_data_for_the_gates():
    assert rules.controller_read("adfs", params()) == {}
    failed = rules.controller_read("adfs+entra", params(graph_client_id="not-a-guid"))
    assert "adfs_entra_graph_client_id is 'not-a-guid'" in failed["entra"]["error"]


# --- gates: every refusal before any change ------------------------------------------------------------------
def test_unknown_group_is_refused():
    with pytest.raises(CertopsError, match="inventory group 'adfs' .* is unknown or empty"):
        rules.plan(params(), reads(), context(hosts=()))


def test_a_node_outside_the_play_is_refused():
    with pytest.raises(CertopsError, match="adfs02 belong to the AD FS group but not to this play"):
        rules.plan(params(), reads(), {"groups": {"adfs": ["adfs01", "adfs02"]}, "play_hosts": ["adfs01"], "now": NOW})


def test_an_unreachable_node_is_refused_with_its_transport_error():
    recorded = reads()
    recorded["adfs02"] = {"role": "adfs", "state": None, "read_error": "ConnectionError: refused", "unreachable_host": True}
    assert "adfs02 is unreachable over WinRM (ConnectionError: refused)" in refusal(recorded)


def test_a_host_without_adfs_is_refused():
    recorded = reads()
    error = "certops script adfs_node_get failed on the target: The term 'Get-AdfsSyncProperties' is not recognized as the name of a cmdlet"
    recorded["adfs02"] = {"role": "adfs", "state": None, "read_error": error}
    assert "adfs02 is not an AD FS server" in refusal(recorded)


def test_a_secondary_node_given_as_primary_is_refused_naming_the_primary():
    message = refusal(primary="adfs02")
    assert "adfs_entra_primary is adfs02, but adfs02 is a secondary node" in message and "its primary is adfs01.contoso.test" in message


def test_two_primary_nodes_are_refused():
    assert "found 2 primary nodes (adfs01, adfs02)" in refusal(reads(secondary=node_output()))


def test_a_primary_outside_the_group_is_refused():
    assert "adfs_entra_primary is 'adfs09', which is not in the AD FS group" in refusal(primary="adfs09")


def test_a_graph_read_error_is_refused_with_its_message():
    failed = {"error": "Microsoft Entra refused a token to app x: AADSTS7000215: Invalid client secret provided.", "roles": None, "domains": []}
    assert "Microsoft Graph could not be read: Microsoft Entra refused a token" in refusal(reads(entra=failed))


def test_a_graph_app_without_the_write_permission_is_refused():
    message = refusal(reads(entra=entra_read(roles=("Domain.Read.All",))))
    assert "has Domain.Read.All, not Domain-InternalFederation.ReadWrite.All: grant it that application permission" in message


@pytest.mark.parametrize("domains, words", [
    (["wrong.test"], "names wrong.test, which is not a domain of this tenant"),
    (["contoso.onmicrosoft.com"], "names contoso.onmicrosoft.com, which is Managed"),
    (["bad domain"], "'bad domain' is not a domain name"),
])
def test_a_wrong_domain_is_refused(domains, words):
    assert words in refusal(domains=domains)


def test_a_domain_federated_by_another_issuer_is_refused_when_named():
    recorded = reads(entra=entra_read({"contoso.test": federation(), "fabrikam.test": federation(issuer="http://sts.other.test/adfs/services/trust")}))
    assert "fabrikam.test, which is Federated by another issuer (http://sts.other.test/adfs/services/trust)" in refusal(recorded, domains=["fabrikam.test"])


def test_no_domain_federated_by_this_farm_is_refused():
    assert "no Entra domain is federated by this AD FS farm" in refusal(reads(entra=entra_read({})))


def test_ca_mode_without_a_new_certificate_is_refused():
    assert "adfs_entra_mode=ca rotates to CA-issued certificates: give adfs_entra_signing_pfx_path" in refusal(mode="ca")


def test_a_certificate_given_in_auto_mode_is_refused():
    assert "a new certificate is given (adfs_entra_signing_*) but adfs_entra_mode is auto" in refusal(signing_thumbprint=thumbprint(TS_NEW))


def test_ca_mode_on_an_auto_rollover_farm_is_refused_unless_it_may_be_turned_off():
    assert "set adfs_entra_disable_auto_rollover=true" in refusal(mode="ca", signing_thumbprint=thumbprint(TS_NEW))


def test_auto_mode_on_a_farm_without_auto_rollover_is_refused():
    recorded = reads(node_output(auto=False), node_output("SecondaryComputer", auto=False))
    assert "AutoCertificateRollover False, so adfs_entra_mode=auto" in refusal(recorded)


def test_emergency_without_the_emergency_flag_is_refused():
    assert "it runs only when adfs_entra_emergency=true" in refusal(mode="emergency", compromised_thumbprint=thumbprint(TS_OLD))


def test_emergency_without_the_compromised_thumbprint_is_refused():
    assert "needs adfs_entra_compromised_thumbprint" in refusal(mode="emergency", emergency=True)


def manual_farm(store=(), secondary_store=None) -> dict:
    certificates = [adfs_certificate(TS_OLD), adfs_certificate(TD_OLD, "Token-Decrypting")]
    return reads(node_output(auto=False, certificates=certificates, store=store),
                 node_output("SecondaryComputer", auto=False, certificates=certificates, store=store if secondary_store is None else secondary_store))


def test_a_signing_certificate_without_digital_signature_is_refused(tmp_path):
    message = refusal(manual_farm(), mode="ca", signing_pfx_path=write_pfx(tmp_path, NO_SIGNATURE), signing_pfx_password=factory.PFX_PASSWORD)
    assert "cannot be used by AD FS" in message and "needs the digitalSignature key usage" in message


def test_a_decrypting_certificate_without_key_encipherment_is_refused(tmp_path):
    message = refusal(manual_farm(), mode="ca", decrypting_pfx_path=write_pfx(tmp_path, TS_NEW), decrypting_pfx_password=factory.PFX_PASSWORD)
    assert "key usage keyEncipherment is required" in message


def test_a_wrong_pfx_password_is_refused(tmp_path):
    assert "the PFX password is wrong" in refusal(manual_farm(), mode="ca", signing_pfx_path=write_pfx(tmp_path, TS_NEW), signing_pfx_password="nope")


def test_a_signing_key_the_adfs_service_account_cannot_read_is_refused():
    recorded = manual_farm([store_item(TS_NEW)], [store_item(TS_NEW, readers=("BUILTIN\\Administrators",))])
    message = refusal(recorded, mode="ca", signing_thumbprint=thumbprint(TS_NEW))
    assert f"the token-signing certificate {thumbprint(TS_NEW)} on adfs02 has a private key that {ACCOUNT} cannot read" in message


def test_a_thumbprint_not_installed_is_refused():
    assert "is not in LocalMachine\\My on adfs01" in refusal(manual_farm(), mode="ca", signing_thumbprint=thumbprint(TS_NEW))


def test_the_same_certificate_for_signing_and_decrypting_is_refused():
    recorded = manual_farm([store_item(BOTH)])
    assert "name the same certificate" in refusal(recorded, mode="ca", signing_thumbprint=thumbprint(BOTH), decrypting_thumbprint=thumbprint(BOTH))


def test_the_current_decrypting_certificate_as_the_new_signing_one_is_refused():
    certificates = [adfs_certificate(TS_OLD), adfs_certificate(BOTH, "Token-Decrypting")]
    recorded = reads(node_output(auto=False, certificates=certificates, store=[store_item(BOTH)]),
                     node_output("SecondaryComputer", auto=False, certificates=certificates, store=[store_item(BOTH)]))
    assert "is AD FS's token-decrypting certificate" in refusal(recorded, mode="ca", signing_thumbprint=thumbprint(BOTH))


def test_graph_settings_are_refused_together_with_other_inputs():
    message = refusal(graph_authority_host="http://login", graph_client_secret=None, domains=["bad domain"])
    assert message.count("preflight:") == 3 and message.endswith("Nothing was changed.")
    assert "adfs_entra_graph_authority_host is 'http://login'" in message and "give exactly one Graph credential" in message


def test_a_missing_cloud_only_global_administrator_is_a_warning():
    document = plan(reads(entra=entra_read(admins=())))
    assert any("no cloud-only Global Administrator could be confirmed" in warning for warning in document["warnings"])
    assert not any("Global Administrator" in warning for warning in plan()["warnings"])


# --- the document, verify and apply hooks ---------------------------------------------------------------------
def test_the_plan_document_matches_the_schema_and_holds_no_secret():
    document = plan(graph_certificate_password="Pfx-Secret-Unit-99")
    jsonschema.validate(document, SCHEMA)
    assert SECRET not in json.dumps(document) and "Pfx-Secret-Unit-99" not in json.dumps(document)
    assert document["inputs"]["graph_client_id"] == CLIENT and "graph_client_secret" not in document["inputs"]


def test_graph_steps_name_the_secret_the_apply_phase_fills_in():
    document = plan(reads(entra=entra_read({name: federation(TS_NEXT) for name in DOMAINS})))
    step = next(step for step in document["steps"] if step["controller"])
    assert step["secrets"] == {"graph_client_secret": "graph_client_secret"}
    assert rules.secret_inputs(params(), document, [step]) == {"graph_client_secret": SECRET}
    with pytest.raises(CertopsError, match="give it to the apply task too"):
        rules.secret_inputs(params(graph_client_secret=None), document, [step])


def test_facts_of_a_rotated_farm_meet_the_expected_end_state():
    document = plan()
    rotated = entra_read({name: federation(TS_OLD, TS_NEXT) for name in DOMAINS})
    state = {"adfs": rules.normalise("adfs", node_output()), "entra": rotated}
    found = rules.facts("adfs_primary+entra", state, document)
    assert document["expected"]["adfs01"] and {name: found[name] for name in document["expected"]["adfs01"]} == document["expected"]["adfs01"]
    assert found["entra_trusts_adfs_signing@contoso.test"] is True and found["entra_next@contoso.test"] == thumbprint(TS_NEXT)
    assert found["entra_update_status@contoso.test"] == "success"


@pytest.mark.parametrize("operation, listed, problem", [
    ("Add", [], "does not list"),
    ("Promote", [{"CertificateType": "Token-Signing", "Thumbprint": "A" * 40, "IsPrimary": False}], "does not show"),
    ("Remove", [{"CertificateType": "Token-Signing", "Thumbprint": "A" * 40, "IsPrimary": False}], "still lists"),
    ("Add", [{"CertificateType": "Token-Signing", "Thumbprint": "A" * 40, "IsPrimary": False}], ""),
])
def test_a_certificate_step_is_checked_against_its_answer(operation, listed, problem):
    step = {"controller": "", "script": "adfs_certificate_set", "parameters": {"Operation": operation, "CertificateType": "Token-Signing",
                                                                               "Thumbprint": "A" * 40}}
    assert (problem in rules.step_problem(step, {"AdfsCertificates": listed})) if problem else rules.step_problem(step, {"AdfsCertificates": listed}) == ""


def test_an_entra_step_is_checked_against_the_federation_graph_returns():
    step = {"controller": "entra_federation_patch", "script": "", "parameters": {"domain": "contoso.test", "expect": {"signing": "A", "next": "B"}}}
    assert rules.step_problem(step, {"signing": "A", "next": "B"}) == ""
    assert rules.step_problem(step, {"signing": "A", "next": ""}) == "Graph shows contoso.test with next none instead of B"


def test_an_emergency_step_takes_its_certificates_from_the_answer_of_the_update_before_it():
    step = {"id": "entra-emergency-contoso.test", "parameters": {"body": {"from_step": "emergency-second"}, "expect": {"from_step": "emergency-second"}}}
    answer = {"AdfsCertificates": [adfs_certificate(TS_NEW), adfs_certificate(TS_NEXT, primary=False), adfs_certificate(TD_OLD, "Token-Decrypting")]}
    resolved = rules.resolve_step(step, {"emergency-second": answer})
    assert resolved["parameters"]["body"] == {"signingCertificate": b64(TS_NEW), "nextSigningCertificate": b64(TS_NEXT)}
    assert resolved["parameters"]["expect"] == {"signing": thumbprint(TS_NEW), "next": thumbprint(TS_NEXT)}
    with pytest.raises(CertopsError, match="needs the answer of step emergency-second"):
        rules.resolve_step(step, {})


# --- the module's documentation is its argument spec ------------------------------------------------------------
def test_module_documentation_lists_exactly_the_argument_spec():
    tree = ast.parse((REPO / "plugins" / "modules" / "adfs_entra_rotation.py").read_text(encoding="utf-8"))
    documentation = next(node.value.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION")
    options = yaml.safe_load(documentation)["options"]
    fragment = {"phase", "reads", "plan", "wave", "cleanup", "verified"}
    assert set(options) == set(rules.ARGUMENT_SPEC)
    assert set(PHASE_SPEC) >= fragment - {"verified"}
    for name, spec in rules.ARGUMENT_SPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        assert bool(spec.get("no_log")) == ("Never logged" in str(options[name]["description"])), name


def test_role_argument_specs_cover_every_option_with_the_role_prefix():
    specs = yaml.safe_load((REPO / "roles" / "adfs_entra" / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"]["options"]
    assert {f"adfs_entra_{name}" for name in rules.ARGUMENT_SPEC} <= set(options)
    assert all(options[f"adfs_entra_{name}"].get("no_log") for name, spec in rules.ARGUMENT_SPEC.items() if spec.get("no_log"))
