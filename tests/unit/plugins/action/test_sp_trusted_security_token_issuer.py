# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""sp_trusted_security_token_issuer action: recorded win_powershell replies replayed through a mocked
_execute_module, and runs through the lab's SharePoint twin."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.certops.microsoft.plugins.action import sp_trusted_security_token_issuer
from ansible_collections.certops.microsoft.tests.unit.plugins.action import trust_harness as lab

REALM = "8b9e1f4e-6c2a-4d1b-9f3e-2a7c5d0e1b44"
STAR = "00000005-0000-0000-c000-000000000000@*"
OLD, NEW, CA_ISSUED = lab.certificate("wfm-old"), lab.certificate("wfm-new"), lab.certificate("wfm-ca-issued", "Contoso Issuing CA")


def issuer(name, cert, registered=STAR, self_issuer=True, ident=None):
    return {"Name": name, "Id": ident or f"id-{name}", "RegisteredIssuerName": registered, "IsSelfIssuer": self_issuer,
            "MetadataEndPoint": "", "SigningCertificateThumbprint": lab.thumbprint(cert),
            "SigningCertificate": base64.b64encode(lab.der(cert)).decode()}


def get_reply(*issuers):
    return lab.win_powershell_reply([{"Realm": REALM, "Issuers": list(issuers)}])


def set_reply(operation, name="", cert=None, ident="", self_issuer=False):
    return lab.win_powershell_reply([{"Operation": operation, "Changed": True, "Name": name, "Id": ident,
                                      "RegisteredIssuerName": STAR if cert else "", "IsSelfIssuer": self_issuer,
                                      "SigningCertificateThumbprint": lab.thumbprint(cert) if cert else ""}], changed=True)


def run(monkeypatch, args, replies=None, **kwargs):
    return lab.run_action(monkeypatch, sp_trusted_security_token_issuer, args, replies, **kwargs)


def present(cert=NEW, name="wfm-new", **extra):
    return {"name": name, "certificate": lab.pem(cert), **extra}


def test_present_creates_an_issuer_beside_the_old_one(monkeypatch):
    replies = [get_reply(issuer("wfm-old", OLD)), set_reply("New", "wfm-new", NEW, "id-new", True)]
    result, calls = run(monkeypatch, present(), replies)
    assert lab.scripts_called(calls) == ["sharepoint_trust_get", "sp_trusted_security_token_issuer_set"]
    assert calls[1][1]["parameters"] == {"Operation": "New", "Name": "wfm-new", "Certificate": base64.b64encode(lab.der(NEW)).decode(),
                                         "RegisteredIssuerName": STAR, "IsSelfIssuer": True}
    assert result["changed"] is True
    assert [(entry["name"], entry["id"], entry["thumbprint"]) for entry in result["issuers"]] == [
        ("wfm-old", "id-wfm-old", lab.thumbprint(OLD)), ("wfm-new", "id-new", lab.thumbprint(NEW))]
    assert result["issuers"][1]["not_after"] == "2027-11-23T12:00:00Z" and result["realm"] == REALM


def test_present_is_idempotent_by_thumbprint_and_registered_issuer_name(monkeypatch):
    result, calls = run(monkeypatch, present(name="another-name"), [get_reply(issuer("wfm-old", OLD), issuer("wfm-new", NEW))])
    assert result["changed"] is False and len(calls) == 1
    assert result["diff"]["before"] == result["diff"]["after"]


def test_present_for_another_registered_issuer_name_creates_one(monkeypatch):
    realm_form = f"00000005-0000-0000-c000-000000000000@{REALM}"
    replies = [get_reply(issuer("wfm-new", NEW)), set_reply("New", "wfm-new-" + lab.thumbprint(NEW)[:8], NEW, "id-2")]
    calls = run(monkeypatch, present(registered_issuer_name=realm_form.upper()), replies)[1]
    assert calls[1][1]["parameters"]["RegisteredIssuerName"] == realm_form


def test_present_never_overwrites_an_issuer_of_the_same_name(monkeypatch):
    distinct = "wfm-" + lab.thumbprint(NEW)[:8]
    replies = [get_reply(issuer("wfm", OLD)), set_reply("New", distinct, NEW, "id-new")]
    result, calls = run(monkeypatch, present(name="WFM"), replies)
    assert calls[1][1]["parameters"]["Operation"] == "New" and calls[1][1]["parameters"]["Name"] == "WFM-" + lab.thumbprint(NEW)[:8]
    assert [entry["thumbprint"] for entry in result["issuers"]] == [lab.thumbprint(OLD), lab.thumbprint(NEW)]


