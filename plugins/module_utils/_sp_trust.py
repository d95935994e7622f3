# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decisions about SharePoint's trusts in Workflow Manager's certificates (issuers, root authorities).

PRIVATE to the collection: the name and location may change without notice.

Both kinds of trust are lists of {name, id, thumbprint, ...} entries. The rules shared by the
modules that manage them live here:
- make before break: a certificate is trusted by a NEW entry; an entry with the wanted name but
  another certificate is never overwritten (it may be the only trust that works right now), the
  new one gets the name with the thumbprint's first eight digits appended;
- removal only of entries whose certificate is named for removal, never of a protected one
  (the role protects Workflow Manager's current outbound certificate).
"""
from __future__ import annotations

import base64
import binascii
import re

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

WORKFLOW_PRINCIPAL = "00000005-0000-0000-c000-000000000000"
DEFAULT_REGISTERED_ISSUER_NAME = f"{WORKFLOW_PRINCIPAL}@*"
_REGISTERED_ISSUER_NAME = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}@(\*|[0-9a-fA-F-]{36})")
SHORT_THUMBPRINT = 8


def registered_issuer_name(value: str) -> str:
    """<principal>@* or <principal>@<realm GUID>, lower case as SharePoint stores it."""
    text = str(value or "").strip()
    if not _REGISTERED_ISSUER_NAME.fullmatch(text):
        raise CertopsError(f"registered_issuer_name {value!r} is not of the form <principal GUID>@* or <principal GUID>@<realm GUID>, "
                           f"e.g. {DEFAULT_REGISTERED_ISSUER_NAME}")
    return text.lower()


def is_workflow_issuer(registered_name: str, realm: str) -> bool:
    """Whether an issuer is one SharePoint consults for Workflow Manager's tokens (@* or @<realm>)."""
    return str(registered_name or "").lower() in (DEFAULT_REGISTERED_ISSUER_NAME, f"{WORKFLOW_PRINCIPAL}@{realm}".lower())


def default_is_self_issuer(facts: dict) -> bool:
    """IsSelfIssuer when the user gives none: Workflow Manager's auto-generated outbound
    certificate is self-signed (issuer = subject, signed by its own key); a certificate from
    your own CA is not (the seed: $true for the auto-generated one, $false for your own)."""
    return bool(facts.get("self_signed"))


def certificate_facts(base64_der: str, now) -> dict:
    """thumbprint, subject, not_after, days_remaining of a certificate SharePoint returned; {} without one."""
    if not base64_der:
        return {}
    # Imported here: the certificate core loads the cryptography library, which the rotation engine's
    # read phase (one forked worker per host) uses these helpers without.
    from ansible_collections.certops.microsoft.plugins.module_utils import _certificate  # pylint: disable=import-outside-toplevel
    try:
        certificate = _certificate.load_bundle(base64.b64decode(base64_der, validate=True)).certificates[0]
    except (binascii.Error, ValueError, CertopsError) as err:
        raise CertopsError(f"SharePoint returned a certificate that cannot be read: {err}") from None
    facts = _certificate.describe_certificate(certificate, now=now)
    return {key: facts[key] for key in ("subject", "issuer", "not_after", "days_remaining", "expired", "self_signed")}


def distinct_name(name: str, thumbprint: str, entries: list) -> str:
    """``name``, or ``name-<first 8 thumbprint digits>`` when another certificate already holds ``name``."""
    taken = {str(entry.get("name", "")).lower() for entry in entries}
    if name.lower() not in taken:
        return name
    candidate = f"{name}-{thumbprint[:SHORT_THUMBPRINT]}"
    if candidate.lower() in taken:
        raise CertopsError(f"both {name!r} and {candidate!r} are already used by other certificates: choose another name")
    return candidate


def refuse_protected_removal(to_remove: set, protected: set, noun: str) -> None:
    """Fail before any change when asked to remove a protected certificate's trust."""
    clash = sorted(to_remove & protected)
    if clash:
        raise CertopsError(f"refusing to remove the {noun} for {', '.join(clash)}: that thumbprint is protected "
                           "(Workflow Manager signs with it now; removing it makes every workflow fail with HTTP 401 "
                           "'Invalid JWT token'); switch Workflow Manager to the new certificate first")


def entries_to_remove(entries: list, thumbprints: set, protected: set, noun: str) -> list:
    """The entries whose certificate is named for removal; a protected one found on the server fails."""
    chosen = [entry for entry in entries if entry.get("thumbprint") in thumbprints]
    refuse_protected_removal({entry["thumbprint"] for entry in chosen}, protected, noun)
    return chosen
