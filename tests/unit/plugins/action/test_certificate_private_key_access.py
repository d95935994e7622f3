# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certificate_private_key_access action: recorded win_powershell replies through a mocked _execute_module, and the lab twin."""
from __future__ import annotations

import pytest

from ansible_collections.certops.microsoft.plugins.action import certificate_private_key_access
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read, missing_readers
from ansible_collections.certops.microsoft.tests.unit.plugins.action import trust_harness as lab

TP = "940C4164DE09313C87F04777F46164DD1B2821E6"
PATH = "C:\\ProgramData\\Microsoft\\Crypto\\Keys\\8e01422c6736df39d0a4efd3e007e2ab"
BASE = ["NT AUTHORITY\\SYSTEM", "BUILTIN\\Administrators"]


def key_reply(readers, changed=False):
    return lab.win_powershell_reply([{"StoreLocation": "LocalMachine", "Thumbprint": TP, "KeyProvider": "CNG", "KeyPath": PATH,
                                      "Readers": list(readers)}], changed=changed)


def run(monkeypatch, args, replies=None, **kwargs):
    return lab.run_action(monkeypatch, certificate_private_key_access, args, replies, **kwargs)


def test_grants_read_to_the_accounts_that_lack_it(monkeypatch):
    replies = [key_reply(BASE + ["LAB\\svc-wfm"]), key_reply(BASE + ["LAB\\svc-wfm", "LAB\\svc-sb"], changed=True)]
    result, calls = run(monkeypatch, {"thumbprint": TP.lower(), "accounts": ["LAB\\svc-wfm", "LAB\\svc-sb"]}, replies)
    assert [args["parameters"] for args in lab.module_args(calls)] == [
        {"StoreLocation": "LocalMachine", "Thumbprint": TP, "Rights": "Read"},
        {"StoreLocation": "LocalMachine", "Thumbprint": TP, "Rights": "Read", "Account": ["LAB\\svc-sb"]}]
    assert (result["changed"], result["granted"], result["key_path"]) == (True, ["LAB\\svc-sb"], PATH)
    assert result["diff"]["after"]["readers"][-1] == "LAB\\svc-sb"


@pytest.mark.parametrize("account", ["lab\\SVC-WFM", "svc-wfm"])
def test_no_change_when_every_account_can_read(monkeypatch, account):
    result, calls = run(monkeypatch, {"thumbprint": TP, "accounts": [account]}, [key_reply(BASE + ["LAB\\svc-wfm"])])
    assert result["changed"] is False and result["granted"] == [] and len(calls) == 1


def test_check_mode_plans_the_grant_without_making_it(monkeypatch):
    result, calls = run(monkeypatch, {"thumbprint": TP, "accounts": ["LAB\\svc-wfm"]}, [key_reply(BASE)], check_mode=True, host="wfm01")
    assert len(calls) == 1 and "Account" not in calls[0][1]["parameters"]
    assert result["plan"] == [{"step": 1, "host": "wfm01", "action": "grant private key read access", "detail": f"grant Read on {PATH} to LAB\\svc-wfm"}]
    assert result["diff"] == {"before": {"readers": BASE}, "after": {"readers": BASE + ["LAB\\svc-wfm"]}}


def test_verify_failure_when_the_account_still_cannot_read(monkeypatch):
    result = run(monkeypatch, {"thumbprint": TP, "accounts": ["LAB\\svc-wfm"]}, [key_reply(BASE), key_reply(BASE, changed=True)])[0]
    assert result["failed"] is True
    assert result["msg"] == (f"granted read access to the private key of {TP} but LAB\\svc-wfm still cannot read it ({PATH}); "
                             "check the account names and the key file's ACL")


@pytest.mark.parametrize("args, message", [
    ({"thumbprint": TP[:-1] + "Z", "accounts": ["a"]}, "character U+005A 'Z' at position 40 is not a hexadecimal digit"),
    ({"thumbprint": TP, "accounts": []}, "option accounts is empty"),
    ({"thumbprint": TP, "accounts": ["LAB\\svc\nwfm"]}, "is not an account name"),
    ({"thumbprint": TP, "accounts": ["a"], "store_location": "CurrentUser"}, "value of store_location must be one of: LocalMachine"),
])
def test_bad_inputs_are_refused_before_any_script_call(monkeypatch, args, message):
    result, calls = run(monkeypatch, args, [])
    assert result["failed"] is True and message in result["msg"] and calls == []


@pytest.mark.parametrize("hostile", [value for value in lab.HOSTILE if "\n" not in value])
def test_hostile_account_names_reach_the_script_only_as_parameters(monkeypatch, hostile):
    calls = run(monkeypatch, {"thumbprint": TP, "accounts": [hostile]}, [key_reply(BASE), key_reply(BASE + [hostile])])[1]
    assert calls[1][1]["parameters"]["Account"] == [hostile]
    assert all(hostile not in args["script"] for args in lab.module_args(calls))


@pytest.mark.parametrize("account, readers, expected", [
    ("LAB\\svc", ["LAB\\svc"], True),
    ("LAB\\svc", ["OTHER\\svc"], False),
    ("svc", ["OTHER\\svc"], True),
    ("svc", ["LAB\\svc2"], False),
])
def test_has_read_matches_domain_names_as_windows_resolves_them(account, readers, expected):
    assert has_read(account, readers) is expected


def test_missing_readers_keeps_order_and_drops_repeats():
    assert missing_readers(["b", "a", "B", "c"], ["X\\c"]) == ["b", "a"]


def test_grant_through_the_lab_twin_lets_the_service_account_sign(monkeypatch):
    estate = lab.lab_estate()
    entry = estate.hosts["wfm01"].store("LocalMachine", "My").get(lab.thumbprint(lab.certificate("new")))
    entry.key_readers = ["NT AUTHORITY\\SYSTEM"]
    executor = lab.lab_executor(estate, "wfm01")
    args = {"thumbprint": entry.thumbprint, "accounts": [lab.SERVICE_ACCOUNT]}
    assert run(monkeypatch, args, executor=executor, check_mode=True)[0]["changed"] is True
    assert not entry.key_readable_by(lab.SERVICE_ACCOUNT)
    assert run(monkeypatch, args, executor=executor)[0]["changed"] is True
    assert entry.key_readable_by(lab.SERVICE_ACCOUNT)
    assert run(monkeypatch, args, executor=executor)[0]["changed"] is False


def test_docs_match_the_argument_spec():
    assert lab.doc_spec_mismatches("certificate_private_key_access") == []
