# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the Workflow Manager + SharePoint rules (module_utils/_products/wfm_sharepoint*.py) on recorded states.

Each read below is what the read phase registers for a host: the normalised output of
wfm_host_get or sharepoint_trust_get (as produced by ``normalise`` from the scripts' output).
"""
from __future__ import annotations

import base64
import datetime
import json
import pathlib

import jsonschema
import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import wfm_sharepoint as rules
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW + datetime.timedelta(days=1)
URI = "https://wfm.contoso.test:12290/"
ACCOUNT = "CONTOSO\\svc-wfm"
PRINCIPAL = "00000005-0000-0000-c000-000000000000"
SCHEMA = json.loads((pathlib.Path(__file__).resolve().parents[5] / "docs" / "schemas" / "plan-v1.json").read_text(encoding="utf-8"))
OLD = factory.make_cert(common_name="wfm-old.contoso.test", slot="old")
NEW = factory.make_cert(common_name="wfm-new.contoso.test", slot="new")


def thumbprint(issued) -> str:
    return issued.cert.fingerprint(factory.hashes.SHA1()).hex().upper()


def b64(issued) -> str:
    return base64.b64encode(factory.der(issued.cert)).decode()


def wfm_output(certificates=(OLD,), references=None, readers=(ACCOUNT,), primary=True) -> dict:
    items = [{"Thumbprint": thumbprint(item), "Certificate": b64(item), "HasPrivateKey": True, "KeyReaders": list(readers)} for item in certificates]
    refs = [references if references is not None else {"Current": thumbprint(OLD), "Next": "", "Previous": ""}] if primary else []
    return {"ServiceUri": URI if primary else "", "References": refs, "Certificates": items}


def issuer(name, issued, rin=f"{PRINCIPAL}@*", number=1) -> dict:
    return {"Name": name, "Id": f"issuer-{number}", "RegisteredIssuerName": rin, "IsSelfIssuer": True, "MetadataEndPoint": "",
            "SigningCertificateThumbprint": thumbprint(issued), "SigningCertificate": b64(issued)}


def sharepoint_output(farm="farm-a", issuers=None, authorities=()) -> dict:
    return {"FarmId": farm, "Realm": "realm-a", "Issuers": issuers if issuers is not None else [issuer(PRINCIPAL, OLD)],
            "Authorities": [{"Name": name, "Id": f"root-{index}", "CertificateThumbprint": thumbprint(item), "Certificate": b64(item)}
                            for index, (name, item) in enumerate(authorities)]}


def read(role, **outputs) -> dict:
    return {"role": role, "state": {part: rules.normalise(part, output) for part, output in outputs.items()}}


def estate(wfm=None, sp=None) -> dict:
    """Reads of wfm01 (first Workflow Manager host), wfm02, sp01 and sp02 (one farm) unless overridden."""
    reads = {"wfm01": read("wfm_primary", wfm=wfm_output()), "wfm02": read("wfm", wfm=wfm_output(primary=False)),
             "sp01": read("sharepoint", sharepoint=sharepoint_output()), "sp02": read("sharepoint", sharepoint=sharepoint_output())}
    reads.update(wfm or {})
    reads.update(sp or {})
    return reads


def context(groups=None, play_hosts=None) -> dict:
    groups = groups or {"wfm": ["wfm01", "wfm02"], "sharepoint": ["sp01", "sp02"]}
    hosts = play_hosts if play_hosts is not None else [host for members in groups.values() for host in members]
    return {"groups": groups, "play_hosts": hosts, "now": NOW}


def params(tmp_path=None, **overrides) -> dict:
    values = {name: spec.get("default") for name, spec in rules.ARGUMENT_SPEC.items()}
    values.update(service_uri=URI, service_account=ACCOUNT, thumbprint=thumbprint(NEW))
    if tmp_path is not None:
        path = tmp_path / "new.pfx"
        path.write_bytes(factory.make_pfx(NEW))
        values.update(thumbprint=None, pfx_path=str(path), pfx_password=factory.PFX_PASSWORD)
    values.update(overrides)
    return values


def installed_everywhere(wfm=None, sp=None) -> dict:
    """The new certificate already in LocalMachine\\My of both Workflow Manager hosts (thumbprint mode)."""
    hosts = {"wfm01": read("wfm_primary", wfm=wfm_output((OLD, NEW))), "wfm02": read("wfm", wfm=wfm_output((OLD, NEW), primary=False))}
    return estate(wfm={**hosts, **(wfm or {})}, sp=sp)


def plan(reads=None, **overrides) -> dict:
    return rules.plan(params(**overrides), reads if reads is not None else installed_everywhere(), context()).to_dict()


def refusal(reads=None, ctx=None, **overrides) -> str:
    with pytest.raises(CertopsError) as caught:
        rules.plan(params(**overrides), reads if reads is not None else installed_everywhere(), ctx or context())
    return str(caught.value)


# --- hosts and reads ------------------------------------------------------------------------------
@pytest.mark.parametrize("host, role", [("wfm01", "wfm_primary"), ("wfm02", "wfm"), ("sp01", "sharepoint"), ("other", None)])
def test_host_role_follows_the_groups_and_the_first_workflow_manager_host_acts_for_the_farm(host, role):
    assert rules.host_role(host, params(), {"groups": context()["groups"]}) == role


def test_a_workflow_manager_host_that_is_also_a_sharepoint_server_plays_both_parts():
    groups = {"wfm": ["sp01"], "sharepoint": ["sp01"]}
    assert rules.host_role("sp01", params(), {"groups": groups}) == "wfm_primary+sharepoint"
    assert [part for part, _script, _parameters in rules.read_requests("wfm_primary+sharepoint", params())] == ["wfm", "sharepoint"]


def test_only_the_first_workflow_manager_host_reads_the_outbound_references():
    assert rules.read_requests("wfm_primary", params()) == [("wfm", "wfm_host_get", {"ServiceUri": URI})]
    assert rules.read_requests("wfm", params()) == [("wfm", "wfm_host_get", {"ServiceUri": None})]


# --- the plan -------------------------------------------------------------------------------------
def test_fresh_rotation_stages_then_trusts_in_every_farm_then_switches(tmp_path):
    document = rules.plan(params(tmp_path), estate(), context()).to_dict()
    assert [(step["id"], step["host"], step["wave"]) for step in document["steps"]] == [
        ("stage-wfm01", "wfm01", 1), ("stage-wfm02", "wfm02", 1), ("trust-root-farm1", "sp01", 1), ("trust-issuer-farm1", "sp01", 1),
        ("switch", "wfm01", 2)]
    assert document["steps"][0]["secrets"] == {"Pfx": "pfx", "PfxPassword": "pfx_password"}
    assert document["steps"][-1]["after"] == ["stage-wfm01", "stage-wfm02", "trust-root-farm1", "trust-issuer-farm1"]
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)) == []


def test_the_plan_document_holds_no_secret(tmp_path):
    document = json.dumps(rules.plan(params(tmp_path), estate(), context()).to_dict())
    assert factory.PFX_PASSWORD not in document and "PRIVATE KEY" not in document


def test_new_trust_is_created_beside_the_old_and_named_apart_when_the_name_is_taken():
    reads = installed_everywhere(sp={"sp01": read("sharepoint", sharepoint=sharepoint_output(
        issuers=[issuer("WorkflowManagerOutbound", OLD)], authorities=[("WorkflowManagerOutbound", OLD)]))})
    steps = {step["id"]: step for step in plan(reads)["steps"]}
    suffix = thumbprint(NEW)[:8]
    assert steps["trust-root-farm1"]["parameters"]["Name"] == f"WorkflowManagerOutbound-{suffix}"
    assert steps["trust-issuer-farm1"]["parameters"] == {
        "Operation": "New", "Name": f"WorkflowManagerOutbound-{suffix}", "Certificate": b64(NEW),
        "RegisteredIssuerName": f"{PRINCIPAL}@*", "IsSelfIssuer": True}


def test_every_farm_of_the_group_gets_its_trust_before_the_switch():
    reads = installed_everywhere(sp={"sp02": read("sharepoint", sharepoint=sharepoint_output(farm="farm-b"))})
    steps = plan(reads)["steps"]
    assert {step["host"] for step in steps if step["phase"] == "trust"} == {"sp01", "sp02"}
    switch = steps[-1]
    assert switch["id"] == "switch" and {"trust-issuer-farm1", "trust-issuer-farm2"} <= set(switch["after"])


def test_a_converged_rotation_plans_nothing_and_keeps_the_retired_certificate_for_cleanup():
    switched = {"Current": thumbprint(NEW), "Next": "", "Previous": thumbprint(OLD)}
    both = sharepoint_output(issuers=[issuer(PRINCIPAL, OLD), issuer("WorkflowManagerOutbound", NEW, number=2)],
                             authorities=[("WorkflowManager", OLD), ("WorkflowManagerOutbound", NEW)])
    reads = installed_everywhere(wfm={"wfm01": read("wfm_primary", wfm=wfm_output((OLD, NEW), references=switched)),
                                      "wfm02": read("wfm", wfm=wfm_output((OLD, NEW), primary=False))},
                                 sp={"sp01": read("sharepoint", sharepoint=both), "sp02": read("sharepoint", sharepoint=both)})
    document = plan(reads)
    assert (document["status"], document["steps"]) == ("converged", [])
    assert [step["id"] for step in document["cleanup"]] == [
        "remove-issuer-farm1-1", "remove-root-farm1-1", "remove-certificate-wfm01", "remove-certificate-wfm02"]
    assert document["inputs"]["retired_thumbprint"] == thumbprint(OLD)


def test_a_half_done_rotation_is_finished_without_switching_again():
    switched = {"Current": thumbprint(NEW), "Next": "", "Previous": thumbprint(OLD)}
    reads = installed_everywhere(wfm={"wfm01": read("wfm_primary", wfm=wfm_output((OLD, NEW), references=switched))},
                                 sp={"sp01": read("sharepoint", sharepoint=sharepoint_output(issuers=[issuer(PRINCIPAL, OLD),
                                                                                                      issuer("Wfm", NEW, number=2)])),
                                     "sp02": read("sharepoint", sharepoint=sharepoint_output(farm="farm-b"))})
    assert [(step["host"], step["action"]) for step in plan(reads, trust_root_authority=False)["steps"]] == [
        ("sp02", "create trusted security token issuer")]


def test_stage_grants_only_the_missing_key_access_without_the_pfx():
    reads = installed_everywhere(wfm={"wfm02": read("wfm", wfm=wfm_output((OLD, NEW), readers=("BUILTIN\\Administrators",), primary=False))})
    stage = [step for step in plan(reads)["steps"] if step["phase"] == "stage"]
    assert [(step["host"], step["parameters"]["Account"], step["secrets"]) for step in stage] == [("wfm02", [ACCOUNT], {})]


@pytest.mark.parametrize("stop_after, phases, verified", [
    ("stage", {"stage"}, {"new_certificate_with_key", "service_account_reads_key"}),
    ("trust", {"stage", "trust"}, {"new_certificate_with_key", "service_account_reads_key", "farm_trusts_new_certificate",
                                   "root_authority_for_new_certificate"}),
])
def test_stop_after_ends_the_plan_at_a_phase_and_verifies_only_that_far(tmp_path, stop_after, phases, verified):
    document = rules.plan(params(tmp_path, stop_after=stop_after), estate(), context()).to_dict()
    assert {step["phase"] for step in document["steps"]} == phases and document["cleanup"] == []
    assert set().union(*(facts.keys() for facts in document["expected"].values())) == verified


def test_expected_facts_name_every_workflow_manager_host_and_the_first_server_of_each_farm():
    expected = plan()["expected"]
    assert expected == {"wfm01": {"new_certificate_with_key": True, "service_account_reads_key": True, "outbound_current": thumbprint(NEW)},
                        "wfm02": {"new_certificate_with_key": True, "service_account_reads_key": True},
                        "sp01": {"farm_trusts_new_certificate": True, "root_authority_for_new_certificate": True}}


def test_facts_read_from_the_hosts_match_the_expectations_after_a_rotation():
    document = plan()
    switched = {"Current": thumbprint(NEW), "Next": "", "Previous": thumbprint(OLD)}
    wfm = {"wfm": rules.normalise("wfm", wfm_output((OLD, NEW), references=switched))}
    sharepoint = {"sharepoint": rules.normalise("sharepoint", sharepoint_output(issuers=[issuer("Wfm", NEW)], authorities=[("Wfm", NEW)]))}
    assert rules.facts("wfm_primary", wfm, document) == document["expected"]["wfm01"]
    assert rules.facts("sharepoint", sharepoint, document) == document["expected"]["sp01"]


def test_summary_and_next_actions_say_old_to_new_per_farm_and_what_cleanup_removes():
    document = plan()
    assert document["summary"][0] == f"Workflow Manager at {URI}: outbound certificate {thumbprint(OLD)} -> {thumbprint(NEW)}"
    assert document["summary"][1].startswith("SharePoint farm 1 (farm-a; sp01, sp02): trusts")
    assert "wfm_sharepoint_cleanup=true" in document["next"]["applied"] and document["next"]["check"].startswith("run without --check")


# --- gates ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, words", [
    ({"thumbprint": None}, "no new certificate given; set wfm_sharepoint_pfx_path"),
    ({"thumbprint": "  "}, "no new certificate given"),
    ({"thumbprint": "AB" * 19}, "has 38 hex digits, expected 40"),
    ({"thumbprint": "G" + "A" * 39}, "is not a hexadecimal digit"),
    ({"pfx_path": "/nonexistent/new.pfx"}, "give only one of them"),
    ({"registered_issuer_name": "workflow@*"}, "registered_issuer_name 'workflow@*' is not of the form"),
    ({"is_self_issuer": "perhaps"}, "wfm_sharepoint_is_self_issuer is 'perhaps': give true, false or leave it empty"),
    ({"service_account": " "}, "is not an account name"),
    ({"wfm_group": "wfm_typo"}, "inventory group 'wfm_typo' (wfm_sharepoint_wfm_group) is unknown or empty"),
    ({"sharepoint_group": "nope"}, "inventory group 'nope' (wfm_sharepoint_sharepoint_group) is unknown or empty"),
])
def test_bad_inputs_are_refused_before_any_host_is_trusted_with_them(overrides, words):
    assert words in refusal(**overrides)


def test_several_bad_inputs_are_refused_at_once():
    message = refusal(thumbprint="G" * 40, registered_issuer_name="x")
    assert message.count("preflight: ") == 2 and message.endswith("Nothing was changed.")


def test_a_pfx_that_cannot_sign_tokens_is_refused_with_every_reason(tmp_path):
    path = tmp_path / "weak.pfx"
    path.write_bytes(factory.make_pfx(factory.make_cert(key_size=1024, key_usage=("keyEncipherment",), slot="weak", days=10)))
    message = refusal(estate(), thumbprint=None, pfx_path=str(path), pfx_password=factory.PFX_PASSWORD)
    assert "cannot sign Workflow Manager's tokens" in message and "below the minimum of 2048" in message
    assert "needs the digitalSignature key usage" in message and "fewer than the required 30" in message


def test_hosts_left_out_of_the_play_are_refused():
    assert "sp02 belong to the Workflow Manager or SharePoint group but not to this play" in refusal(
        ctx=context(play_hosts=["wfm01", "wfm02", "sp01"]))


@pytest.mark.parametrize("read_result, words", [
    ({"role": "sharepoint", "read_error": "ConnectionError: refused", "unreachable_host": True},
     "sp02 is unreachable over WinRM (ConnectionError: refused)"),
    ({"unreachable": True, "msg": "timed out"}, "sp02 is unreachable over WinRM (timed out)"),
    ({"role": "sharepoint", "read_error": "certops script sharepoint_trust_get failed on the target: Cannot access the local farm."},
     "Fix: set wfm_sharepoint_sharepoint_become_user to the farm account"),
    ({"role": "sharepoint", "read_error": "something else broke"}, "sp02: something else broke"),
])
def test_a_host_that_could_not_be_read_is_refused_with_the_cause_and_fix(read_result, words):
    assert words in refusal(installed_everywhere(sp={"sp02": read_result}))


def test_workflow_manager_not_answering_at_the_service_uri_names_the_variable():
    reads = installed_everywhere(wfm={"wfm01": {"role": "wfm_primary", "read_error": "Unable to connect to the remote server"}})
    assert f"Workflow Manager did not answer at the service URI '{URI}' from wfm01" in refusal(reads)


def test_a_thumbprint_not_installed_with_its_key_on_every_workflow_manager_host_is_refused():
    reads = installed_everywhere(wfm={"wfm02": read("wfm", wfm=wfm_output((OLD,), primary=False))})
    assert f"certificate {thumbprint(NEW)} is not in LocalMachine\\My on wfm02 with its private key" in refusal(reads)


def test_a_farm_that_trusts_none_of_the_workflow_manager_certificates_is_refused():
    reads = installed_everywhere(sp={"sp02": read("sharepoint", sharepoint=sharepoint_output(farm="farm-b", issuers=[]))})
    assert "SharePoint farm 2 (farm-b; sp02) trusts none of this Workflow Manager farm's certificates" in refusal(reads)


def test_the_current_certificate_without_a_recorded_rotation_is_refused():
    reads = installed_everywhere(sp={"sp01": read("sharepoint", sharepoint=sharepoint_output(issuers=[issuer(PRINCIPAL, OLD)]))})
    assert f"certificate {thumbprint(OLD)} is already Workflow Manager's current outbound certificate" in refusal(reads, thumbprint=thumbprint(OLD))


def test_both_trust_names_taken_is_refused_before_any_change():
    taken = [issuer("Wfm", OLD), issuer(f"Wfm-{thumbprint(NEW)[:8]}", OLD, number=2)]
    reads = installed_everywhere(sp={"sp01": read("sharepoint", sharepoint=sharepoint_output(issuers=taken))})
    assert "are already used by other certificates: choose another name" in refusal(reads, issuer_name="Wfm")


# --- apply hooks ----------------------------------------------------------------------------------
def test_secret_inputs_read_the_pfx_again_and_refuse_one_that_changed_since_the_plan(tmp_path):
    values = params(tmp_path)
    document = rules.plan(values, estate(), context()).to_dict()
    secrets = rules.secret_inputs(values, document, document["steps"][:1])
    assert base64.b64decode(secrets["pfx"]) == (tmp_path / "new.pfx").read_bytes() and secrets["pfx_password"] == factory.PFX_PASSWORD
    (tmp_path / "new.pfx").write_bytes(factory.make_pfx(OLD))
    with pytest.raises(CertopsError, match="now holds certificate .* not .* as when the plan was made; plan again"):
        rules.secret_inputs(values, document, document["steps"][:1])


def test_step_problem_flags_an_import_without_key_access_and_a_switch_that_did_not_take():
    document = plan()
    stage = {"script": "windows_certificate_import", "parameters": {"Thumbprint": "AB", "Account": [ACCOUNT]}}
    assert rules.step_problem(stage, {"HasPrivateKey": True, "KeyReaders": [ACCOUNT]}) == ""
    assert "unreadable by CONTOSO\\svc-wfm" in rules.step_problem(stage, {"HasPrivateKey": True, "KeyReaders": []})
    switch = next(step for step in document["steps"] if step["id"] == "switch")
    references = [{"Current": thumbprint(OLD), "Next": "", "Previous": ""}]
    assert "still signing with" in rules.step_problem(switch, {"References": references})
