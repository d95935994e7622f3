# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the rows a product contributes to the estate report.

A product's rules module may provide ``estate(params, reads, context) -> dict`` (the engine's
``estate`` phase calls it with the same reads as the plan, and no rotation input):

    {"product": "<product>",
     "certificates": [certificate_row(...), ...],   # every certificate the product uses, by role
     "deadlines": [deadline(...), ...],             # what the product does by itself, and what a human must do, with dates
     "unread": [{"host": ..., "error": ...}]}       # hosts of the product that could not be read

The estate report (``estate_report``) joins these with the certificate inventory of every host: a
certificate found in a host's store gets the product and role from here; a certificate that lives
outside any host (a federation trust in Entra, an application's key credential) is a row of its own.
Dates are UTC ISO 8601 strings (``_time.iso_z``); thumbprints upper-case hex.
"""
from __future__ import annotations

import base64
import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._cert_describe import name_text, thumbprint, validity
from ansible_collections.certops.microsoft.plugins.module_utils._cert_load import der_certificate
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z

SEVERITIES = ("critical", "warning", "info")
ROLES = ("current", "next", "previous", "primary", "secondary", "outbound", "issuer", "trusted", "cluster", "client",
         "encryption", "signing", "key credential")
DEADLINE_KINDS = ("automatic", "human", "expiry")


def finding(severity: str, code: str, message: str) -> dict:
    """One policy finding about a certificate (``code`` is stable, for filters and JUnit)."""
    if severity not in SEVERITIES:
        raise ValueError(f"finding severity {severity!r} is not one of {SEVERITIES}")
    return {"severity": severity, "code": code, "message": message}


def certificate_row(product: str, role: str, thumbprint: str, not_after: str, *, host: str = "", store: str = "",
                    subject: str = "", location: str = "", findings: tuple = ()) -> dict:
    """One certificate as a product uses it. ``host``/``store`` locate it on a Windows host (store as
    ``LocalMachine\\My``); ``location`` names where it lives otherwise (``Entra: contoso.com federation``)."""
    if role not in ROLES:
        raise ValueError(f"certificate role {role!r} is not one of {ROLES}")
    return {"product": product, "role": role, "thumbprint": thumbprint.upper(), "not_after": not_after, "host": host,
            "store": store, "subject": subject, "location": location, "findings": list(findings)}


def deadline(product: str, kind: str, when: str, what: str, *, host: str = "", thumbprint: str = "") -> dict:
    """A dated event: the product acting by itself (``automatic``: AD FS rollover, Exchange's effective
    date), a human action and its latest date (``human``: LCS Update Settings, hybrid wizard), or an
    expiry (``expiry``)."""
    if kind not in DEADLINE_KINDS:
        raise ValueError(f"deadline kind {kind!r} is not one of {DEADLINE_KINDS}")
    return {"product": product, "kind": kind, "when": when, "what": what, "host": host, "thumbprint": thumbprint.upper()}


def unread_hosts(reads: dict) -> list:
    """The hosts of the product whose read failed, as the estate's ``unread`` list."""
    return [{"host": host, "error": read.get("read_error", "")} for host, read in sorted((reads or {}).items())
            if read and read.get("role") and read.get("state") is None]


def expiry_findings(not_after: datetime.datetime, now: datetime.datetime, warn_days: int) -> list:
    """critical once expired, warning within ``warn_days`` (the product's own planning horizon)."""
    days = (not_after - now).days
    if not_after <= now:
        return [finding("critical", "expired", f"expired {-days} day(s) ago")]
    if days < warn_days:
        return [finding("warning", "expires_soon", f"expires in {days} day(s), within the {warn_days}-day planning horizon")]
    return []


def der_facts(der_base64: str) -> dict:
    """thumbprint, subject, not_before and not_after (datetimes) of a certificate as the reads carry it (base64 DER)."""
    certificate = der_certificate(base64.b64decode(der_base64), "a certificate the product read")
    not_before, not_after = validity(certificate)
    return {"thumbprint": thumbprint(certificate), "subject": name_text(certificate, "subject"), "not_before": not_before, "not_after": not_after}


def der_row(product: str, role: str, der_base64: str, now: datetime.datetime, warn_days: int, **where) -> dict:
    """The certificate_row of a certificate the product read, with its expiry findings."""
    facts = der_facts(der_base64)
    return certificate_row(product, role, facts["thumbprint"], iso_z(facts["not_after"]), subject=facts["subject"],
                           findings=expiry_findings(facts["not_after"], now, warn_days), **where)


def first_per_thumbprint(rows: list) -> list:
    """The first row of each certificate: a certificate on several hosts, or in several roles, counts once."""
    first = {}
    for row in rows:
        first.setdefault(row["thumbprint"], row)
    return list(first.values())


def expiry_deadlines(rows: list) -> list:
    """One ``expiry`` deadline per distinct certificate of the rows."""
    return [deadline(row["product"], "expiry", row["not_after"], f"{row['subject'] or row['thumbprint']} ({row['role']}) expires",
                     thumbprint=row["thumbprint"]) for row in first_per_thumbprint(rows)]


def product_estate(product: str, reads: dict, rows: list, deadlines: list = ()) -> dict:
    """The dict a product's estate() returns."""
    return {"product": product, "certificates": rows, "deadlines": expiry_deadlines(rows) + list(deadlines), "unread": unread_hosts(reads)}


def readable(reads: dict) -> dict:
    """{host: (role, state)} of the hosts of the product that were read."""
    return {host: (read["role"], read["state"]) for host, read in sorted((reads or {}).items())
            if isinstance(read, dict) and read.get("role") and isinstance(read.get("state"), dict)}
