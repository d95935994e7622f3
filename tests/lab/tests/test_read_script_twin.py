# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The twin of certops.microsoft.win_read_script keeps the runner's contract (plugins/modules/win_read_script.ps1)."""
from __future__ import annotations

import pathlib

import pytest

from certops_lab.contracts import CallContext, CmdletError, ModuleCall, ScriptOutcome
from certops_lab.state import Estate
from certops_lab.twins import registry
from certops_lab.twins.scripts import script_twin

from issued_certificates import issued

RUNNER = "certops.microsoft.win_read_script"
SCRIPTS = pathlib.Path(__file__).resolve().parents[3] / "plugins" / "plugin_utils" / "scripts"
INVENTORY = (SCRIPTS / "windows_certificate_inventory.ps1").read_text(encoding="utf-8")
READS = "[CmdletBinding(SupportsShouldProcess)]\nparam()\n# certops-script: lab_test_read\n"


@script_twin("lab_test_read")
def lab_test_read(estate, host, parameters, ctx):
    """A script twin whose outcome the parameters choose."""
    del estate, host, ctx
    if parameters.get("Throw"):
        raise CmdletError(parameters["Throw"])
    return ScriptOutcome(output=[{"Nested": {"Deeper": {"Deepest": 1}}}], changed=bool(parameters.get("Changed")),
                         warnings=list(parameters.get("Warnings") or []), errors=list(parameters.get("Errors") or []))


@pytest.fixture(name="estate")
def fixture_estate():
    estate = Estate()
    host = estate.add_host("win01")
    certificate, key = issued("CN=web.lab.test", "ecdsa")
    host.store("LocalMachine", "My").add(certificate, key=key)
    host.store("LocalMachine", "Root")
    host.store("LocalMachine", "CA")
    return estate


def run(estate, args, check_mode=False):
    return registry.run_module(estate, estate.hosts["win01"], ModuleCall(RUNNER, args, check_mode=check_mode),
                               CallContext(host="win01", check_mode=check_mode))


def test_win_read_script_runs_the_inventory_script_twin(estate):
    result = run(estate, {"script": INVENTORY, "parameters": {"StoreName": ["My"]}, "depth": 3})
    assert result["changed"] is False and "failed" not in result
    assert [item["StoreName"] for item in result["output"]] == ["My"]


def test_win_read_script_runs_a_should_process_script_in_check_mode(estate):
    result = run(estate, {"script": INVENTORY, "parameters": {"StoreName": ["My"]}}, check_mode=True)
    assert len(result["output"]) == 1


def test_win_read_script_skips_a_script_without_should_process_in_check_mode(estate):
    result = run(estate, {"script": "# certops-script: lab_test_read\n", "parameters": {"Changed": True}}, check_mode=True)
    assert result == {"changed": False, "output": [], "msg": "skipped, running in check mode"}


def test_win_read_script_converts_output_to_depth(estate):
    assert run(estate, {"script": READS})["output"] == [{"Nested": {"Deeper": "@{Deepest=1}"}}]
    assert run(estate, {"script": READS, "depth": 3})["output"] == [{"Nested": {"Deeper": {"Deepest": 1}}}]


def test_win_read_script_changed_follows_ansible_changed(estate):
    assert run(estate, {"script": READS, "parameters": {"Changed": True}})["changed"] is True


def test_win_read_script_returns_warnings_as_module_warnings(estate):
    assert run(estate, {"script": READS, "parameters": {"Warnings": ["key unreadable"]}})["warnings"] == ["key unreadable"]


@pytest.mark.parametrize("parameters", [{"Throw": "Access is denied."}, {"Errors": ["Access is denied."]}])
def test_win_read_script_fails_with_the_script_error(estate, parameters):
    result = run(estate, {"script": READS, "parameters": parameters})
    assert result["failed"] is True
    assert result["msg"] == "the script failed: Access is denied."


def test_win_read_script_refuses_a_script_the_lab_cannot_run(estate):
    result = run(estate, {"script": "Get-ChildItem"})
    assert result["failed"] is True and "carries no certops marker" in result["msg"]


def test_win_read_script_refuses_unknown_options_as_ansible_basic_does(estate):
    result = run(estate, {"script": READS, "sensitive_parameters": []})
    assert result["failed"] is True and "Unsupported parameters for (certops.microsoft.win_read_script) module: sensitive_parameters" in result["msg"]
