# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests: each twin returns the keys the real module documents in its RETURN block.

The RETURN blocks are read from ansible.windows under .collections, so a new ansible.windows that
documents a new key fails here until the twin returns it. Keys a twin legitimately leaves out are
listed with the condition under which the real module leaves them out too.
"""
from __future__ import annotations

import json

import pytest

from certops_lab import twins
from certops_lab.contracts import CmdletError, ScriptOutcome
from twins_lab import der_of, documented_keys, key_of, leaf_certificate, new_host, run

# documented key -> why a successful call of the twin here may not return it
CONDITIONAL = {
    "win_stat": {"lnk_source": "symbolic links only", "lnk_target": "symbolic links only",
                 "sharename": "shared directories only"},
    "win_copy": {"backup_file": "backup=yes only"},
    # win_certificate_info.ps1 returns the DER as `raw`; its RETURN documents `cert_data`, a name the code never used
    "win_certificate_info": {"cert_data": "documented, but the module returns `raw`"},
}


@twins.script_twin("contract_test_failure")
def _contract_failure(_estate, _host, _parameters, _ctx):
    raise CmdletError("Access is denied.")


@twins.script_twin("contract_test_success")
def _contract_success(_estate, _host, parameters, _ctx):
    return ScriptOutcome(output=[parameters], result={"ok": True}, changed=True)


def _expected(module: str, *path: str) -> set:
    return documented_keys(module, *path) - set(CONDITIONAL.get(module, {}))


def test_win_ping_returns_documented_keys():
    estate, host = new_host()
    assert _expected("win_ping") <= set(run(estate, host, "ansible.windows.win_ping", {}))


def test_win_stat_returns_documented_keys_for_a_file():
    estate, host = new_host()
    host.files.write("C:\\Temp\\cert.pfx", b"data")
    result = run(estate, host, "ansible.windows.win_stat", {"path": "C:\\Temp\\cert.pfx"})
    assert _expected("win_stat") <= set(result)
    assert _expected("win_stat", "stat") <= set(result["stat"])


def test_win_service_returns_documented_keys():
    estate, host = new_host()
    host.add_service("W3SVC", display_name="World Wide Web Publishing Service")
    result = run(estate, host, "ansible.windows.win_service", {"name": "w3svc", "state": "restarted"})
    assert _expected("win_service") <= set(result)


def test_win_copy_remote_returns_documented_keys():
    estate, host = new_host()
    host.files.write("C:\\Temp\\a.txt", b"a")
    result = run(estate, host, "ansible.windows.win_copy", {"_copy_mode": "remote", "src": "C:\\Temp\\a.txt", "dest": "C:\\Dest\\"})
    assert _expected("win_copy") <= set(result)


def test_win_certificate_store_returns_documented_keys():
    estate, host = new_host()
    host.files.write("C:\\Temp\\web.cer", der_of(leaf_certificate("web")))
    result = run(estate, host, "ansible.windows.win_certificate_store", {"path": "C:\\Temp\\web.cer"})
    assert _expected("win_certificate_store") <= set(result)


def test_win_certificate_info_returns_documented_keys():
    estate, host = new_host()
    host.store("LocalMachine", "My").add(leaf_certificate("web"), key=key_of("web"))
    result = run(estate, host, "ansible.windows.win_certificate_info", {})
    assert _expected("win_certificate_info") <= set(result)
    assert _expected("win_certificate_info", "certificates") <= set(result["certificates"][0])
    assert "raw" in result["certificates"][0]


def test_win_powershell_returns_documented_keys():
    estate, host = new_host()
    result = run(estate, host, "ansible.windows.win_powershell", {"script": "# certops-script: contract_test_success\n"})
    assert _expected("win_powershell") <= set(result)


@pytest.mark.parametrize("under", ["exception", "category_info", "error_details"])
def test_win_powershell_error_records_carry_documented_keys(under):
    estate, host = new_host()
    result = run(estate, host, "ansible.windows.win_powershell", {"script": "# certops-script: contract_test_failure\n"})
    record = result["error"][0]
    assert documented_keys("win_powershell", "error") <= set(record)
    if under == "error_details":
        assert record[under] is None   # null unless the error carries ErrorDetails, as in the real module
    else:
        assert documented_keys("win_powershell", "error", under) <= set(record[under])


SETUP_FACTS = ("ansible_hostname", "ansible_os_family", "ansible_distribution", "ansible_fqdn", "ansible_domain",
               "ansible_powershell_version", "ansible_architecture", "ansible_ip_addresses")


def test_setup_returns_the_facts_roles_use():
    estate, host = new_host()
    facts = run(estate, host, "ansible.windows.setup", {})["ansible_facts"]
    assert set(SETUP_FACTS) <= set(facts)
    assert facts["ansible_os_family"] == "Windows" and facts["module_setup"] is True


@pytest.mark.parametrize("module, args", [
    ("ansible.windows.win_ping", {}), ("ansible.windows.setup", {}), ("ansible.windows.win_stat", {"path": "C:\\"}),
    ("ansible.windows.win_certificate_info", {}),
])
def test_results_are_json_and_become_rc_0(module, args):
    estate, host = new_host()
    outcome = twins.to_exec_result(run(estate, host, module, args))
    assert outcome.rc == 0 and isinstance(json.loads(outcome.stdout), dict)


def test_failed_result_becomes_rc_1():
    estate, host = new_host()
    outcome = twins.to_exec_result(run(estate, host, "ansible.windows.win_stat", {}))
    assert outcome.rc == 1 and json.loads(outcome.stdout)["msg"] == "missing required arguments: path"
