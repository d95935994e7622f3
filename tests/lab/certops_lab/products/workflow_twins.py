# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of the Workflow Manager and SharePoint trust scripts (plugins/plugin_utils/scripts/).

Each twin returns exactly the pipeline output its script emits (property names and types), and
fails where the script would, with the message Windows would show. In check mode the scripts'
ShouldProcess guard skips every change, and so do the twins.
"""
from __future__ import annotations

import base64
import binascii
import re

from cryptography import x509

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products.windows import caller, certificate_fact
from certops_lab.products.workflow import sharepoint_farms, wfm_farms
from certops_lab.twins.scripts import script_twin

THUMBPRINT_PATTERN = "^[0-9A-F]{40}$"


# --- finding the product a host belongs to ------------------------------------------------------
def _wfm_farm(estate, ctx, service_uri: str):
    if not any(ctx.host in farm.hosts for farm in wfm_farms(estate).values()):
        raise CmdletError("The specified module 'WorkflowManager' was not loaded because no valid module file was found in any module directory.")
    for farm in wfm_farms(estate).values():
        if farm.serves(service_uri):
            return farm
    raise CmdletError(f"Unable to connect to the remote server {service_uri}")


def _sharepoint_farm(estate, ctx, cmdlet: str):
    for farm in sharepoint_farms(estate).values():
        if ctx.host in farm.hosts:
            farm.check_database_access(ctx.become_user)
            return farm
    raise CmdletError(f"The term '{cmdlet}' is not recognized as the name of a cmdlet, function, script file, or operable program.")


def _validated_thumbprint(value) -> str:
    text = str(value or "")
    if not re.fullmatch(THUMBPRINT_PATTERN, text):
        raise CmdletError(f'Cannot validate argument on parameter \'Thumbprint\'. The argument "{text}" does not match the '
                          f'"{THUMBPRINT_PATTERN}" pattern. Supply an argument that matches "{THUMBPRINT_PATTERN}" and try the command again.')
    return text


def _validated_operation(value, allowed: tuple) -> str:
    if value not in allowed:
        raise CmdletError(f"Cannot validate argument on parameter 'Operation'. The argument \"{value}\" does not belong to the set "
                          f"\"{','.join(allowed)}\" specified by the ValidateSet attribute.")
    return value


def _validated_bool(value, name: str) -> bool:
    """A [bool] script parameter binds only booleans and numbers, never the text "false"."""
    if isinstance(value, (bool, int)):
        return bool(value)
    raise CmdletError(f"Cannot process argument transformation on parameter '{name}'. Cannot convert value \"System.String\" to type "
                      '"System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.')


def certificate_from_base64(text) -> bytes:
    """[X509Certificate2]::new([Convert]::FromBase64String($Certificate)), with its failures."""
    try:
        der = base64.b64decode(str(text or ""), validate=True)
    except (binascii.Error, ValueError):
        raise CmdletError('Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string '
                          'as it contains a non-base 64 character, more than two padding characters, or an illegal character '
                          'among the padding characters."') from None
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        raise CmdletError('Exception calling ".ctor" with "1" argument(s): "Cannot find the requested object."') from None
    return der


# --- Workflow Manager ---------------------------------------------------------------------------
def _wfm_output(farm, service_uri: str) -> dict:
    return {"ServiceUri": str(service_uri), "References": [farm.outbound_references()]}


@script_twin("wfm_host_get")
def wfm_host_get(estate, host, parameters, ctx):
    """Every certificate of LocalMachine\\My with its key readers; with ServiceUri, the farm's references too."""
    service_uri = str(parameters.get("ServiceUri") or "")
    references = _wfm_output(_wfm_farm(estate, ctx, service_uri), service_uri)["References"] if service_uri else []
    warnings = []
    certificates = [certificate_fact(entry, ("LocalMachine", "My"), caller(host, ctx), warnings, readers=True)
                    for entry in host.store("LocalMachine", "My").entries.values()]
    return ScriptOutcome(output=[{"ServiceUri": service_uri, "References": references, "Certificates": certificates}], warnings=warnings)


@script_twin("wfm_outbound_certificate_set")
def wfm_outbound_certificate_set(estate, host, parameters, ctx):
    del host
    farm = _wfm_farm(estate, ctx, parameters.get("ServiceUri", ""))
    thumbprint = _validated_thumbprint(parameters.get("Thumbprint"))
    if not ctx.check_mode:
        farm.set_next_reference(thumbprint, estate)
        farm.set_next_as_current()
    return ScriptOutcome(output=[_wfm_output(farm, parameters["ServiceUri"])], changed=not ctx.check_mode)


