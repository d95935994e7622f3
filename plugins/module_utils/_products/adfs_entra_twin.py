# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: AD FS + Entra as lab topology sections (module_utils/_twin.py).

The AD FS group is one farm: its primary node, service account, AdfsProperties, token-signing and token-decrypting
certificates (CA-issued ones by reference, auto-rollover ones as generated certificates with their validity) and its
relying parties; the Entra tenant with its domains, what each federated domain holds, the role's app and the cloud-only
Global Administrators the read found.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import der_facts, readable
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
from ansible_collections.certops.microsoft.plugins.module_utils._twin import offset, reference

FARM = "fs"
ENTRA_RELYING_PARTY = "urn:federation:MicrosoftOnline"
PROPERTIES = {"auto_rollover": "AutoCertificateRollover", "generation": "CertificateGenerationThreshold",
              "promotion": "CertificatePromotionThreshold", "critical": "CertificateCriticalThreshold", "duration": "CertificateDuration",
              "interval": "CertificateRolloverInterval", "multiplier": "CertificateThresholdMultiplier"}
KINDS = {"Token-Signing": "token_signing", "Token-Decrypting": "token_decrypting"}

# The role variables the twin takes from the inventory (never a secret).
VARIABLES = ("adfs_entra_graph_tenant_id", "adfs_entra_graph_client_id", "adfs_entra_metadata_reachable")


def farm_certificate(certificate: dict, context: dict) -> dict:
    """A certificate the twin issues is referenced; one only AD FS holds (auto-rollover's, in DKM) is generated anew."""
    entry = {"primary": bool(certificate.get("primary"))}
    if certificate["thumbprint"].upper() in context["ids"]:
        return {**entry, "certificate": reference(certificate["thumbprint"], context["ids"])}
    facts = der_facts(certificate["der"])
    return {**entry, **{key: offset(iso_z(facts[key]), context["as_of"]) for key in ("not_before", "not_after")}}


def relying_parties(adfs: dict) -> list:
    return [{"name": party["name"], "identifier": (party.get("identifiers") or [party["name"]])[0], "enabled": bool(party.get("enabled", True)),
             "monitoring": bool(party.get("monitoring")), "metadata_url": party.get("metadata_url") or ""}
            for party in adfs.get("relying_parties") or [] if ENTRA_RELYING_PARTY not in (party.get("identifiers") or [])]


def adfs_farm(read: dict, variables: dict, context: dict) -> dict:
    primary = next((host for host, (_role, state) in read.items() if state["adfs"].get("sync_role") == "PrimaryComputer"), next(iter(read)))
    adfs = read[primary][1]["adfs"]
    farm = {"name": FARM, "hosts": list(read), "primary": primary, "service_account": adfs.get("service_account") or "",
            "host_name": adfs["properties"]["host_name"], "identifier": adfs["properties"]["identifier"],
            "metadata_reachable": variables.get("adfs_entra_metadata_reachable") not in (False, "false", "False"),
            "properties": {name: adfs["properties"][key] for key, name in PROPERTIES.items() if key in adfs["properties"]},
            "relying_parties": relying_parties(adfs)}
    for kind, section in KINDS.items():
        farm[section] = [farm_certificate(item, context) for item in adfs["certificates"] if item["type"] == kind]
    return farm


def holds(federation: dict, adfs: dict, domain: str, context: dict) -> list:
    """What Entra holds, in the farm's terms (primary/secondary token-signing); anything else is named in the notes."""
    signing = {("primary" if item.get("primary") else "secondary"): item["thumbprint"].upper()
               for item in adfs["certificates"] if item["type"] == "Token-Signing"}
    by_thumbprint = {thumbprint: name for name, thumbprint in signing.items()}
    held = [by_thumbprint.get((federation.get(key) or "").upper()) for key in ("signing", "next") if federation.get(key)]
    if None in held or not held:
        context["notes"].append(f"Entra domain {domain}: holds {federation.get('signing')}/{federation.get('next') or '-'}, not all the farm's "
                                "token-signing certificates; the twin's domain holds the farm's primary")
        return ["primary"]
    return held


def domain_entry(domain: dict, adfs: dict, context: dict) -> dict:
    if domain.get("authentication_type") != "Federated" or not domain.get("federation"):
        return {"id": domain["id"]}
    federation = domain["federation"]
    return {"id": domain["id"], "federated_by": FARM, "holds": holds(federation, adfs, domain["id"], context),
            "update_result": federation.get("update_result") or None}


def entra_section(entra: dict, adfs: dict, variables: dict, context: dict) -> dict:
    domains = entra.get("domains") or []
    initial = next((domain["id"] for domain in domains if domain["id"].endswith(".onmicrosoft.com")), "lab.onmicrosoft.com")
    admins = (entra.get("global_admins") or {}).get("cloud_only") or []
    section = {"tenant_id": variables.get("adfs_entra_graph_tenant_id") or None, "initial_domain": initial,
               "domains": [domain_entry(domain, adfs, context) for domain in domains if domain["id"] != initial],
               "apps": [{"client_id": variables.get("adfs_entra_graph_client_id") or "00000000-0000-0000-0000-000000000000",
                         "display_name": "certops", "roles": list(entra.get("roles") or [])}]}
    if admins:
        section["users"] = [{"upn": upn, "global_admin": True} for upn in admins]
    return {key: value for key, value in section.items() if value is not None}


def twin(reads: dict, variables: dict, context: dict) -> dict:
    read = {host: item for host, item in readable(reads).items() if "adfs" in item[1]}
    if not read:
        return {}
    sections = {"adfs": [adfs_farm(read, variables, context)]}
    first = next(iter(read.values()))[1]
    if first.get("entra") and not first["entra"].get("error"):
        sections["entra"] = entra_section(first["entra"], first["adfs"], variables, context)
    return sections
