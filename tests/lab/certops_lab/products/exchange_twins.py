# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of the Exchange Auth certificate scripts (plugins/plugin_utils/scripts/exchange_*.ps1).

Each returns exactly its script's output properties and fails where the script or the Exchange
cmdlet would, with the message Windows would show. Every script first loads the Exchange
Management Shell the local way; on a computer without the Exchange setup key (a remote shell) or
on an Edge server the writes throw as ``Connect-CertopsExchange`` does, and the read reports the
registry facts only. In check mode (-WhatIf) nothing changes.
"""
from __future__ import annotations

import re

from certops_lab.clock import isoformat, parse_instant
from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products import exchange_health as health
from certops_lab.products.exchange import POOLS, new_auth_certificate, organisation
from certops_lab.products.exchange_pki import export_pfx, import_pfx
from certops_lab.products.windows import caller, certificate_fact
from certops_lab.twins.scripts import script_twin

THUMBPRINT = "^[0-9A-F]{40}$"
CNG_ALLOW_EXPORT = 0x1 | 0x2


# --- the shell ------------------------------------------------------------------------------------
def _computer(host) -> str:
    return host.facts.hostname


def connect(estate, host):
    """Connect-CertopsExchange: (organisation, server) or the script's refusal."""
    org = organisation(estate)
    server = org.server_of_host(host.name) if org else None
    if server is None or not server.setup_key:
        raise CmdletError(f"{_computer(host)} has no Exchange setup registry key: it is not an Exchange server, and a remote shell from "
                          "here is refused (as MEAC refuses it). Run certops on the Mailbox servers themselves.")
    if server.edge:
        raise CmdletError(f"{_computer(host)} is an Edge Transport server: the Auth certificate lives on Mailbox servers only.")
    return org, server


def _thumbprint(value, name: str = "Thumbprint", allow_empty: bool = False) -> str:
    text = str(value or "")
    if not (allow_empty and not text) and not re.fullmatch(THUMBPRINT, text):
        raise CmdletError(f"Cannot validate argument on parameter '{name}'. The argument \"{text}\" does not match the \"{THUMBPRINT}\" "
                          f"pattern. Supply an argument that matches \"{THUMBPRINT}\" and try the command again.")
    return text


# --- what the read reports --------------------------------------------------------------------------
def server_fact(server) -> dict:
    return {"Name": server.name, "Fqdn": server.fqdn, "Site": server.site, "AdminDisplayVersion": server.version,
            "IsMailboxServer": server.mailbox, "IsClientAccessServer": server.mailbox, "IsEdgeServer": server.edge}


def auth_fact(auth) -> dict:
    return {"CurrentCertificateThumbprint": auth.current, "NextCertificateThumbprint": auth.next,
            "NextCertificateEffectiveDate": auth.next_effective, "PreviousCertificateThumbprint": auth.previous,
            "WhenChangedUTC": auth.when_changed}


def store_fact(server, entry, account: str, warnings: list) -> dict:
    """certificate_facts' ConvertTo-CertopsCertificateFact, with the key provider the organisation gave the certificate."""
    fact = certificate_fact(entry, ("LocalMachine", "My"), account, warnings)
    if fact["KeyProvider"] and server.provider_of(entry.thumbprint) == "CNG":
        fact.update(KeyProvider="CNG", CspExportable=None, CngExportPolicy=CNG_ALLOW_EXPORT if entry.exportable else 0)
    return fact


def _services_text(server, thumbprint: str) -> str:
    """Get-ExchangeCertificate's Services as [string] shows the flags: "IIS, SMTP", or "None"."""
    return ", ".join(server.services_of(thumbprint)) or "None"


def _probes(estate, server, parameters, now) -> dict:
    ews = health.oauth_result(estate, server, now, exchange_online=False)
    probes = {"OAuthEws": ews["ResultType"], "OAuthEwsDetail": ews["Detail"], "OAuthExchangeOnline": "", "OAuthExchangeOnlineDetail": "",
              "OwaStatus": health.owa_status(estate, server, now), "EcpStatus": health.owa_status(estate, server, now)}
    if parameters.get("ExchangeOnlineUri"):
        online = health.oauth_result(estate, server, now, exchange_online=True)
        probes.update(OAuthExchangeOnline=online["ResultType"], OAuthExchangeOnlineDetail=online["Detail"])
    return probes


def _exchange_facts(estate, host, org, server, ctx, warnings: list) -> dict:
    store = host.store("LocalMachine", "My")
    return {"Server": server_fact(server), "AuthConfig": auth_fact(org.auth_view(estate, ctx.now)), "HybridConfigured": bool(org.hybrid),
            "OrganisationServers": [server_fact(item) for item in org.servers],
            "Certificates": [store_fact(server, entry, caller(host, ctx), warnings) for entry in store.entries.values()],
            "CertificateServices": {thumbprint: _services_text(server, thumbprint) for thumbprint in store.entries},
            "TransportCertificate": server.transport_certificate, "ServiceHostStatus": "Running" if server.service_host_running else "Stopped",
            "ServiceHostStartedUtc": server.service_host_started if server.service_host_running else "", "AppPools": pool_facts(server)}


