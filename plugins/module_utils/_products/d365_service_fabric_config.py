# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Service Fabric standalone cluster configuration (ClusterConfig.json) as pure transforms.

PRIVATE to the collection: the name and location may change without notice.

Shapes (Microsoft Learn: "Secure a standalone cluster on Windows by using X.509 certificates",
service-fabric-windows-cluster-x509-security; the D365 on-premises "Certificate rotation" page,
certificate-rotation-on-prem): ``properties.security.CertificateInformation`` holds either
- thumbprints: ``ClusterCertificate`` / ``ServerCertificate`` ``{Thumbprint, ThumbprintSecondary,
  X509StoreName}`` and ``ClientCertificateThumbprints`` ``[{CertificateThumbprint, IsAdmin}]``, or
- common names: ``ClusterCertificateCommonNames`` / ``ServerCertificateCommonNames``
  ``{CommonNames: [{CertificateCommonName, CertificateIssuerThumbprint}], X509StoreName}`` and
  ``ClientCertificateCommonNames`` ``[{CertificateCommonName, CertificateIssuerThumbprint, IsAdmin}]``.

The D365 procedure, thumbprint layout: rotation sets ``Thumbprint`` = new and ``ThumbprintSecondary``
= old, adds the new client thumbprint as admin and demotes the old one; cleanup drops the
secondary and the old client entry; both bump ``clusterConfigurationVersion``. Service Fabric
refuses "Upgrading from two different certificates to two different certificates" (a secondary
left over from an earlier rotation) and an upgrade that adds and removes certificates at once,
so both are refused here before anything is sent.
"""
from __future__ import annotations

import copy

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

THUMBPRINT = "thumbprint"
COMMON_NAME = "common_name"
SERVER_SECTIONS = ("ClusterCertificate", "ServerCertificate")
CN_SECTIONS = ("ClusterCertificateCommonNames", "ServerCertificateCommonNames")
CLIENTS = "ClientCertificateThumbprints"
TWO_TO_TWO = "Upgrading from two different certificates to two different certificates is not allowed"


def certificate_information(config: dict) -> dict:
    """``properties.security.CertificateInformation``, or CertopsError naming what is missing."""
    try:
        information = config["properties"]["security"]["CertificateInformation"]
    except (KeyError, TypeError):
        raise CertopsError("the cluster configuration has no properties.security.CertificateInformation: it is not an X.509-secured "
                           "standalone cluster (Get-ServiceFabricClusterConfiguration)") from None
    if not isinstance(information, dict):
        raise CertopsError("properties.security.CertificateInformation of the cluster configuration is not an object")
    return information


def layout(config: dict) -> str:
    """``thumbprint`` or ``common_name``; CertopsError for a configuration that mixes them or has neither."""
    information = certificate_information(config)
    by_thumbprint = any(section in information for section in SERVER_SECTIONS)
    by_name = any(section in information for section in CN_SECTIONS)
    if by_thumbprint == by_name:
        found = ", ".join(sorted(information)) or "nothing"
        raise CertopsError(f"the cluster configuration names its certificates neither by thumbprint nor by common name alone "
                           f"(CertificateInformation has {found}); fix the cluster configuration first")
    return THUMBPRINT if by_thumbprint else COMMON_NAME


def _thumbprint(value) -> str:
    return normalize_thumbprint(str(value)) if value else ""


def server_thumbprints(config: dict) -> dict:
    """{section: (Thumbprint, ThumbprintSecondary)} of a thumbprint-based configuration, normalised."""
    information = certificate_information(config)
    return {section: (_thumbprint(information[section].get("Thumbprint")), _thumbprint(information[section].get("ThumbprintSecondary")))
            for section in SERVER_SECTIONS if isinstance(information.get(section), dict)}


def client_entries(config: dict) -> list:
    """[(thumbprint, is_admin)] of ClientCertificateThumbprints, normalised."""
    entries = certificate_information(config).get(CLIENTS) or []
    return [(_thumbprint(entry.get("CertificateThumbprint")), bool(entry.get("IsAdmin"))) for entry in entries if isinstance(entry, dict)]


def primary_thumbprint(config: dict) -> str:
    """The cluster certificate's Thumbprint (the certificate the cluster presents)."""
    return server_thumbprints(config).get("ClusterCertificate", ("", ""))[0]


def secondary_thumbprint(config: dict) -> str:
    return server_thumbprints(config).get("ClusterCertificate", ("", ""))[1]


def admin_clients(config: dict) -> list:
    return [thumbprint for thumbprint, admin in client_entries(config) if admin]


def referenced_thumbprints(config: dict) -> set:
    """Every thumbprint the configuration names: server primaries, secondaries and client entries."""
    servers = {value for pair in server_thumbprints(config).values() for value in pair if value}
    return servers | {thumbprint for thumbprint, _admin in client_entries(config) if thumbprint}


