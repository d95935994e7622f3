# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange hybrid application in the lab's Entra tenant: what Exchange Online trusts the organisation's tokens with.

The dedicated Exchange hybrid application (Learn "Deploy dedicated Exchange hybrid app";
microsoft/CSS-Exchange Hybrid/ConfigureExchangeHybridApplication.ps1) holds the public keys of the
Auth certificates as ``keyCredentials``. Exchange Online accepts a token the organisation signs only
when the application holds the signing (current) certificate's key; otherwise free/busy, MailTips
and cloud archives fail ("Exchange OAuth authentication couldn't find the authorization certificate
with thumbprint ...", KB 3089171; CSS-Exchange #2250).

Here:
- ``exchange_online_problem``, registered with exchange_health, decides Test-OAuthConnectivity
  against Exchange Online;
- a PATCH of an application's keyCredentials is refused as Graph refuses it: an entry without
  type AsymmetricX509Cert and usage Verify, a key that is not a certificate, the same keyId or the
  same certificate twice;
- the invariant: the hybrid application holds the current Auth certificate's key (the damage a
  scenario starts with, ``hybrid: {holds_current: false}``, is tolerated until it is repaired).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import uuid

from cryptography import x509

from certops_lab.clock import isoformat
from certops_lab.graph.api import GraphApiError, on_application_patch
from certops_lab.invariants import invariant
from certops_lab.products import exchange_health
from certops_lab.products.exchange import organisation, register_topology_hook

BAD_KEY = "Invalid value specified for property 'keyCredentials' of resource 'Application'."


def key_thumbprint(item: dict) -> str:
    """The SHA-1 thumbprint of a keyCredential's certificate (its key); "" when it has none."""
    try:
        return hashlib.sha1(base64.b64decode(item.get("key") or "", validate=True)).hexdigest().upper() if item.get("key") else ""  # nosec B324
    except (binascii.Error, ValueError):
        return ""


def hybrid_application(estate):
    """The organisation's hybrid application (by object id or appId), None when there is none."""
    org, tenant = organisation(estate), estate.products.get("entra")
    wanted = str(((org.hybrid if org else {}) or {}).get("application_id") or "").lower()
    if not wanted or tenant is None:
        return None
    return next((item for item in tenant.applications.values() if wanted in (item["id"].lower(), item["appId"].lower())), None)


def holds(application: dict, thumbprint: str) -> bool:
    return thumbprint in {key_thumbprint(item) for item in application.get("keyCredentials") or []}


def exchange_online_problem(estate, thumbprint: str) -> str:
    application = hybrid_application(estate)
    if application is None:
        return "no Exchange hybrid application is configured for this organisation"
    if not holds(application, thumbprint):
        return (f"Exchange OAuth authentication couldn't find the authorization certificate with thumbprint {thumbprint}: the hybrid "
                f"application {application['appId']} does not hold its key")
    return ""


exchange_health.register_exchange_online_check(exchange_online_problem)


def seed(estate, org) -> None:
    """At lab start: the Hybrid Configuration Wizard put the current certificate's key on the application (unless the topology
    says it did not: that is the scenario's damage)."""
    if not org.hybrid.get("application_id"):
        return
    application = hybrid_application(estate)
    if application is None:
        raise ValueError(f"products.exchange.hybrid.application_id {org.hybrid.get('application_id')!r} is no application of products.entra")
    if not org.hybrid.get("holds_current", True):
        org.damage["application_missing"] = org.auth.current
        return
    certificate_der = exchange_health.certificate_entry(estate, org.auth.current).der
    certificate = x509.load_der_x509_certificate(certificate_der)
    application["keyCredentials"].append({"keyId": str(uuid.uuid4()), "customKeyIdentifier": None, "displayName": "Hybrid Configuration Wizard",
                                          "type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.b64encode(certificate_der).decode(),
                                          "startDateTime": isoformat(certificate.not_valid_before_utc),
                                          "endDateTime": isoformat(certificate.not_valid_after_utc)})


register_topology_hook(seed)


# --- Graph's rules for keyCredentials -----------------------------------------------------------------
def _certificate_key(item) -> str:
    if not isinstance(item, dict) or item.get("type") != "AsymmetricX509Cert" or item.get("usage") != "Verify":
        raise GraphApiError(400, "Request_BadRequest", BAD_KEY)
    try:
        der = base64.b64decode(str(item["key"]), validate=True)
        x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise GraphApiError(400, "Request_BadRequest", BAD_KEY) from None
    return hashlib.sha1(der).hexdigest().upper()  # nosec B324 - a thumbprint


@on_application_patch
def refuse_bad_key_credentials(tenant, application, body) -> None:
    del tenant, application
    if "keyCredentials" not in body:
        return
    seen_ids, seen_keys = set(), set()
    for item in body["keyCredentials"] or []:
        thumbprint = _certificate_key(item)
        key_id = str(item.get("keyId") or "")
        if (key_id and key_id in seen_ids) or (thumbprint and thumbprint in seen_keys):
            raise GraphApiError(400, "Request_BadRequest", f"Key credential {key_id or thumbprint} is given twice: keyIds and certificates "
                                                           "must be unique in keyCredentials.")
        seen_ids.add(key_id)
        seen_keys.add(thumbprint)


@invariant("exchange_online_holds_current_auth_key")
def exchange_online_missing_key(estate) -> list:
    org = organisation(estate)
    application = hybrid_application(estate) if org and org.hybrid else None
    if application is None:
        return []
    current = org.auth_view(estate, estate.clock).current
    if holds(application, current) or org.damage.get("application_missing") == current:
        return []
    return [f"the Exchange hybrid application {application['appId']} does not hold the key of the current Auth certificate {current}: "
            "Exchange Online rejects the organisation's OAuth tokens (free/busy, MailTips, cloud archives fail)"]
