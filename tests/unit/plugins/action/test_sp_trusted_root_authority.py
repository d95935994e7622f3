# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sp_trusted_root_authority action: recorded win_powershell replies through a mocked _execute_module, and the lab twin."""
from __future__ import annotations

import base64

import pytest

from ansible_collections.certops.microsoft.plugins.action import sp_trusted_root_authority
from ansible_collections.certops.microsoft.tests.unit.plugins.action import trust_harness as lab

OLD, NEW, STS = lab.certificate("root-old"), lab.certificate("root-new"), lab.certificate("SharePoint Security Token Service")


def authority(name, cert):
    return {"Name": name, "Id": f"id-{name}", "CertificateThumbprint": lab.thumbprint(cert), "Certificate": base64.b64encode(lab.der(cert)).decode()}


def get_reply(*authorities):
    return lab.win_powershell_reply([{"Authorities": list(authorities)}])


def set_reply(operation, name="", cert=None, ident=""):
    return lab.win_powershell_reply([{"Operation": operation, "Changed": True, "Name": name, "Id": ident,
                                      "CertificateThumbprint": lab.thumbprint(cert) if cert else ""}], changed=True)


def run(monkeypatch, args, replies=None, **kwargs):
    return lab.run_action(monkeypatch, sp_trusted_root_authority, args, replies, **kwargs)


def present(cert=NEW, name="WorkflowManager"):
    return {"name": name, "certificate": base64.b64encode(lab.der(cert)).decode()}


def test_present_adds_a_trust_relationship_beside_the_old_one(monkeypatch):
    distinct = "WorkflowManager-" + lab.thumbprint(NEW)[:8]
    replies = [get_reply(authority("local", STS), authority("WorkflowManager", OLD)), set_reply("New", distinct, NEW, "id-new")]
    result, calls = run(monkeypatch, present(), replies)
    assert calls[1][1]["parameters"] == {"Operation": "New", "Name": distinct, "Certificate": base64.b64encode(lab.der(NEW)).decode()}
    assert [(entry["name"], entry["thumbprint"]) for entry in result["authorities"]] == [
        ("local", lab.thumbprint(STS)), ("WorkflowManager", lab.thumbprint(OLD)), (distinct, lab.thumbprint(NEW))]
    assert result["changed"] is True and "plan" not in result


def test_present_is_idempotent_by_thumbprint(monkeypatch):
    result, calls = run(monkeypatch, present(name="any"), [get_reply(authority("WorkflowManager", NEW))])
    assert result["changed"] is False and len(calls) == 1


def test_set_is_never_used_to_replace_a_certificate_in_place(monkeypatch):
    calls = run(monkeypatch, present(), [get_reply(authority("WorkflowManager", OLD)), set_reply("New", "x", NEW, "id")])[1]
    assert [args["parameters"]["Operation"] for args in lab.module_args(calls)[1:]] == ["New"]


def test_absent_removes_only_the_retired_certificate(monkeypatch):
    replies = [get_reply(authority("old", OLD), authority("new", NEW)), set_reply("Remove")]
    args = {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(OLD)], "protected_thumbprints": [lab.thumbprint(NEW)]}
    result, calls = run(monkeypatch, args, replies)
    assert calls[1][1]["parameters"] == {"Operation": "Remove", "Identity": "id-old"}
    assert [entry["name"] for entry in result["authorities"]] == ["new"]


def test_absent_of_a_protected_thumbprint_is_refused_before_any_script_call(monkeypatch):
    args = {"state": "absent", "certificate": present()["certificate"], "protected_thumbprints": [lab.thumbprint(NEW)]}
    result, calls = run(monkeypatch, args, [])
    assert result["failed"] is True and calls == []
    assert result["msg"].startswith(f"refusing to remove the trusted root authority for {lab.thumbprint(NEW)}: that thumbprint is protected")


def test_absent_never_removes_sharepoints_built_in_local_authority(monkeypatch):
    result, calls = run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(STS)]}, [get_reply(authority("local", STS))])
    assert result["failed"] is True and len(calls) == 1
    assert "refusing to remove SharePoint's built-in trusted root authority 'local'" in result["msg"]


def test_check_mode_plans_without_any_mutating_call(monkeypatch):
    result, calls = run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(OLD)]}, [get_reply(authority("old", OLD))],
                        check_mode=True, host="sp02")
    assert lab.scripts_called(calls) == ["sharepoint_trust_get"]
    assert result["plan"] == [{"step": 1, "host": "sp02", "action": "remove trusted root authority",
                               "detail": f"remove 'old' (certificate {lab.thumbprint(OLD)})"}]
    assert result["diff"] == {"before": {"authorities": [{"name": "old", "thumbprint": lab.thumbprint(OLD)}]}, "after": {"authorities": []}}


def test_private_key_given_as_certificate_is_refused_before_any_script_call(monkeypatch):
    result, calls = run(monkeypatch, {"name": "x", "certificate": lab.pem(NEW) + lab.key_pem("root-new")}, [])
    assert result["failed"] is True and calls == [] and "holds a private key" in result["msg"]


@pytest.mark.parametrize("hostile", lab.HOSTILE)
def test_hostile_names_reach_the_script_only_as_parameters(monkeypatch, hostile):
    calls = run(monkeypatch, present(name=hostile), [get_reply(), set_reply("New", hostile, NEW, "id")])[1]
    assert calls[1][1]["parameters"]["Name"] == hostile
    assert all(hostile not in args["script"] and args["depth"] == 4 for args in lab.module_args(calls))


def test_set_reporting_another_certificate_fails_clearly(monkeypatch):
    result = run(monkeypatch, present(), [get_reply(), set_reply("New", "WorkflowManager", None, "id")])[0]
    assert result["msg"] == (f"SharePoint created trusted root authority 'WorkflowManager' but reports certificate none instead of "
                             f"{lab.thumbprint(NEW)}; check it with Get-SPTrustedRootAuthority")


def test_present_and_absent_through_the_lab_twin(monkeypatch):
    estate = lab.lab_estate()
    executor, farm = lab.lab_executor(estate, "sp01"), estate.products["sharepoint"]["sp"]
    assert run(monkeypatch, present(), executor=executor)[0]["changed"] is True
    assert run(monkeypatch, present(), executor=executor)[0]["changed"] is False
    assert [root.thumbprint for root in farm.root_authorities] == [lab.thumbprint(NEW)]
    assert run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(NEW)]}, executor=executor)[0]["changed"] is True
    assert farm.root_authorities == []


def test_docs_match_the_argument_spec():
    assert lab.doc_spec_mismatches("sp_trusted_root_authority") == []
