# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager and SharePoint together: topology hook, serialisation, probe and invariants.

Hook for the topology loader (the ``products:`` section of the topology YAML)::

    from certops_lab.products import workflow
    workflow.from_topology(topology["products"], estate)

It reads the ``wfm`` and ``sharepoint`` lists (formats in ``wfm.py`` and ``sharepoint.py``),
validates them (``ValueError`` with one clear message) and stores the farms in
``estate.products["wfm"]`` and ``estate.products["sharepoint"]`` (dicts by farm name).
``to_dict(estate.products)`` / ``from_dict(data)`` serialise exactly those two entries.

The trust edge: a SharePoint farm names its Workflow Manager farm (``workflow_farm``); every
workflow token that farm signs is checked by the SharePoint farm's issuers.
"""
from __future__ import annotations

from certops_lab.invariants import invariant
from certops_lab.products import sharepoint as sp
from certops_lab.products import wfm
from certops_lab.state import product_codec

TOPOLOGY_SECTIONS = ("wfm", "sharepoint")
INVALID_JWT = {
    "error_description": "Invalid JWT token. Could not resolve issuer token.",
    "x-ms-diagnostics": '3000006;reason="Token contains invalid signature.";category="invalid_client"',
}


def wfm_farms(estate) -> dict:
    return estate.products.setdefault("wfm", {})


def sharepoint_farms(estate) -> dict:
    return estate.products.setdefault("sharepoint", {})


def from_topology(products: dict, estate) -> dict:
    """Build and install the WFM and SharePoint farms of a topology's ``products`` section."""
    products = products or {}
    wfm_section = wfm.from_topology(products.get("wfm"), estate)
    estate.products["wfm"] = wfm_section
    estate.products["sharepoint"] = sp.from_topology(products.get("sharepoint"), estate, wfm_section)
    return {"wfm": estate.products["wfm"], "sharepoint": estate.products["sharepoint"]}


def to_dict(products: dict) -> dict:
    return {"wfm": {name: farm.to_dict() for name, farm in products.get("wfm", {}).items()},
            "sharepoint": {name: farm.to_dict() for name, farm in products.get("sharepoint", {}).items()}}


def from_dict(data: dict) -> dict:
    return {"wfm": {name: wfm.WorkflowFarm.from_dict(item) for name, item in data.get("wfm", {}).items()},
            "sharepoint": {name: sp.SharePointFarm.from_dict(item) for name, item in data.get("sharepoint", {}).items()}}


product_codec(("wfm", "sharepoint"), to_dict, from_dict)


def workflow_probe(estate, farm: str) -> dict:
    """What a workflow's HTTP activity calling back into SharePoint farm ``farm`` gets now:
    ``{"status": 200}`` or ``{"status": 401, "body": {...Invalid JWT token...}}``."""
    sharepoint = sharepoint_farms(estate)[farm]
    signer = wfm_farms(estate)[sharepoint.workflow_farm].signing_thumbprint()
    if sharepoint.trusts_workflow_signer(signer):
        return {"status": 200, "signed_with": signer}
    return {"status": 401, "signed_with": signer, "body": dict(INVALID_JWT)}


@invariant("sharepoint_trusts_wfm_signing_certificate")
def untrusted_workflow_signers(estate) -> list:
    """Every SharePoint farm trusts the certificate its Workflow Manager farm signs with."""
    messages = []
    for farm in sharepoint_farms(estate).values():
        signer = wfm_farms(estate)[farm.workflow_farm].signing_thumbprint()
        if not farm.trusts_workflow_signer(signer):
            messages.append(f"SharePoint farm {farm.name} has no issuer for {sp.WORKFLOW_PRINCIPAL}@{farm.realm} or @* "
                            f"with certificate {signer}, which Workflow Manager farm {farm.workflow_farm} signs with: "
                            'workflows would fail with HTTP 401 "Invalid JWT token"')
    return messages


@invariant("wfm_current_outbound_certificate_on_every_host")
def unusable_current_outbound(estate) -> list:
    """Workflow Manager's current outbound certificate can sign on every host of its farm."""
    messages = []
    for farm in wfm_farms(estate).values():
        for host_name in farm.hosts:
            problem = wfm.signing_key_problem(estate, host_name, farm.current, farm.service_account)
            if problem:
                messages.append(f"Workflow Manager farm {farm.name}'s current outbound certificate cannot sign on {host_name}: {problem}")
    return messages
