# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager's outbound certificate references, read from Get-WFOutboundCertificate's output.

PRIVATE to the collection: the name and location may change without notice.

The output type of Get-WFOutboundCertificate is not documented (it wraps
WorkflowServiceManager.GetOutboundCertificateReferences), so the script passes every property
back as text and the thumbprints are found here: the 40-hex value of each property whose name
contains current, next or previous; a reference with a lone Thumbprint property is the current one.
"""
from __future__ import annotations

import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

ROLES = ("current", "next", "previous")
_THUMBPRINT = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")


def thumbprint_in(value) -> str:
    """The one 40-hex-digit run in a property value, upper case; "" when there is none."""
    found = _THUMBPRINT.findall(str(value or ""))
    return found[0].upper() if len(found) == 1 else ""


def role_of(property_name: str, reference: dict) -> str | None:
    """Which reference a property describes (current / next / previous), or None."""
    lowered = property_name.lower()
    for role in ROLES:
        if role in lowered:
            return role
    if lowered == "thumbprint" and not any(role in key.lower() for key in reference for role in ROLES):
        return "current"
    return None


def outbound_references(references) -> dict:
    """{current, next, previous} thumbprints ("" when unset) from the script's References list."""
    if not isinstance(references, list) or not all(isinstance(reference, dict) for reference in references):
        raise CertopsError(f"Get-WFOutboundCertificate returned references in an unexpected shape: {references!r:.200}")
    found = dict.fromkeys(ROLES, "")
    for reference in references:
        for name, value in reference.items():
            role = role_of(name, reference)
            if role and thumbprint_in(value):
                found[role] = thumbprint_in(value)
    return found
