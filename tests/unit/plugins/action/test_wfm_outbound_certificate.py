# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wfm_outbound_certificate action: recorded win_powershell replies replayed through a mocked _execute_module,
and a few runs through the lab's Workflow Manager twin."""
from __future__ import annotations

import json

import pytest

from ansible_collections.certops.microsoft.plugins.action import wfm_outbound_certificate
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._outbound_references import outbound_references
from ansible_collections.certops.microsoft.tests.unit.plugins.action import trust_harness as lab

OLD = "D3F6D2BF29FAEFC904FBBFA9B51E54525F5F3AFD"
NEW = "940C4164DE09313C87F04777F46164DD1B2821E6"
URI = "https://wfm.contoso.test:12290/"


def references_reply(current, next_="", previous="", service_uri=URI):
    return lab.win_powershell_reply([{"ServiceUri": service_uri, "References": [{"Current": current, "Next": next_, "Previous": previous}]}])


def run(monkeypatch, args, replies=None, **kwargs):
    return lab.run_action(monkeypatch, wfm_outbound_certificate, args, replies, **kwargs)


def test_read_only_without_thumbprint_returns_the_references(monkeypatch):
    result, calls = run(monkeypatch, {"service_uri": URI}, [references_reply(OLD, previous=NEW)])
    assert (result["changed"], result["current_thumbprint"], result["next_thumbprint"], result["previous_thumbprint"]) == (False, OLD, "", NEW)
    assert lab.scripts_called(calls) == ["wfm_host_get"]
    assert calls[0][1]["parameters"] == {"ServiceUri": URI}


def test_no_change_when_the_thumbprint_is_already_current(monkeypatch):
    result, calls = run(monkeypatch, {"service_uri": URI, "thumbprint": OLD.lower()}, [references_reply(OLD)])
    assert result["changed"] is False and "failed" not in result
    assert result["diff"] == {"before": {"current_thumbprint": OLD}, "after": {"current_thumbprint": OLD}}
    assert lab.scripts_called(calls) == ["wfm_host_get"]


def test_switch_runs_one_set_and_verifies_its_reread(monkeypatch):
    replies = [references_reply(OLD), references_reply(NEW, previous=OLD)]
    result, calls = run(monkeypatch, {"service_uri": URI, "thumbprint": " ".join(NEW[i:i + 2] for i in range(0, 40, 2))}, replies)
    assert lab.scripts_called(calls) == ["wfm_host_get", "wfm_outbound_certificate_set"]
    assert calls[1][1]["parameters"] == {"ServiceUri": URI, "Thumbprint": NEW}
    assert (result["changed"], result["current_thumbprint"], result["previous_thumbprint"]) == (True, NEW, OLD)
    assert result["diff"] == {"before": {"current_thumbprint": OLD}, "after": {"current_thumbprint": NEW}}
    assert "plan" not in result


def test_verify_failure_when_the_reread_still_shows_the_old_certificate(monkeypatch):
    replies = [references_reply(OLD), references_reply(OLD, next_=NEW)]
    result = run(monkeypatch, {"service_uri": URI, "thumbprint": NEW}, replies)[0]
    assert result["failed"] is True
    assert result["msg"].startswith(f"Workflow Manager at {URI} still reports outbound certificate {OLD} as current after the switch to {NEW}")
    assert f"(next: {NEW})" in result["msg"]


def test_check_mode_plans_the_switch_without_calling_set(monkeypatch):
    result, calls = run(monkeypatch, {"service_uri": URI, "thumbprint": NEW}, [references_reply(OLD)], check_mode=True, host="wfm01")
    assert lab.scripts_called(calls) == ["wfm_host_get"]
    assert result["changed"] is True
    assert result["plan"] == [{"step": 1, "host": "wfm01", "action": "switch Workflow Manager outbound certificate",
                               "detail": f"make outbound certificate {NEW} current at {URI} (replacing {OLD}): "
                                         "Set-WFNextOutboundCertificateReference, Set-WFNextOutboundCertificateAsCurrent, verify"}]
    assert result["diff"] == {"before": {"current_thumbprint": OLD}, "after": {"current_thumbprint": NEW}}
    assert (result["current_thumbprint"], result["previous_thumbprint"]) == (NEW, OLD)


