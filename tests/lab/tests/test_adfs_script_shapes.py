# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AD FS script twins return exactly the properties their real scripts emit (read from the scripts with the PowerShell grammar)."""
from __future__ import annotations

import pytest

from certops_lab.contracts import CallContext
from certops_lab.twins.scripts import lookup

from adfs_entra_labdata import NOW, estate_of
from script_shapes import script_property_names

FRAGMENTS = {"adfs_node_get": ("certificate_facts", "adfs_certificates", "adfs_properties"), "adfs_certificate_set": ("adfs_certificates",),
             "adfs_properties_set": ("adfs_properties",)}
SCENARIOS = {
    "adfs_node_get": ("adfs_entra_ca.yml", {}),
    "adfs_certificate_set": ("adfs_entra_auto.yml", {"Operation": "Update", "CertificateType": "Token-Signing", "Urgent": False}),
    "adfs_properties_set": ("adfs_entra_auto.yml", {"AutoCertificateRollover": False}),
}


def property_names(value) -> set:
    if isinstance(value, list):
        return set().union(*(property_names(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set(value).union(*(property_names(item) for item in value.values()))
    return set()


@pytest.mark.parametrize("script", sorted(SCENARIOS))
def test_twin_output_has_exactly_the_scripts_properties(script):
    topology, parameters = SCENARIOS[script]
    estate = estate_of(topology)
    outcome = lookup(script)(estate, estate.hosts["adfs01"], parameters, CallContext(host="adfs01", now=NOW))
    assert property_names(outcome.output) == script_property_names(script, FRAGMENTS[script])