def pool_facts(server) -> list:
    return [{"Name": pool, "StartedUtc": server.pools_started.get(pool, "")} for pool in POOLS]


NO_PROBES = {"OwaStatus": None, "EcpStatus": None, "OAuthEws": "", "OAuthEwsDetail": "", "OAuthExchangeOnline": "", "OAuthExchangeOnlineDetail": ""}
NO_EXCHANGE = {"Server": None, "AuthConfig": None, "HybridConfigured": False, "OrganisationServers": [], "Certificates": [],
               "CertificateServices": {}, "TransportCertificate": "", "ServiceHostStatus": "", "ServiceHostStartedUtc": "", "AppPools": []}


@script_twin("exchange_auth_get")
def exchange_auth_get(estate, host, parameters, ctx):
    org = organisation(estate)
    server = org.server_of_host(host.name) if org else None
    output = {"ComputerName": _computer(host), "SetupKey": bool(server and server.setup_key), "EdgeRole": bool(server and server.edge),
              "ExchangeMajor": 15 if server and server.setup_key else 0, "Now": isoformat(ctx.now), **NO_EXCHANGE, **NO_PROBES}
    warnings = []
    if server is not None and server.setup_key and not server.edge:
        output.update(_exchange_facts(estate, host, org, server, ctx, warnings))
        if parameters.get("Probe"):
            output.update(_probes(estate, server, parameters, ctx.now))
    return ScriptOutcome(output=[output], warnings=warnings)


# --- New-ExchangeCertificate ---------------------------------------------------------------------------
@script_twin("exchange_auth_certificate_new")
def exchange_auth_certificate_new(estate, host, parameters, ctx):
    del parameters
    _org, server = connect(estate, host)
    before, created = server.transport_certificate, None
    if not ctx.check_mode:
        # The script's call: -Services None, no -Force (the SMTP trap is in the model, new_auth_certificate).
        thumbprint = new_auth_certificate(estate, server, ["None"], force=False, now=ctx.now)
        created = store_fact(server, host.store("LocalMachine", "My").get(thumbprint), caller(host, ctx), [])
    return ScriptOutcome(output=[{"Created": created, "TransportBefore": before, "TransportAfter": server.transport_certificate,
                                  "TransportRestored": False}], changed=not ctx.check_mode)


# --- Export-ExchangeCertificate here, Import-ExchangeCertificate -Server there ------------------------------
def _password(parameters) -> str:
    password = parameters.get("PfxPassword")
    if not isinstance(password, str) or not password:
        raise CmdletError("Cannot bind argument to parameter 'PfxPassword' because it is an empty string.")
    return password


def _target(estate, org, name: str):
    target = org.server_named(name)
    if target is None:
        raise CmdletError(f"The operation couldn't be performed because object '{name}' couldn't be found on the domain controller.")
    if not target.host:
        raise CmdletError(f"A special Rpc error occurs on server {target.name}: The RPC server is unavailable.")
    return target


def _exportable(host, server, thumbprint: str):
    entry = host.store("LocalMachine", "My").get(thumbprint)
    if entry is None or not entry.has_private_key:
        raise CmdletError(f"A special Rpc error occurs on server {server.name}: The certificate with thumbprint {thumbprint} was not found.")
    if not entry.exportable:
        raise CmdletError(f"The private key of certificate {thumbprint} on {server.name} isn't exportable.")
    return entry


def copy_certificate(estate, org, source, target, thumbprint: str, password: str) -> None:
    """The PFX round trip: real PKCS#12 under the script's password, imported with an exportable key."""
    entry = _exportable(estate.hosts[source.host], source, thumbprint)
    certificate, key = import_pfx(export_pfx(entry, password), password)
    estate.hosts[target.host].store("LocalMachine", "My").add(certificate, key, exportable=True, friendly_name=entry.friendly_name)
    target.imported.append(thumbprint)
    if source.provider_of(thumbprint) != "CSP":
        target.key_providers[thumbprint] = source.provider_of(thumbprint)
    org.secrets_seen.append(password)
    for kind in ("current", "next"):
        if org.damage.get(f"{kind}_thumbprint") == thumbprint and target.name in org.damage.get(f"{kind}_missing", []):
            org.damage[f"{kind}_missing"] = [name for name in org.damage[f"{kind}_missing"] if name != target.name]


