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
Dates are UTC ISO 8601 strings (``_time.iso``); thumbprints upper-case hex.
"""
from __future__ import annotations

SEVERITIES = ("critical", "warning", "info")
ROLES = ("current", "next", "previous", "primary", "secondary", "outbound", "issuer", "trusted", "cluster", "client",
         "server", "encryption", "signing", "decrypting", "key credential", "auth", "ssl")
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
