# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: Workflow Manager + SharePoint's part of the estate report (module_utils/_estate.py).

Workflow Manager's outbound certificate (current, next, previous) on each Workflow Manager host, and each SharePoint
farm's trusted security token issuers and root authorities; a trust's expiry comes from the certificate Workflow
Manager holds with that thumbprint, when it holds it.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import certificate_row, deadline, der_row, product_estate, readable

PRODUCT = "wfm_sharepoint"
WARN_DAYS = 30
REFERENCE_ROLES = {"current": "outbound", "next": "next", "previous": "previous"}


def wfm_rows(host: str, wfm: dict, now) -> list:
    rows = []
    for reference, role in REFERENCE_ROLES.items():
        entry = wfm["certificates"].get(wfm["references"].get(reference) or "")
        if entry and entry.get("der"):
            rows.append(der_row(PRODUCT, role, entry["der"], now, WARN_DAYS, host=host, store="LocalMachine\\My"))
    return rows


def sharepoint_rows(host: str, sharepoint: dict, known: dict) -> list:
    """Trusts by thumbprint; the expiry and findings of the outbound certificate with that thumbprint, if read."""
    rows = []
    for role, key in (("issuer", "issuers"), ("trusted", "authorities")):
        for trust in sharepoint.get(key) or []:
            twin = known.get(trust["thumbprint"], {})
            rows.append(certificate_row(PRODUCT, role, trust["thumbprint"], twin.get("not_after", ""), host=host, subject=twin.get("subject", ""),
                                        location=f"SharePoint farm {sharepoint.get('farm_id', '')}: {trust['name']}",
                                        findings=twin.get("findings", ())))
    return rows


def estate(params: dict, reads: dict, context: dict) -> dict:
    now, read = context["now"], readable(reads)
    rows = [row for host, (_role, state) in read.items() if "wfm" in state for row in wfm_rows(host, state["wfm"], now)]
    known = {row["thumbprint"]: row for row in rows}
    rows += [row for host, (_role, state) in read.items() if "sharepoint" in state for row in sharepoint_rows(host, state["sharepoint"], known)]
    human = [deadline(PRODUCT, "human", row["not_after"], "rotate Workflow Manager's outbound certificate (certops.microsoft.wfm_sharepoint) "
                      "before it expires", host=row["host"], thumbprint=row["thumbprint"]) for row in rows if row["role"] == "outbound"]
    return product_estate(PRODUCT, reads, rows, human)