# --- SharePoint: trusted security token issuers ----------------------------------------------
def issuer_view(issuer) -> dict:
    return {"Name": issuer.name, "Id": issuer.id, "RegisteredIssuerName": issuer.registered_issuer_name,
            "IsSelfIssuer": issuer.is_self_issuer, "MetadataEndPoint": "", "SigningCertificateThumbprint": issuer.thumbprint,
            "SigningCertificate": base64.b64encode(issuer.certificate).decode()}


def issuer_set_view(issuer) -> dict:
    """The issuer fields sp_trusted_security_token_issuer_set returns; empty after Remove and in check mode."""
    if issuer is None:
        return {"Name": "", "Id": "", "RegisteredIssuerName": "", "IsSelfIssuer": False, "SigningCertificateThumbprint": ""}
    return {key: value for key, value in issuer_view(issuer).items() if key not in ("MetadataEndPoint", "SigningCertificate")}


def authority_view(root) -> dict:
    return {"Name": root.name, "Id": root.id, "CertificateThumbprint": root.thumbprint, "Certificate": base64.b64encode(root.certificate).decode()}


@script_twin("sharepoint_trust_get")
def sharepoint_trust_get(estate, host, parameters, ctx):
    del host, parameters
    farm = _sharepoint_farm(estate, ctx, "Get-SPTrustedSecurityTokenIssuer")
    return ScriptOutcome(output=[{"FarmId": farm.id, "Realm": farm.realm, "Issuers": [issuer_view(issuer) for issuer in farm.issuers],
                                  "Authorities": [authority_view(root) for root in farm.root_authorities]}])


def _apply_issuer_operation(farm, operation: str, parameters: dict):
    if operation == "New":
        return farm.new_issuer(parameters.get("Name", ""), certificate_from_base64(parameters.get("Certificate")),
                               parameters.get("RegisteredIssuerName", ""), _validated_bool(parameters.get("IsSelfIssuer", False), "IsSelfIssuer"))
    if operation == "Update":
        issuer = farm.issuer(parameters.get("Identity", ""))
        issuer.is_self_issuer = _validated_bool(parameters.get("IsSelfIssuer", False), "IsSelfIssuer")
        return issuer
    farm.remove_issuer(parameters.get("Identity", ""))
    return None


def _set_twin(estate, ctx, parameters: dict, kind: tuple) -> ScriptOutcome:
    """The shared body of the two *_set scripts: validate Operation, find the farm, apply unless
    in check mode, return the changed object's fields (empty after Remove and in check mode)."""
    allowed, cmdlet, apply, view = kind
    operation = _validated_operation(parameters.get("Operation"), allowed)
    farm = _sharepoint_farm(estate, ctx, cmdlet)
    changed_object = None if ctx.check_mode else apply(farm, operation, parameters)
    return ScriptOutcome(output=[{"Operation": operation, "Changed": not ctx.check_mode, **view(changed_object)}], changed=not ctx.check_mode)


@script_twin("sp_trusted_security_token_issuer_set")
def sp_trusted_security_token_issuer_set(estate, host, parameters, ctx):
    del host
    return _set_twin(estate, ctx, parameters, (("New", "Update", "Remove"), "New-SPTrustedSecurityTokenIssuer", _apply_issuer_operation,
                                               issuer_set_view))


# --- SharePoint: trusted root authorities (Central Administration > Security > Manage Trust) ----
def _apply_root_operation(farm, operation: str, parameters: dict):
    if operation == "New":
        return farm.new_root_authority(parameters.get("Name", ""), certificate_from_base64(parameters.get("Certificate")))
    if operation == "Set":
        root = farm.root_authority(parameters.get("Identity", ""))
        root.certificate = certificate_from_base64(parameters.get("Certificate"))
        return root
    farm.remove_root_authority(parameters.get("Identity", ""))
    return None


def root_set_view(root) -> dict:
    """The fields sp_trusted_root_authority_set returns; empty after Remove and in check mode."""
    if root is None:
        return {"Name": "", "Id": "", "CertificateThumbprint": ""}
    return {"Name": root.name, "Id": root.id, "CertificateThumbprint": root.thumbprint}


@script_twin("sp_trusted_root_authority_set")
def sp_trusted_root_authority_set(estate, host, parameters, ctx):
    del host
    return _set_twin(estate, ctx, parameters, (("New", "Set", "Remove"), "New-SPTrustedRootAuthority", _apply_root_operation, root_set_view))
