# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate report: every host's certificate inventory joined with every product's estate rows.

PRIVATE to the collection: the name and location may change without notice.

``estate_document`` builds one document (schema docs/schemas/estate-v1.json); the renderers in
``_estate_render.py`` turn it into JSON, Markdown, HTML, JUnit and iCalendar. A certificate found in a host's
store takes its product and role from the product rows (same host and thumbprint); a product row found in no
store (a trust in SharePoint's configuration, a federation in Entra, a host not inventoried) is a row of its own;
a certificate no product uses is a row with no product, still with its policy findings.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import SEVERITIES, finding
from ansible_collections.certops.microsoft.plugins.module_utils._inventory_report import estate_inventory
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z, parse_iso

SCHEMA = "certops.microsoft/estate"
SCHEMA_VERSION = 1
# Policy violations of certificate_inventory that break trust now; the others are warnings.
CRITICAL_VIOLATIONS = ("expired", "no_private_key", "not_yet_valid")


def inventory_findings(certificate: dict) -> list:
    return [finding("critical" if item["code"] in CRITICAL_VIOLATIONS else "warning", item["code"], item.get("reason", item["code"]))
            for item in certificate.get("violations") or []]


def days_left(not_after: str, as_of) -> int | None:
    return (parse_iso(not_after) - as_of).days if not_after else None


def merged_findings(*lists) -> list:
    """Findings without repeats of the same code (the inventory and the product both see an expiry)."""
    seen, merged = set(), []
    for item in (item for found in lists for item in found):
        if item["code"] not in seen:
            seen.add(item["code"])
            merged.append(item)
    return merged


def stored_row(host: str, certificate: dict, product_row: dict | None, as_of) -> dict:
    product_row = product_row or {}
    return {"host": host, "store": f"{certificate.get('store_location')}\\{certificate.get('store_name')}", "subject": certificate.get("subject") or "",
            "thumbprint": certificate["thumbprint"], "not_after": certificate.get("not_after") or "",
            "days_left": days_left(certificate.get("not_after") or "", as_of), "product": product_row.get("product", ""),
            "role": product_row.get("role", ""), "location": product_row.get("location", ""),
            "findings": merged_findings(inventory_findings(certificate), product_row.get("findings", []))}


def own_row(row: dict, as_of) -> dict:
    """A product row found in no inventoried store."""
    return {**{key: row[key] for key in ("host", "store", "subject", "thumbprint", "not_after", "product", "role", "location")},
            "days_left": days_left(row["not_after"], as_of), "findings": list(row["findings"])}


def product_rows_by_place(estates: list) -> dict:
    places = {}
    for estate in estates:
        for row in estate["certificates"]:
            places.setdefault((row["host"], row["thumbprint"]), []).append(row)
    return places


def joined_rows(inventory, estates: list, as_of) -> list:
    places, used, rows = product_rows_by_place(estates), set(), []
    for host, certificates in inventory.hosts.items():
        for certificate in certificates:
            matches = places.get((host, certificate["thumbprint"])) or [None]
            used.add((host, certificate["thumbprint"]))
            rows += [stored_row(host, certificate, match, as_of) for match in matches]
    rows += [own_row(row, as_of) for place, found in places.items() if place not in used for row in found]
    return sorted(rows, key=lambda row: (row["not_after"] or "9999", row["host"], row["product"], row["role"]))


def worst(row: dict) -> str:
    """The row's worst severity, or "ok"."""
    found = {item["severity"] for item in row["findings"]}
    return next((severity for severity in SEVERITIES if severity in found), "ok")


def totals(rows: list, estates: list) -> dict:
    by_severity = {severity: sum(1 for row in rows if worst(row) == severity) for severity in (*SEVERITIES, "ok")}
    products = sorted({estate["product"] for estate in estates})
    return {"certificates": len(rows), "by_severity": by_severity,
            "by_product": {product: sum(1 for row in rows if row["product"] == product) for product in products}}


def estate_document(inventory_results: dict, estates: list, as_of) -> dict:
    """The report document from ``{host: certificate_inventory result}`` and the products' estate dicts, as of ``as_of``."""
    inventory = estate_inventory(inventory_results)
    rows = joined_rows(inventory, estates, as_of)
    deadlines = sorted((item for estate in estates for item in estate["deadlines"] if item["when"]), key=lambda item: (item["when"], item["product"]))
    upcoming = [item for item in deadlines if parse_iso(item["when"]) >= as_of]
    return {"schema": SCHEMA, "version": SCHEMA_VERSION, "as_of": iso_z(as_of), "products": sorted(estate["product"] for estate in estates),
            "hosts": {"inventoried": list(inventory.hosts), "not_inventoried": inventory.not_inventoried},
            "unread": [{"product": estate["product"], **item} for estate in estates for item in estate["unread"]],
            "certificates": rows, "deadlines": deadlines, "totals": totals(rows, estates),
            "earliest_deadline": upcoming[0] if upcoming else None}


def summary_lines(document: dict, path: str) -> list:
    """What the run prints: counts by severity, the earliest deadline, where the files are."""
    counts = document["totals"]["by_severity"]
    lines = [f"certops estate report as of {document['as_of']}: {document['totals']['certificates']} certificate(s); "
             + ", ".join(f"{counts[severity]} {severity}" for severity in (*SEVERITIES, "ok"))]
    earliest = document["earliest_deadline"]
    lines.append(f"earliest deadline: {earliest['when']} {earliest['product']}: {earliest['what']}" if earliest else "no upcoming deadline")
    if document["hosts"]["not_inventoried"] or document["unread"]:
        unread = sorted(set(document["hosts"]["not_inventoried"]) | {item["host"] for item in document["unread"]})
        lines.append(f"not read: {', '.join(unread)}")
    return lines + [f"written to {path}"]