def test_check_mode_without_change_returns_an_empty_plan(monkeypatch):
    result = run(monkeypatch, {"service_uri": URI, "thumbprint": OLD}, [references_reply(OLD)], check_mode=True)[0]
    assert (result["changed"], result["plan"]) == (False, [])


@pytest.mark.parametrize("pasted, message", [
    (NEW[:-2] + "O4", "character U+004F 'O' at position 39 is not a hexadecimal digit"),
    (NEW[:16], "has 16 hex digits, expected 40"),
    ("", "has 0 hex digits, expected 40"),
])
def test_malformed_thumbprint_is_refused_before_any_script_call(monkeypatch, pasted, message):
    result, calls = run(monkeypatch, {"service_uri": URI, "thumbprint": pasted}, [])
    assert result["failed"] is True and message in result["msg"]
    assert calls == []


def test_missing_service_uri_is_refused_before_any_script_call(monkeypatch):
    result, calls = run(monkeypatch, {"thumbprint": NEW}, [])
    assert result["failed"] is True and "missing required arguments: service_uri" in result["msg"]
    assert calls == []


@pytest.mark.parametrize("hostile", lab.HOSTILE)
def test_hostile_service_uri_reaches_the_script_only_as_a_parameter(monkeypatch, hostile):
    uri = URI + hostile
    calls = run(monkeypatch, {"service_uri": uri, "thumbprint": NEW}, [references_reply(OLD), references_reply(NEW)])[1]
    for args in lab.module_args(calls):
        assert args["parameters"]["ServiceUri"] == uri
        assert hostile not in args["script"]


def test_scripts_run_with_output_depth_four(monkeypatch):
    calls = run(monkeypatch, {"service_uri": URI}, [references_reply(OLD)])[1]
    assert calls[0][0] == "ansible.windows.win_powershell" and calls[0][1]["depth"] == 4


def test_script_failure_becomes_one_clear_message(monkeypatch):
    result = run(monkeypatch, {"service_uri": URI}, [lab.failed_reply("Unable to connect to the remote server")])[0]
    assert result["msg"] == "certops script wfm_host_get failed on the target: Unable to connect to the remote server"


def test_unexpected_output_fails_clearly(monkeypatch):
    result = run(monkeypatch, {"service_uri": URI}, [lab.win_powershell_reply([])])[0]
    assert result["failed"] is True and "returned 0 output objects instead of one" in result["msg"]
    assert "Traceback" not in json.dumps(result)


@pytest.mark.parametrize("references, expected", [
    ([{"Current": OLD, "Next": NEW, "Previous": ""}], {"current": OLD, "next": NEW, "previous": ""}),
    ([{"Thumbprint": OLD.lower()}], {"current": OLD, "next": "", "previous": ""}),
    ([{"CurrentOutboundCertificate": f"[Subject]CN=wfm [Thumbprint]{OLD}", "NextOutboundCertificate": ""}],
     {"current": OLD, "next": "", "previous": ""}),
    ([{"Thumbprint": OLD, "IsCurrent": "True"}, {"PreviousThumbprint": NEW}], {"current": "", "next": "", "previous": NEW}),
    ([], {"current": "", "next": "", "previous": ""}),
])
def test_outbound_references_take_the_thumbprint_of_each_role(references, expected):
    assert outbound_references(references) == expected


def test_outbound_references_refuse_an_unexpected_shape():
    with pytest.raises(CertopsError, match="unexpected shape"):
        outbound_references("System.Collections.Specialized.OrderedDictionary")


def test_switch_through_the_lab_twin_converges_and_reruns_without_change(monkeypatch):
    estate = lab.lab_estate(trusted=("old", "new"))
    new = lab.thumbprint(lab.certificate("new"))
    executor = lab.lab_executor(estate, "wfm01")
    first = run(monkeypatch, {"service_uri": lab.SERVICE_URI, "thumbprint": new}, executor=executor)[0]
    second, calls = run(monkeypatch, {"service_uri": lab.SERVICE_URI, "thumbprint": new}, executor=executor)
    assert first["changed"] is True and first["current_thumbprint"] == new
    assert second["changed"] is False and len(calls) == 1
    assert estate.products["wfm"]["wfm"].current == new


def test_docs_match_the_argument_spec():
    assert lab.doc_spec_mismatches("wfm_outbound_certificate") == []
