# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of the AD FS scripts (plugins/plugin_utils/scripts/adfs_*.ps1) over the AD FS farm model.

Each returns exactly the properties its script emits and fails where the script would: on a host
without AD FS the first AD FS cmdlet is not recognised; writes on a secondary node fail with the
internal error AD FS reports there; parameters are validated as the scripts' param() blocks do.
In check mode the scripts' ShouldProcess guard skips every change, and so do the twins.
"""
from __future__ import annotations

import base64
import re

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products.adfs import TYPES
from certops_lab.products.adfs_estate import farm_of_host
from certops_lab.products.windows import caller, certificate_fact
from certops_lab.twins.scripts import script_twin

THUMBPRINT_PATTERN = "^[0-9A-F]{40}$"
OPERATIONS = ("Add", "Promote", "Remove", "Update")


def _farm(estate, host_name: str):
    farm = farm_of_host(estate, host_name)
    if farm is None:
        raise CmdletError("The term 'Get-AdfsSyncProperties' is not recognized as the name of a cmdlet, function, script file, or "
                          "operable program. Check the spelling of the name, or if a path was included, verify that the path is correct "
                          "and try again.")
    return farm


def _validate_set(name: str, value, allowed: tuple) -> str:
    if value not in allowed:
        raise CmdletError(f"Cannot validate argument on parameter '{name}'. The argument \"{value}\" does not belong to the set "
                          f"\"{','.join(allowed)}\" specified by the ValidateSet attribute. Supply an argument that is in the set and then "
                          "try the command again.")
    return value


def _validate_thumbprint(value) -> str:
    text = str(value or "")
    if not re.fullmatch(THUMBPRINT_PATTERN, text):
        raise CmdletError(f'Cannot validate argument on parameter \'Thumbprint\'. The argument "{text}" does not match the '
                          f'"{THUMBPRINT_PATTERN}" pattern. Supply an argument that matches "{THUMBPRINT_PATTERN}" and try the command again.')
    return text


def _bool(value, name: str) -> bool:
    if isinstance(value, (bool, int)):
        return bool(value)
    raise CmdletError(f"Cannot process argument transformation on parameter '{name}'. Cannot convert value \"System.String\" to type "
                      '"System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.')


def adfs_certificates(farm) -> list:
    """Get-CertopsAdfsCertificate (include/adfs_certificates.ps1): Get-AdfsCertificate for both token types."""
    return [{"CertificateType": item.type, "Thumbprint": item.thumbprint, "IsPrimary": item.is_primary,
             "Certificate": base64.b64encode(item.der).decode("ascii")} for kind in TYPES for item in farm.of_type(kind)]


def adfs_properties(farm) -> dict:
    """Get-CertopsAdfsProperty (include/adfs_properties.ps1): the Get-AdfsProperties values the rotation reads."""
    properties = farm.properties
    return {"Identifier": farm.identifier, "HostName": farm.host_name, "AutoCertificateRollover": bool(properties["AutoCertificateRollover"]),
            **{name: int(properties[name]) for name in ("CertificateGenerationThreshold", "CertificatePromotionThreshold",
                                                        "CertificateCriticalThreshold", "CertificateDuration", "CertificateRolloverInterval",
                                                        "CertificateThresholdMultiplier")}}


def relying_party_view(item: dict) -> dict:
    return {"Name": item["name"], "Identifier": list(item["identifiers"]), "Enabled": bool(item["enabled"]),
            "MonitoringEnabled": bool(item["monitoring"]), "MetadataUrl": item["metadata_url"]}


@script_twin("adfs_node_get")
def adfs_node_get(estate, host, parameters, ctx):
    """One node: sync role, service account, properties, AD FS certificates, relying parties, LocalMachine\\My."""
    del parameters
    farm, warnings = _farm(estate, host.name), []
    store = [certificate_fact(entry, ("LocalMachine", "My"), caller(host, ctx), warnings, readers=True)
             for entry in host.store("LocalMachine", "My").entries.values()]
    output = {"ComputerName": host.facts.hostname, "SyncRole": farm.sync_role(host.name),
              "PrimaryComputerName": "" if host.name == farm.primary else f"{farm.primary}.{host.facts.domain}",
              "ServiceAccount": farm.service_account, "Properties": adfs_properties(farm), "AdfsCertificates": adfs_certificates(farm),
              "RelyingParties": [relying_party_view(item) for item in farm.relying_parties], "Certificates": store}
    return ScriptOutcome(output=[output], warnings=warnings)


def _apply_certificate_operation(farm, host, parameters: dict, ctx) -> None:
    operation, kind = parameters["Operation"], parameters["CertificateType"]
    if operation == "Update":
        farm.update(kind, _bool(parameters.get("Urgent", False), "Urgent"), ctx.now)
        return
    thumbprint = _validate_thumbprint(parameters.get("Thumbprint"))
    if operation == "Add":
        farm.add(kind, thumbprint, host.store("LocalMachine", "My").get(thumbprint))
    elif operation == "Promote":
        farm.set_primary(kind, thumbprint)
    else:
        farm.remove(kind, thumbprint)


@script_twin("adfs_certificate_set")
def adfs_certificate_set(estate, host, parameters, ctx):
    """One certificate operation on the primary node, then Get-AdfsCertificate again."""
    _validate_set("Operation", parameters.get("Operation"), OPERATIONS)
    _validate_set("CertificateType", parameters.get("CertificateType"), TYPES)
    farm = _farm(estate, host.name)
    if not ctx.check_mode:
        farm.require_primary_node(host.name)
        _apply_certificate_operation(farm, host, parameters, ctx)
    output = {"Operation": parameters["Operation"], "CertificateType": parameters["CertificateType"], "Changed": not ctx.check_mode,
              "AdfsCertificates": adfs_certificates(farm)}
    return ScriptOutcome(output=[output], changed=not ctx.check_mode)


@script_twin("adfs_properties_set")
def adfs_properties_set(estate, host, parameters, ctx):
    """Set-AdfsProperties -AutoCertificateRollover on the primary node, then the properties again."""
    value = _bool(parameters.get("AutoCertificateRollover"), "AutoCertificateRollover")
    farm = _farm(estate, host.name)
    if not ctx.check_mode:
        farm.require_primary_node(host.name)
        farm.set_auto_rollover(value)
    return ScriptOutcome(output=[{"Changed": not ctx.check_mode, "Properties": adfs_properties(farm)}], changed=not ctx.check_mode)
