# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate: the steps of a run, each only where the read state differs from the goal.

PRIVATE to the collection: the name and location may change without notice.

Order, make before break: the certificate that becomes next (or current) is on every server first
(created on the acting server, then exported there and imported on each server that lacks it),
then AuthConfig names it (stage), then, when this run activates it, it is published and every
server restarts MSExchangeServiceHost and recycles its OWA/ECP app pools one at a time, each behind
a health gate (Test-OAuthConnectivity against the server's EWS and the OWA/ECP health pages), so a
failed gate stops the roll with the other servers untouched. Cleanup (only when asked, after a
verified run) removes the previous certificate from the servers, then clears it from AuthConfig.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Step
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z

VAR = "exchange_auth_"
PFX_SECRETS = {"PfxPassword": "pfx_password"}
HEALTHY = {"ServiceHostStatus": "Running", "OwaStatus": 200, "EcpStatus": 200, "OAuthEws": "Success"}


def probe_parameters(settings: dict) -> dict:
    """exchange_auth_get's parameters for the functional probes (verify and health gates)."""
    return {"Probe": True, "Mailbox": settings.get("test_mailbox") or None, "ExchangeOnlineUri": settings.get("exchange_online_uri") or None}


def create_step(org) -> Step:
    return Step(id="create", host=org.acting, phase="stage", action="create Auth certificate", script="exchange_auth_certificate_new",
                detail=f"create a new Microsoft Exchange Server Auth Certificate on {org.name(org.acting)} (New-ExchangeCertificate, RSA 2048, "
                       "exportable, no domain names, services None so that the SMTP default certificate stays), then plan the rest with it")


def source_host(org, thumbprint: str) -> str:
    """A server to export from: the acting one when it can, else the first that holds the certificate with an exportable key."""
    holders = [host for host in org.holders(thumbprint) if org.states[host]["certificates"][thumbprint]["exportable"]]
    if not holders:
        raise CertopsError(f"certificate {thumbprint} is missing on {', '.join(org.missing(thumbprint))} but no server holds it with an exportable "
                           f"private key ({', '.join(org.holders(thumbprint)) or 'none holds it'}); set {VAR}enforce_new=true to stage a new "
                           "Auth certificate instead")
    return org.acting if org.acting in holders else holders[0]


def import_steps(org, thumbprint: str, hosts: list, label: str) -> list:
    source = source_host(org, thumbprint)
    return [Step(id=f"import-{label}-{host}", host=source, phase="stage", action=f"copy the {label} Auth certificate",
                 detail=f"export Auth certificate {thumbprint} ({label}) from {org.name(source)} and import it on {org.name(host)} "
                        "(Export-ExchangeCertificate, Import-ExchangeCertificate -Server; a random one-time PFX password, never stored)",
                 script="exchange_auth_certificate_import", parameters={"Thumbprint": thumbprint, "Server": org.name(host)},
                 secrets=dict(PFX_SECRETS))
            for host in hosts]


def stage_step(org, thumbprint: str, effective, after: list) -> Step:
    if effective is None:
        parameters, when = {"Operation": "Stage", "Thumbprint": thumbprint, "Now": True}, "now (emergency: -Force)"
    else:
        parameters, when = {"Operation": "Stage", "Thumbprint": thumbprint, "EffectiveDate": iso_z(effective)}, iso_z(effective)
    return Step(id="stage", host=org.acting, phase="stage", action="stage the next Auth certificate", script="exchange_authconfig_set",
                detail=f"Set-AuthConfig -NewCertificateThumbprint {thumbprint} -NewCertificateEffectiveDate {when}",
                parameters=parameters, after=after)


def publish_step(org, thumbprint: str, after: list) -> Step:
    return Step(id="publish", host=org.acting, phase="activate", action="publish the Auth certificate", script="exchange_authconfig_set",
                detail=f"Set-AuthConfig -PublishCertificate: {thumbprint} becomes the current Auth certificate now",
                parameters={"Operation": "Publish", "Thumbprint": thumbprint}, after=after)


def restart_steps(org, hosts: list, after: list, settings: dict) -> list:
    """One server at a time, each behind its health gate. Each restart comes after the previous server's, so each is a
    wave of its own: a throttled task still runs on every host before any_errors_fatal stops the play, a wave does not."""
    expect = dict(HEALTHY, **({"OAuthExchangeOnline": "Success"} if settings.get("exchange_online_uri") else {}))
    gate = {"script": "exchange_auth_get", "parameters": probe_parameters(settings), "expect": expect}
    steps = []
    for host in hosts:
        steps.append(Step(id=f"restart-{host}", host=host, phase="activate", action="restart and recycle", script="exchange_auth_services_restart",
                          detail=f"on {org.name(host)}: Restart-Service MSExchangeServiceHost, Restart-WebAppPool MSExchangeOWAAppPool and "
                                 "MSExchangeECPAppPool; then the health gate (Test-OAuthConnectivity EWS, OWA and ECP health) before the next "
                                 "server", rolling=True, gate=dict(gate), after=[steps[-1].id] if steps else list(after)))
    return steps


def cleanup_steps(org, retired: str) -> tuple:
    """(steps, warnings): remove the retired certificate where nothing else uses it, then clear it from AuthConfig."""
    steps, warnings = [], []
    for host in org.holders(retired):
        state = org.states[host]
        uses = state["certificates"][retired]["services"] + (["SMTP default"] if state["transport"] == retired else [])
        if uses:
            warnings.append(f"cleanup keeps the retired Auth certificate {retired} on {host}: it is in use there ({', '.join(uses)})")
            continue
        steps.append(Step(id=f"remove-{host}", host=host, phase="cleanup", action="remove the retired Auth certificate", irreversible=True,
                          detail=f"Remove-ExchangeCertificate -Thumbprint {retired} on {org.name(host)}", script="exchange_auth_certificate_remove",
                          parameters={"Thumbprint": retired}))
    clear = Step(id="clear-previous", host=org.acting, phase="cleanup", action="clear the previous Auth certificate", irreversible=True,
                 detail=f"Set-AuthConfig -ClearPreviousCertificate ({retired})", script="exchange_authconfig_set",
                 parameters={"Operation": "ClearPrevious", "Thumbprint": retired}, after=[step.id for step in steps])
    return steps + [clear], warnings


def expected_facts(org, end: dict, exchange_online: bool = False) -> dict:
    """What verify must read on every server: AuthConfig as planned, the certificates there, the SMTP default unchanged, OAuth working
    (with Exchange Online too when this run manages the hybrid application)."""
    expected = {}
    for host, state in org.states.items():
        facts = {"auth_current": end["current"], "auth_next": end["next"], "current_on_server": True,
                 "transport_certificate": state["transport"], "owa": 200, "ecp": 200, "oauth_ews": "Success"}
        if end["next"]:
            facts["next_on_server"] = True
        if exchange_online:
            facts["oauth_exchange_online"] = "Success"
        expected[host] = facts
    return expected
