# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange script twins return exactly the properties their real scripts emit (read from the scripts with the
PowerShell grammar), and every Exchange script has a twin; hostile values travel as plain data."""
from __future__ import annotations

import pytest

from certops_lab.contracts import CmdletError
from certops_lab.twins.scripts import lookup

from exchange_lab import exchange_estate, org, run
from script_shapes import SCRIPTS, script_property_names

PASSWORD = "Shape-Test-Password-1f9"
HOSTILE = "EX02'; Remove-ExchangeCertificate -Thumbprint *; $(whoami) `n\""


def output_property_names(value) -> set:
    """Keys of the output objects, nested ones included; CertificateServices is a hashtable by thumbprint, not an object."""
    if isinstance(value, list):
        return set().union(*(output_property_names(item) for item in value)) if value else set()
    if isinstance(value, dict):
        nested = [output_property_names(item) for key, item in value.items() if key != "CertificateServices"]
        return set(value).union(*nested)
    return set()


def created(estate):
    return run(estate, "exchange_auth_certificate_new", "ex01").output


SCENARIOS = {
    "exchange_auth_get": lambda estate: run(estate, "exchange_auth_get", "ex01", {"Probe": True}).output,
    "exchange_auth_certificate_new": created,
    "exchange_auth_certificate_import": lambda estate: run(estate, "exchange_auth_certificate_import", "ex01", {
        "Thumbprint": org(estate).auth.current, "Server": "EX02", "PfxPassword": PASSWORD}).output,
    "exchange_authconfig_set": lambda estate: run(estate, "exchange_authconfig_set", "ex01", {
        "Operation": "Stage", "Thumbprint": created(estate)[0]["Created"]["Thumbprint"], "Now": True}).output,
    "exchange_auth_services_restart": lambda estate: run(estate, "exchange_auth_services_restart", "ex02").output,
    "exchange_auth_certificate_remove": lambda estate: run(estate, "exchange_auth_certificate_remove", "ex01", {
        "Thumbprint": created(estate)[0]["Created"]["Thumbprint"]}).output,
}
FRAGMENTS = {"exchange_auth_get": ("exchange_processes", "certificate_facts"), "exchange_auth_certificate_new": ("certificate_facts",),
             "exchange_auth_services_restart": ("exchange_processes",)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_twin_output_has_exactly_the_script_properties(name):
    assert output_property_names(SCENARIOS[name](exchange_estate())) == script_property_names(name, FRAGMENTS.get(name, ()))


def test_every_exchange_script_has_a_twin_and_a_scenario():
    scripts = {path.stem for path in SCRIPTS.glob("exchange_*.ps1")}
    assert scripts == set(SCENARIOS)
    assert all(lookup(name) is not None for name in scripts)


def test_a_hostile_server_name_is_data_and_finds_no_server():
    estate = exchange_estate()
    before = estate.to_dict()
    with pytest.raises(CmdletError, match="couldn't be found"):
        run(estate, "exchange_auth_certificate_import", "ex01", {"Thumbprint": org(estate).auth.current, "Server": HOSTILE, "PfxPassword": PASSWORD})
    assert estate.to_dict() == before
