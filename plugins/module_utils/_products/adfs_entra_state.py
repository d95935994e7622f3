# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS + Entra: what one read of an AD FS node and one Graph read say, as plain data the rules read.

PRIVATE to the collection: the name and location may change without notice.

An AD FS node (adfs_node_get.ps1): its WID sync role (``Get-AdfsSyncProperties`` Role
PrimaryComputer / SecondaryComputer, as ``Set-AdfsSyncProperties`` documents them), the adfssrv
service account, the farm's AdfsProperties, token-signing and token-decrypting certificates and
relying party trusts (every node holds a copy of the configuration), and LocalMachine\\My with the
key readers of each certificate (a CA-issued key must be readable by the service account on every
node). A federated domain (Graph internalDomainFederation): signing and next certificates as
thumbprints, Entra's update status, and the raw JSON for the snapshot.
"""
from __future__ import annotations

import base64
import hashlib

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read

PRIMARY_ROLE = "PrimaryComputer"
ENTRA_IDENTIFIERS = ("urn:federation:microsoftonline",)
PROPERTY_NAMES = {"identifier": "Identifier", "host_name": "HostName", "auto_rollover": "AutoCertificateRollover",
                  "generation": "CertificateGenerationThreshold", "promotion": "CertificatePromotionThreshold",
                  "critical": "CertificateCriticalThreshold", "duration": "CertificateDuration", "interval": "CertificateRolloverInterval",
                  "multiplier": "CertificateThresholdMultiplier"}


def thumbprint_of_base64(text) -> str:
    """Windows' thumbprint (SHA-1 of the DER, upper case) of a base64 certificate; "" for none."""
    try:
        return hashlib.sha1(base64.b64decode(str(text), validate=True)).hexdigest().upper() if text else ""  # nosec B324 - a thumbprint
    except ValueError:
        return ""


def properties(output: dict) -> dict:
    raw = output.get("Properties") or {}
    found = {key: raw.get(name) for key, name in PROPERTY_NAMES.items()}
    found["auto_rollover"] = bool(found["auto_rollover"])
    return found


def adfs_certificate(item: dict) -> dict:
    return {"type": str(item.get("CertificateType") or ""), "thumbprint": str(item.get("Thumbprint") or "").upper(),
            "primary": bool(item.get("IsPrimary")), "der": str(item.get("Certificate") or "")}


def relying_party(item: dict) -> dict:
    identifiers = item.get("Identifier") or []
    return {"name": str(item.get("Name") or ""), "identifiers": [str(value) for value in (identifiers if isinstance(identifiers, list) else [identifiers])],
            "enabled": bool(item.get("Enabled")), "monitoring": bool(item.get("MonitoringEnabled")), "metadata_url": str(item.get("MetadataUrl") or "")}


def store_entry(item: dict) -> dict:
    return {"der": str(item.get("Certificate") or ""), "has_key": bool(item.get("HasPrivateKey")), "readers": item.get("KeyReaders")}


def node_state(output: dict) -> dict:
    """The normalised read of one AD FS node."""
    return {"computer": str(output.get("ComputerName") or ""), "sync_role": str(output.get("SyncRole") or ""),
            "primary_computer": str(output.get("PrimaryComputerName") or ""), "service_account": str(output.get("ServiceAccount") or ""),
            "properties": properties(output), "certificates": [adfs_certificate(item) for item in output.get("AdfsCertificates") or []],
            "relying_parties": [relying_party(item) for item in output.get("RelyingParties") or []],
            "store": {str(item.get("Thumbprint") or "").upper(): store_entry(item) for item in output.get("Certificates") or []
                      if isinstance(item, dict)}}


# --- the farm as the primary node reports it ------------------------------------------------------------
def certificates_of(state: dict, kind: str) -> list:
    """AD FS certificates of one type, each with its facts (validity, subject) from the certificate core."""
    found = []
    for item in state["certificates"]:
        if item["type"] == kind:
            facts = inspect_data(base64.b64decode(item["der"])) if item["der"] else {}
            found.append(dict(item, not_after=facts.get("not_after", ""), not_before=facts.get("not_before", ""),
                              subject=facts.get("subject", ""), self_signed=facts.get("self_signed")))
    return found


def primary_of(state: dict, kind: str):
    return next((item for item in certificates_of(state, kind) if item["primary"]), None)


def secondaries_of(state: dict, kind: str) -> list:
    """Non-primary certificates of a type, newest (latest expiry) first."""
    return sorted((item for item in certificates_of(state, kind) if not item["primary"]), key=lambda item: item["not_after"], reverse=True)


def newer_secondary(state: dict, kind: str):
    """The secondary that outlives the primary (auto-rollover's next certificate), if any."""
    primary = primary_of(state, kind)
    return next((item for item in secondaries_of(state, kind) if primary and item["not_after"] > primary["not_after"]), None)


def is_entra(party: dict) -> bool:
    return any(value.lower() in ENTRA_IDENTIFIERS for value in party["identifiers"])


def manual_relying_parties(state: dict, consumers: list) -> list:
    """Enabled relying parties besides Entra whose trust does not come from monitored metadata, unless named as metadata consumers."""
    named = {name.lower() for name in consumers}
    return [party for party in state["relying_parties"]
            if party["enabled"] and not is_entra(party) and not party["monitoring"] and party["name"].lower() not in named]


def key_problem(state: dict, thumbprint: str, account: str) -> str:
    """Why a node cannot use a CA-issued certificate ("" when it can): absent, no key, or the service account cannot read it."""
    entry = state["store"].get(thumbprint)
    if entry is None or not entry["has_key"]:
        return "is not in LocalMachine\\My with its private key"
    if entry["readers"] is None:
        return "has a private key whose readers could not be read (a key kept in a user profile)"
    if not has_read(account, entry["readers"]):
        return f"has a private key that {account} cannot read"
    return ""


# --- Entra ---------------------------------------------------------------------------------------------
def federation_state(raw: dict) -> dict:
    status = raw.get("signingCertificateUpdateStatus") or {}
    return {"id": str(raw.get("id") or ""), "issuer_uri": str(raw.get("issuerUri") or ""), "passive_sign_in_uri": str(raw.get("passiveSignInUri") or ""),
            "signing": thumbprint_of_base64(raw.get("signingCertificate")), "next": thumbprint_of_base64(raw.get("nextSigningCertificate")),
            "update_result": status.get("certificateUpdateResult"), "update_time": status.get("lastRunDateTime")}


def holds(domain: dict, thumbprint: str) -> bool:
    federation = domain.get("federation") or {}
    return bool(thumbprint) and thumbprint in (federation.get("signing"), federation.get("next"))