@pytest.mark.parametrize("cert, expected", [(NEW, True), (CA_ISSUED, False)])
def test_is_self_issuer_is_decided_from_the_certificate_when_omitted(monkeypatch, cert, expected):
    calls = run(monkeypatch, present(cert), [get_reply(), set_reply("New", "wfm-new", cert, "id")])[1]
    assert calls[1][1]["parameters"]["IsSelfIssuer"] is expected


def test_explicit_is_self_issuer_overrides_the_certificate(monkeypatch):
    calls = run(monkeypatch, present(NEW, is_self_issuer=False), [get_reply(), set_reply("New", "wfm-new", NEW, "id")])[1]
    assert calls[1][1]["parameters"]["IsSelfIssuer"] is False


def test_explicit_is_self_issuer_updates_an_existing_issuer(monkeypatch):
    replies = [get_reply(issuer("wfm-new", NEW, self_issuer=True)), set_reply("Update", "wfm-new", NEW, "id-wfm-new", False)]
    result, calls = run(monkeypatch, present(is_self_issuer=False), replies)
    assert calls[1][1]["parameters"] == {"Operation": "Update", "Identity": "id-wfm-new", "IsSelfIssuer": False}
    assert result["changed"] is True and result["issuers"][0]["is_self_issuer"] is False


def test_other_server_to_server_issuers_are_neither_listed_nor_touched(monkeypatch):
    exchange = issuer("exchange", OLD, registered="00000002-0000-0ff1-ce00-000000000000@" + REALM)
    result, calls = run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(OLD)]}, [get_reply(exchange)])
    assert result["changed"] is False and result["issuers"] == [] and len(calls) == 1


def test_absent_removes_only_the_retired_certificates_issuers(monkeypatch):
    replies = [get_reply(issuer("wfm-old", OLD), issuer("wfm-new", NEW)), set_reply("Remove")]
    args = {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(OLD).lower()], "protected_thumbprints": [lab.thumbprint(NEW)]}
    result, calls = run(monkeypatch, args, replies)
    assert calls[1][1]["parameters"] == {"Operation": "Remove", "Identity": "id-wfm-old"}
    assert [entry["name"] for entry in result["issuers"]] == ["wfm-new"]
    assert result["diff"]["after"] == {"issuers": [{"name": "wfm-new", "thumbprint": lab.thumbprint(NEW), "registered_issuer_name": STAR,
                                                    "is_self_issuer": True}]}


@pytest.mark.parametrize("args", [
    {"state": "absent", "thumbprints_to_remove": [lab.thumbprint(NEW)], "protected_thumbprints": [lab.thumbprint(NEW).lower()]},
    {"state": "absent", "certificate": lab.pem(NEW), "protected_thumbprints": [lab.thumbprint(NEW)]},
])
def test_absent_of_a_protected_thumbprint_is_refused_before_any_script_call(monkeypatch, args):
    result, calls = run(monkeypatch, args, [])
    assert result["failed"] is True and calls == []
    assert result["msg"].startswith(f"refusing to remove the trusted security token issuer for {lab.thumbprint(NEW)}: that thumbprint is protected")


def test_check_mode_plans_without_any_mutating_call(monkeypatch):
    result, calls = run(monkeypatch, present(), [get_reply(issuer("wfm-old", OLD))], check_mode=True, host="sp01")
    assert lab.scripts_called(calls) == ["sharepoint_trust_get"]
    assert result["changed"] is True
    assert result["plan"] == [{"step": 1, "host": "sp01", "action": "create trusted security token issuer",
                               "detail": f"create 'wfm-new' for certificate {lab.thumbprint(NEW)} (CN=wfm-new), {STAR}, IsSelfIssuer=True"}]
    assert [entry["name"] for entry in result["diff"]["after"]["issuers"]] == ["wfm-old", "wfm-new"]
    assert result["issuers"][1]["id"] is None


def test_query_only_reads(monkeypatch):
    result, calls = run(monkeypatch, {"state": "query"}, [get_reply(issuer("wfm-old", OLD))])
    assert result["changed"] is False and len(calls) == 1 and result["issuers"][0]["subject"] == "CN=wfm-old"


