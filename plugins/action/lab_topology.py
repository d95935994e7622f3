# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.lab_topology: a lab topology of the estate the play read, written on the controller.

The hosts and certificates come from the certificate inventory results given; each product's configuration from the
reads its role registered on its hosts (``__<product>_read``, the engine's read phase) and the few role variables its
twin module names (module_utils/_products/*_twin.py). Nothing else of the inventory is read: no password, no key.
"""
from __future__ import annotations

import json
import os

import yaml

from ansible_collections.certops.microsoft.plugins.action.estate_report import as_of_time
from ansible_collections.certops.microsoft.plugins.action.inventory_report import make_directory, write_reports
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra_twin, d365_service_fabric_twin
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_twin, wfm_sharepoint_twin
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
from ansible_collections.certops.microsoft.plugins.module_utils._twin import TwinError, new_context, topology
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import CertopsActionBase

ARGUMENT_SPEC = {
    "results": {"type": "dict", "required": True},
    "dest": {"type": "path", "default": "certops-twin.yml"},
    "as_of": {"type": "str"},
    "clock": {"type": "str", "choices": ["now", "as_of"], "default": "now"},
}
# product: (twin module, {group variable: (default group, lab role)})
PRODUCTS = {
    "adfs_entra": (adfs_entra_twin, {"adfs_entra_adfs_group": ("adfs", "adfs")}),
    "exchange_auth": (exchange_auth_twin, {"exchange_auth_group": ("exchange", "exchange")}),
    "wfm_sharepoint": (wfm_sharepoint_twin, {"wfm_sharepoint_wfm_group": ("wfm", "wfm"), "wfm_sharepoint_sharepoint_group": ("sharepoint", "sharepoint")}),
    "d365_service_fabric": (d365_service_fabric_twin, {"d365_service_fabric_group": ("sf_node", "sf_node")}),
}


def host_variable(task_vars: dict, host: str, name: str, default=None):
    hostvars = task_vars.get("hostvars") or {}
    return hostvars[host].get(name, default) if host in hostvars else default


def product_groups(task_vars: dict, groups: dict) -> dict:
    """{group variable: members} of a product, with the group names the inventory sets (or the roles' defaults)."""
    first = next(iter(task_vars.get("hostvars") or {}), None)
    return {variable: list((task_vars.get("groups") or {}).get(host_variable(task_vars, first, variable, default) if first else default) or [])
            for variable, (default, _role) in groups.items()}


def lab_roles(task_vars: dict, hosts) -> dict:
    roles = {}
    for _module, groups in PRODUCTS.values():
        for variable, members in product_groups(task_vars, groups).items():
            for host in set(members) & set(hosts):
                roles.setdefault(host, set()).add(groups[variable][1])
    return roles


def product_inputs(product: str, task_vars: dict) -> tuple:
    """(reads by host, variables) of one product: what its role read on the hosts of its groups."""
    module, groups = PRODUCTS[product]
    members = [host for hosts in product_groups(task_vars, groups).values() for host in hosts]
    reads = {host: host_variable(task_vars, host, f"__{product}_read") for host in members}
    reads = {host: read for host, read in reads.items() if isinstance(read, dict) and not read.get("skipped")}
    first = members[0] if members else None
    variables = {name: host_variable(task_vars, first, name) for name in module.VARIABLES} if first else {}
    return reads, variables


def header(as_of: str, notes: list) -> str:
    lines = ["# A lab twin of the estate, exported by certops.microsoft.lab_topology (docs/rehearsal.md).",
             f"# Validity offsets are from {as_of}. Certificates are new ones with the same metadata (source_thumbprint is the real one);",
             "# no private key, password or secret was read into this file."]
    lines += ["# Not reproduced:"] + [f"#   - {note}" for note in notes] if notes else []
    return "\n".join(lines) + "\n"


class ActionModule(CertopsActionBase):
    """certops.microsoft.lab_topology"""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def perform(self, params: dict, task_vars: dict) -> dict:
        as_of = as_of_time(params.get("as_of"))
        inputs = {product: product_inputs(product, task_vars) for product in PRODUCTS}
        context = new_context(as_of, {product: reads for product, (reads, _variables) in inputs.items()})
        sections = [(product, lambda ctx, p=product: PRODUCTS[p][0].twin(inputs[p][0], inputs[p][1], ctx)) for product in PRODUCTS]
        try:
            document = topology(params["results"], lab_roles(task_vars, params["results"]), sections, context,
                                iso_z(as_of) if params["clock"] == "as_of" else "now")
        except TwinError as error:
            raise CertopsError(f"lab_topology: {error}") from None
        document = json.loads(json.dumps(document))  # plain types: the inventory's strings are Ansible's tagged or unsafe ones
        return self.write(params["dest"], header(iso_z(as_of), context["notes"]) + yaml.safe_dump(document, sort_keys=False, width=160),
                          document, context["notes"])

    def write(self, dest: str, text: str, document: dict, notes: list) -> dict:
        path = os.path.abspath(dest)
        created = False if self.check_mode else make_directory(os.path.dirname(path))
        changed, _paths = write_reports(os.path.dirname(path), {os.path.basename(path): text}, self.check_mode)
        certificates = sum(1 for host in document["hosts"].values() for entry in host.get("certificates") or [] if "id" in entry)
        return {"changed": changed or created, "dest": path, "hosts": len(document["hosts"]), "certificates": certificates,
                "products": sorted(document.get("products") or {}), "notes": notes,
                "msg": f"Lab topology of {len(document['hosts'])} host(s) and {certificates} certificate(s) written to {path}"
                       + (f"; not reproduced: {len(notes)} (see notes)" if notes else "")}
