# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: D365 on Service Fabric's part of the estate report (module_utils/_estate.py).

The certificates the old and new ConfigTemplate.xml name (current and next), on every node that holds them, by role,
and the next human action: LCS "Update settings" with the new thumbprints before the current certificates expire.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._estate import deadline, der_row, product_estate, readable
from ansible_collections.certops.microsoft.plugins.module_utils._products.d365_config_template import rotation_thumbprints

PRODUCT = "d365_service_fabric"
WARN_DAYS = 60
ROLES = {"server": "cluster", "client": "client", "encipherment": "encryption", "data_encryption": "encryption", "data_signing": "signing"}


def templates(read: dict) -> dict:
    """{thumbprint: (generation, D365 role)} from the old (current) and new (next) ConfigTemplate.xml the first node read."""
    named = {}
    for generation, key in (("current", "old_config_template"), ("next", "config_template")):
        try:
            thumbprints = rotation_thumbprints(read["primary"]["d365"].get(key) or "", key)
        except (CertopsError, AttributeError):
            continue     # no template or an unreadable one: the plan refuses it; the report shows the nodes' certificates only
        for role, thumbprint in thumbprints.items():
            named.setdefault(thumbprint.upper(), (generation, role))
    return named


def node_rows(host: str, node: dict, named: dict, now) -> list:
    rows = []
    for thumbprint, (generation, role) in named.items():
        entry = node["certificates"].get(thumbprint)
        if entry and entry.get("der"):
            rows.append(der_row(PRODUCT, ROLES[role], entry["der"], now, WARN_DAYS, host=host, store="LocalMachine\\My",
                                location=f"{generation}: {role} (ConfigTemplate.xml)"))
    return rows


def lcs_deadline(rows: list) -> list:
    current = sorted(row["not_after"] for row in rows if row["location"].startswith("current"))
    if not current:
        return []
    return [deadline(PRODUCT, "human", current[0], "LCS > Maintain > Update settings with the new thumbprints (after "
                     "certops.microsoft.d365_service_fabric reaches its manual gate), before the current certificates expire")]


def estate(params: dict, reads: dict, context: dict) -> dict:
    read = readable(reads)
    first = next((state for _host, (_role, state) in read.items() if "primary" in state), None)
    named = templates(first) if first else {}
    rows = [row for host, (_role, state) in read.items() for part in state.values()
            for row in node_rows(host, part["node"], named, context["now"])]
    return product_estate(PRODUCT, reads, rows, lcs_deadline(rows))