@script_twin("exchange_auth_certificate_import")
def exchange_auth_certificate_import(estate, host, parameters, ctx):
    org, source = connect(estate, host)
    thumbprint, password = _thumbprint(parameters.get("Thumbprint")), _password(parameters)
    target = _target(estate, org, str(parameters.get("Server") or ""))
    if not ctx.check_mode:
        copy_certificate(estate, org, source, target, thumbprint, password)
    present = estate.hosts[target.host].store("LocalMachine", "My").get(thumbprint) is not None
    return ScriptOutcome(output=[{"Thumbprint": thumbprint, "Source": _computer(host), "Server": parameters.get("Server"),
                                  "Present": present}], changed=not ctx.check_mode)


# --- Set-AuthConfig -----------------------------------------------------------------------------------
def _effective(parameters, now):
    if parameters.get("Now"):
        return now, True
    text = str(parameters.get("EffectiveDate") or "")
    try:
        return parse_instant(text), False
    except ValueError:
        raise CmdletError(f"Cannot convert value \"{text}\" to type \"System.DateTime\". Error: \"String was not recognized as a valid "
                          "DateTime.\"") from None


def _stage(estate, host, org, server, parameters, now) -> list:
    thumbprint = _thumbprint(parameters.get("Thumbprint"))
    if host.store("LocalMachine", "My").get(thumbprint) is None:
        raise CmdletError(f"A special Rpc error occurs on server {server.name}: The certificate with thumbprint {thumbprint} was not found.")
    effective, force = _effective(parameters, now)
    return org.stage(thumbprint, effective, now, force)


OPERATIONS = ("Stage", "Publish", "ClearPrevious")


@script_twin("exchange_authconfig_set")
def exchange_authconfig_set(estate, host, parameters, ctx):
    org, server = connect(estate, host)
    operation = parameters.get("Operation")
    if operation not in OPERATIONS:
        raise CmdletError(f"Cannot validate argument on parameter 'Operation'. The argument \"{operation}\" does not belong to the set "
                          f"\"{','.join(OPERATIONS)}\" specified by the ValidateSet attribute.")
    _thumbprint(parameters.get("Thumbprint"), allow_empty=True)
    warnings = []
    if not ctx.check_mode:
        org.materialise(estate, ctx.now)
        if operation == "Stage":
            warnings = _stage(estate, host, org, server, parameters, ctx.now)
        else:
            (org.publish if operation == "Publish" else org.clear_previous)(ctx.now)
    view = auth_fact(org.auth_view(estate, ctx.now))
    view.pop("WhenChangedUTC")
    return ScriptOutcome(output=[{"Operation": operation, **view}], changed=not ctx.check_mode, warnings=warnings)


# --- Restart-Service MSExchangeServiceHost, Restart-WebAppPool OWA + ECP ---------------------------------
@script_twin("exchange_auth_services_restart")
def exchange_auth_services_restart(estate, host, parameters, ctx):
    del parameters
    org = organisation(estate)
    server = org.server_of_host(host.name) if org else None
    if server is None:
        raise CmdletError("Cannot find any service with service name 'MSExchangeServiceHost'.")
    if not ctx.check_mode:
        server.service_host_running, server.service_host_started = True, isoformat(ctx.now)
        server.pools_started = dict.fromkeys(POOLS, isoformat(ctx.now))
        server.restarts += 1
    return ScriptOutcome(output=[{"ComputerName": _computer(host), "ServiceHostStatus": "Running" if server.service_host_running else "Stopped",
                                  "ServiceHostStartedUtc": server.service_host_started, "AppPools": pool_facts(server)}],
                         changed=not ctx.check_mode)


# --- Remove-ExchangeCertificate (cleanup) -------------------------------------------------------------------
def _removal_refusal(estate, org, server, thumbprint: str, now) -> str:
    auth = org.auth_view(estate, now)
    if thumbprint in (auth.current, auth.next):
        return f"Certificate {thumbprint} is AuthConfig's current or next Auth certificate; it is not removed."
    if thumbprint == server.transport_certificate:
        return f"Certificate {thumbprint} is the SMTP default certificate of {server.name}; it is not removed."
    if server.services_of(thumbprint):
        return f"Certificate {thumbprint} is enabled for Exchange services ({_services_text(server, thumbprint)}) on {server.name}; it is not removed."
    return ""


@script_twin("exchange_auth_certificate_remove")
def exchange_auth_certificate_remove(estate, host, parameters, ctx):
    org, server = connect(estate, host)
    thumbprint = _thumbprint(parameters.get("Thumbprint"))
    refusal = _removal_refusal(estate, org, server, thumbprint, ctx.now)
    if refusal:
        raise CmdletError(refusal)
    store = host.store("LocalMachine", "My")
    removed = store.get(thumbprint) is not None and not ctx.check_mode
    if removed:
        store.remove(thumbprint)
        server.key_providers.pop(thumbprint, None)
    return ScriptOutcome(output=[{"Thumbprint": thumbprint, "ComputerName": _computer(host), "Removed": removed}], changed=removed)
