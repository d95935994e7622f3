# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WFM / SharePoint script twins return exactly the properties their real scripts emit.

The property names are read from the scripts themselves (every ``[PSCustomObject]@{...}`` key,
found with tree-sitter-powershell), so renaming a property in a script without its twin, or the
other way round, fails here. Hostile values travel through the twins as plain data.
"""
from __future__ import annotations

import base64

import pytest

from certops_lab.contracts import CallContext, CmdletError
from certops_lab.products import workflow
from certops_lab.products.sharepoint import WORKFLOW_PRINCIPAL
from certops_lab.twins import powershell
from certops_lab.twins.scripts import lookup

from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script
from script_shapes import SCRIPTS, script_property_names
from workflow_lab import SERVICE_URI, install, make_certificate, workflow_estate

NEW_CERT = base64.b64encode(make_certificate("new")).decode()
HOSTILE = "x'; Remove-SPFarm -Confirm:$false; $(whoami) `n\"\n"


def output_property_names(value) -> set:
    """Keys of the twin's output objects; the WFM reference objects are the cmdlet's own, not the script's."""
    if isinstance(value, list):
        return set().union(*(output_property_names(item) for item in value)) if value else set()
    if isinstance(value, dict):
        nested = [output_property_names(item) for key, item in value.items() if key != "References"]
        return set(value).union(*nested)
    return set()


def run(estate, name, parameters, host):
    return lookup(name)(estate, estate.hosts[host], parameters, CallContext(host=host)).output


def new_on_every_wfm_host(estate):
    return [install(estate.hosts[host], "new") for host in ("wfm01", "wfm02")][0]


SCENARIOS = {
    "wfm_host_get": lambda estate: run(estate, "wfm_host_get", {"ServiceUri": SERVICE_URI}, "wfm01"),
    "wfm_outbound_certificate_set": lambda estate: run(estate, "wfm_outbound_certificate_set",
                                                       {"ServiceUri": SERVICE_URI, "Thumbprint": new_on_every_wfm_host(estate)}, "wfm01"),
    "sharepoint_trust_get": lambda estate: run(estate, "sp_trusted_root_authority_set", {
        "Operation": "New", "Name": "root", "Certificate": NEW_CERT}, "sp01") and run(estate, "sharepoint_trust_get", {}, "sp01"),
    "sp_trusted_security_token_issuer_set": lambda estate: run(estate, "sp_trusted_security_token_issuer_set", {
        "Operation": "New", "Name": "new", "Certificate": NEW_CERT, "RegisteredIssuerName": f"{WORKFLOW_PRINCIPAL}@*", "IsSelfIssuer": False}, "sp01"),
    "sp_trusted_root_authority_set": lambda estate: run(estate, "sp_trusted_root_authority_set", {
        "Operation": "New", "Name": "root", "Certificate": NEW_CERT}, "sp01"),
}
# Scripts whose output objects are built by an include fragment.
FRAGMENTS = {"wfm_host_get": ("certificate_facts",)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_twin_output_has_exactly_the_script_properties(name):
    assert output_property_names(SCENARIOS[name](workflow_estate())) == script_property_names(name, FRAGMENTS.get(name, ()))


def test_every_workflow_script_has_a_twin_and_a_scenario():
    scripts = {path.stem for path in SCRIPTS.glob("*.ps1") if path.stem.startswith(("wfm_", "sp_", "sharepoint_"))}
    assert scripts == set(SCENARIOS)
    assert all(lookup(name) is not None for name in scripts)


def test_hostile_names_are_stored_verbatim_as_data():
    estate = workflow_estate()
    run(estate, "sp_trusted_security_token_issuer_set", {"Operation": "New", "Name": HOSTILE, "Certificate": NEW_CERT,
                                                         "RegisteredIssuerName": WORKFLOW_PRINCIPAL + "@*", "IsSelfIssuer": False}, "sp01")
    run(estate, "sp_trusted_root_authority_set", {"Operation": "New", "Name": HOSTILE, "Certificate": NEW_CERT}, "sp01")
    farm = workflow.sharepoint_farms(estate)["sp"]
    assert farm.issuer(HOSTILE).name == HOSTILE and farm.root_authority(HOSTILE).name == HOSTILE


def test_hostile_service_uri_reaches_no_farm():
    estate = workflow_estate()
    with pytest.raises(CmdletError, match="Unable to connect to the remote server"):
        run(estate, "wfm_host_get", {"ServiceUri": SERVICE_URI + HOSTILE}, "wfm01")


# --- through the win_powershell twin, with the real script text -----------------------------------
def win_powershell(estate, name, parameters, host, check_mode):
    """As the certops actions call it, with the script text they send: nested output needs depth 5 (see plugin_utils/_rotation_action.py)."""
    args = {"script": load_script(name), "parameters": parameters, "depth": 5}
    return powershell.win_powershell(estate, estate.hosts[host], args, CallContext(host=host, check_mode=check_mode))


@pytest.mark.parametrize("name,host,parameters", [
    ("wfm_host_get", "wfm01", {"ServiceUri": SERVICE_URI}),
    ("wfm_host_get", "wfm02", {}),
    ("sharepoint_trust_get", "sp01", {}),
])
def test_read_scripts_run_in_check_mode_and_report_no_change(name, host, parameters):
    result = win_powershell(workflow_estate(), name, parameters, host, check_mode=True)
    assert result["changed"] is False and not result.get("failed") and len(result["output"]) == 1


def test_set_script_in_check_mode_runs_with_whatif_and_changes_nothing():
    estate = workflow_estate()
    thumbprint = new_on_every_wfm_host(estate)
    before = estate.to_dict()
    result = win_powershell(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": thumbprint}, "wfm01", True)
    assert result["changed"] is False and estate.to_dict() == before
    assert result["output"][0]["References"][0]["Current"] != thumbprint


def test_set_script_failure_comes_back_as_win_powershell_error():
    estate = workflow_estate()
    thumbprint = install(estate.hosts["wfm01"], "new")
    result = win_powershell(estate, "wfm_outbound_certificate_set", {"ServiceUri": SERVICE_URI, "Thumbprint": thumbprint}, "wfm01", False)
    assert result["failed"] is True
    assert "was not found in the LocalMachine\\My certificate store on wfm02" in result["error"][0]["output"]
    assert workflow.wfm_farms(estate)["wfm"].current != thumbprint
