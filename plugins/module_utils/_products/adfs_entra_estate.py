# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: AD FS + Entra's part of the estate report (module_utils/_estate.py).

The token-signing and token-decrypting certificates (primary, secondary) on every AD FS node; each federated domain's
signing and next certificates in Entra, flagged when Entra does not trust AD FS's primary; AD FS auto-rollover's own
dates from the farm's thresholds, or, with auto-rollover off, the latest date to rotate.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import certificate_row, deadline, der_row, finding, product_estate, readable
from ansible_collections.certops.microsoft.plugins.module_utils._timeline import adfs_rollover_schedule

PRODUCT = "adfs_entra"
WARN_DAYS = 60     # Windows Server docs: plan a manual rollover at least 60 days ahead


def node_rows(host: str, adfs: dict, now) -> list:
    return [der_row(PRODUCT, "primary" if entry["primary"] else "secondary", entry["der"], now, WARN_DAYS, host=host,
                    store="LocalMachine\\My", location=f"AD FS {entry['type']}") for entry in adfs["certificates"] if entry.get("der")]


def domain_rows(entra: dict, known: dict, primary: str) -> list:
    rows = []
    for domain in entra.get("domains") or []:
        federation = domain.get("federation") or {}
        for role in ("signing", "next"):
            thumbprint = federation.get(role) or ""
            if thumbprint:
                twin = known.get(thumbprint.upper(), {})
                findings = [finding("critical", "entra_not_in_step", f"Entra signs in {domain['id']} with {thumbprint}, not AD FS's primary "
                                    f"{primary}: federated sign-ins fail")] if role == "signing" and primary and thumbprint.upper() != primary else []
                rows.append(certificate_row(PRODUCT, "current" if role == "signing" else "next", thumbprint, twin.get("not_after", ""),
                                            subject=twin.get("subject", ""), location=f"Entra: {domain['id']} federation", findings=findings))
    return rows


def rollover_deadlines(adfs: dict, primary_row: dict) -> list:
    properties = adfs.get("properties") or {}
    if not properties.get("auto_rollover"):
        return [deadline(PRODUCT, "human", primary_row["not_after"], "rotate the token-signing certificate (certops.microsoft.adfs_entra, mode ca) "
                         "and keep Entra in step, before it expires", thumbprint=primary_row["thumbprint"])]
    dates = adfs_rollover_schedule(primary_row["not_after"], properties.get("generation", 20), properties.get("promotion", 5), properties.get("critical", 2))
    return [deadline(PRODUCT, "automatic", dates["generation_date"], "AD FS generates the next token-signing certificate (auto-rollover)"),
            deadline(PRODUCT, "automatic", dates["promotion_date"], "AD FS promotes it; Entra must hold it as next by then")]


def estate(params: dict, reads: dict, context: dict) -> dict:
    read, now = readable(reads), context["now"]
    rows = [row for host, (_role, state) in read.items() if "adfs" in state for row in node_rows(host, state["adfs"], now)]
    signing = [row for row in rows if row["role"] == "primary" and row["location"] == "AD FS Token-Signing"]
    known = {row["thumbprint"]: row for row in rows}
    entra = next((state["entra"] for _host, (_role, state) in read.items() if "entra" in state), {})
    rows += domain_rows(entra, known, signing[0]["thumbprint"] if signing else "")
    adfs = next((state["adfs"] for _host, (_role, state) in read.items() if "adfs" in state), None)
    return product_estate(PRODUCT, reads, rows, rollover_deadlines(adfs, signing[0]) if adfs and signing else [])