def pfx(password):
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return base64.b64encode(pkcs12.serialize_key_and_certificates(b"wfm", lab.key("wfm-new"), NEW, None, encryption)).decode()


@pytest.mark.parametrize("certificate", [
    lab.pem(NEW) + lab.key_pem("wfm-new"),
    lab.key_pem("wfm-new"),
    pfx("Pfx-Secret-1"),
    pfx(None),
], ids=["pem-with-key", "key-only", "pfx-with-password", "pfx-without-password"])
def test_private_key_given_as_certificate_is_refused_before_any_script_call(monkeypatch, certificate):
    result, calls = run(monkeypatch, present() | {"certificate": certificate}, [])
    assert result["failed"] is True and calls == []
    assert result["msg"].startswith("option certificate holds a private key: give only the public certificate")
    assert "PRIVATE KEY" not in json.dumps(result)


@pytest.mark.parametrize("args, message", [
    ({"certificate": lab.pem(NEW) + lab.pem(OLD), "name": "x"}, "option certificate holds 2 certificates: give exactly one"),
    ({"certificate": "not a certificate!", "name": "x"}, "option certificate: the input is neither PEM nor base64"),
    ({"certificate": lab.pem(NEW)}, "state is present but all of the following are missing: name"),
    ({"state": "absent"}, "state is absent but any of the following are missing: certificate, thumbprints_to_remove"),
    ({"state": "absent", "thumbprints_to_remove": ["12AB"]}, "option thumbprints_to_remove: thumbprint '12AB' has 4 hex digits"),
    ({"name": "x", "certificate": lab.pem(NEW), "registered_issuer_name": "00000005@contoso"}, "registered_issuer_name '00000005@contoso' is not"),
])
def test_bad_inputs_are_refused_before_any_script_call(monkeypatch, args, message):
    result, calls = run(monkeypatch, args, [])
    assert result["failed"] is True and message in result["msg"] and calls == []


@pytest.mark.parametrize("hostile", lab.HOSTILE)
def test_hostile_names_reach_the_script_only_as_parameters(monkeypatch, hostile):
    calls = run(monkeypatch, present(name=hostile), [get_reply(), set_reply("New", hostile, NEW, "id")])[1]
    assert calls[1][1]["parameters"]["Name"] == hostile
    assert all(hostile not in args["script"] for args in lab.module_args(calls))


def test_set_reporting_another_certificate_fails_clearly(monkeypatch):
    result = run(monkeypatch, present(), [get_reply(), set_reply("New", "wfm-new", OLD, "id")])[0]
    assert result["failed"] is True
    assert result["msg"] == (f"SharePoint created trusted security token issuer 'wfm-new' but reports certificate {lab.thumbprint(OLD)} instead of "
                             f"{lab.thumbprint(NEW)}; check it with Get-SPTrustedSecurityTokenIssuer")


def test_sharepoint_reads_run_with_output_depth_four(monkeypatch):
    calls = run(monkeypatch, {"state": "query"}, [get_reply()])[1]
    assert calls[0][1]["depth"] == 4


def test_make_before_break_through_the_lab_twin(monkeypatch):
    estate = lab.lab_estate()
    executor, new = lab.lab_executor(estate, "sp01"), lab.certificate("new")
    old_tp, new_tp = lab.thumbprint(lab.certificate("old")), lab.thumbprint(new)
    assert run(monkeypatch, present(new, name="wfm-old"), executor=executor)[0]["changed"] is True
    assert run(monkeypatch, present(new, name="wfm-old"), executor=executor)[0]["changed"] is False
    farm = estate.products["sharepoint"]["sp"]
    assert farm.trusts_workflow_signer(old_tp) and farm.trusts_workflow_signer(new_tp)
    refused = run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [old_tp, new_tp], "protected_thumbprints": [new_tp]}, executor=executor)[0]
    assert refused["failed"] is True and farm.trusts_workflow_signer(old_tp)
    removed = run(monkeypatch, {"state": "absent", "thumbprints_to_remove": [old_tp], "protected_thumbprints": [new_tp]}, executor=executor)[0]
    assert removed["changed"] is True and not farm.trusts_workflow_signer(old_tp) and farm.trusts_workflow_signer(new_tp)


def test_docs_match_the_argument_spec():
    assert lab.doc_spec_mismatches("sp_trusted_security_token_issuer") == []