def bumped_version(version) -> str:
    """The next clusterConfigurationVersion: the first number plus one, the others zero (1.0.0 -> 2.0.0)."""
    parts = str(version or "").strip().split(".")
    if not all(part.isdigit() for part in parts):
        raise CertopsError(f"clusterConfigurationVersion {version!r} is not a dotted version such as 1.0.0; set it in the cluster "
                           "configuration first")
    return ".".join([str(int(parts[0]) + 1)] + ["0"] * (len(parts) - 1))


def _with_version(config: dict) -> dict:
    updated = copy.deepcopy(config)
    updated["clusterConfigurationVersion"] = bumped_version(config.get("clusterConfigurationVersion"))
    return updated


def refuse_two_to_two(config: dict) -> None:
    leftovers = [section for section, (_primary, secondary) in server_thumbprints(config).items() if secondary]
    if leftovers:
        raise CertopsError(f"the cluster configuration still has a ThumbprintSecondary ({secondary_thumbprint(config)}) from an earlier "
                           f"rotation in {', '.join(leftovers)}; Service Fabric would refuse the upgrade (\"{TWO_TO_TWO}\"). Clean up "
                           "the old thumbprints first: run the role with d365_service_fabric_cleanup=true once the earlier rotation "
                           "is complete")


def refuse_add_and_remove(before: dict, after: dict) -> None:
    """One configuration upgrade may add certificates or remove them, never both."""
    old, new = referenced_thumbprints(before), referenced_thumbprints(after)
    if new - old and old - new:
        raise CertopsError(f"one cluster configuration upgrade would add {', '.join(sorted(new - old))} and remove "
                           f"{', '.join(sorted(old - new))}; Service Fabric refuses that (\"Certificates cannot be added and removed at "
                           "the same time\"): rotate first, clean up in a later upgrade")


def rotated(config: dict, server: str, client: str) -> dict:
    """The rotation upgrade: server certificate new (old as secondary), new client admin, old client demoted, version bumped."""
    if layout(config) != THUMBPRINT:
        raise CertopsError("the cluster names its certificates by common name: there is no thumbprint to rotate in its configuration")
    refuse_two_to_two(config)
    old = primary_thumbprint(config)
    if old == server:
        raise CertopsError(f"certificate {server} is already the cluster certificate; give the NEW server certificate")
    updated = _with_version(config)
    information = certificate_information(updated)
    for section in SERVER_SECTIONS:
        if isinstance(information.get(section), dict):
            information[section].update(Thumbprint=server, ThumbprintSecondary=information[section].get("Thumbprint") or old)
    information[CLIENTS] = _rotated_clients(information.get(CLIENTS) or [], client)
    refuse_add_and_remove(config, updated)
    return updated


def _rotated_clients(entries: list, client: str) -> list:
    kept = [dict(entry, IsAdmin=False) if entry.get("IsAdmin") and _thumbprint(entry.get("CertificateThumbprint")) != client else dict(entry)
            for entry in entries]
    if not any(_thumbprint(entry.get("CertificateThumbprint")) == client for entry in kept):
        kept.append({"CertificateThumbprint": client, "IsAdmin": True})
    return [dict(entry, IsAdmin=True) if _thumbprint(entry.get("CertificateThumbprint")) == client else entry for entry in kept]


def cleaned(config: dict, retired_clients: list) -> dict:
    """The cleanup upgrade: no ThumbprintSecondary, the retired client entries gone, version bumped."""
    if layout(config) != THUMBPRINT:
        raise CertopsError("the cluster names its certificates by common name: there are no old thumbprints to clean up")
    retired = {_thumbprint(value) for value in retired_clients}
    updated = _with_version(config)
    information = certificate_information(updated)
    for section in SERVER_SECTIONS:
        if isinstance(information.get(section), dict):
            information[section].pop("ThumbprintSecondary", None)
    information[CLIENTS] = [entry for entry in information.get(CLIENTS) or []
                            if _thumbprint(entry.get("CertificateThumbprint")) not in retired or entry.get("IsAdmin")]
    if not admin_clients(updated):
        raise CertopsError("cleanup would leave the cluster without an admin client certificate; rotate the client certificate first")
    refuse_add_and_remove(config, updated)
    return updated


def needs_cleanup(config: dict, retired_clients: list) -> bool:
    retired = {_thumbprint(value) for value in retired_clients}
    demoted = any(thumbprint in retired and not admin for thumbprint, admin in client_entries(config))
    return bool(secondary_thumbprint(config)) or demoted


def _issuers(value) -> list:
    """CertificateIssuerThumbprint: one thumbprint or several separated by commas; empty means any issuer."""
    return [_thumbprint(part) for part in str(value or "").split(",") if part.strip()]


def common_names(config: dict) -> list:
    """[(common name, [issuer thumbprints])] the cluster accepts as its cluster certificate (common-name layout)."""
    section = certificate_information(config).get("ClusterCertificateCommonNames") or {}
    return [(str(item.get("CertificateCommonName") or ""), _issuers(item.get("CertificateIssuerThumbprint")))
            for item in section.get("CommonNames") or [] if isinstance(item, dict)]
