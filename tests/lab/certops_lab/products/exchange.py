# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Server organisation model: the Auth (OAuth) certificate, AuthConfig and the AuthAdmin servicelet.

What it reproduces (reference/products.md §3; the seeds 002 and 003):
- Mailbox servers of major version 15 across AD sites; Edge servers and servers known to AD only
  (no WinRM host: the controller cannot read them, as MEAC cannot reach an offline server);
- per server: which certificates Exchange has enabled for which services, the key provider of each
  certificate (CSP by default, CNG/KSP where the topology says so), the SMTP default (internal
  transport) certificate, and when MSExchangeServiceHost and the OWA/ECP app pools last started;
- ``AuthConfig`` with current, next, next effective date and previous, and ``Set-AuthConfig``'s
  parameter sets (stage, publish, clear previous) with their documented errors: "The new
  certificate effective date is invalid. The effective date must be greater than the current time."
  (CSS-Exchange PR #1888) and the confirmation under 48 hours that only ``-Force`` answers;
- the AuthAdmin servicelet: ``servicelet_lag_hours`` after the next certificate's effective date it
  publishes it (next -> current, current -> previous), only when some server runs
  MSExchangeServiceHost and holds the next certificate. The servicelet is a function of the lab
  clock: reads show its effect without writing (a read stays a read), writes materialise it first;
- ``New-ExchangeCertificate``'s SMTP trap: a self-signed certificate enabled for SMTP (the default
  services are IMAP, POP and SMTP) replaces the SMTP default certificate when ``-Force`` is given,
  and prompts (which fails in a non-interactive host) without it; ``-Services None`` avoids both;
- OWA/ECP health and ``Test-OAuthConnectivity`` follow the model: a server without the current Auth
  certificate (with its key), or with an expired one, fails with the symptom of the seeds
  (``X-OWA-Error: Microsoft.Exchange.Security.OAuth.OAuthTokenRequestFailedException``).

What it does not model: the servicelet's own replication of the certificate between servers (the
collection never relies on it: it exports and imports, as MEAC's repair does).

Topology (``products: exchange:``)::

    exchange:
      organisation: Lab
      servicelet_lag_hours: 6            # optional, default 6
      servers:
        - host: ex01                       # lab host; or name: EX09 without host (known to AD only)
          site: Site-A
          version: Version 15.2 (Build 1544.4)   # optional AdminDisplayVersion
          edge: false                      # optional Edge Transport server
          setup_key: true                  # optional; false: only a remote shell (MEAC refuses)
          service_host: running            # optional; stopped
          transport_certificate: cert:ex01-smtp  # the SMTP default certificate (gets SMTP)
          services:                        # optional Exchange services per certificate
            - {certificate: cert:ex01-iis, services: [IIS]}
          cng_keys: [cert:x]               # optional: certificates whose key is CNG/KSP (default CSP)
      auth_config:
        current: cert:auth                 # thumbprint or cert:<id> of a certificate in some host's store
        current_on: [ex01, ex02]           # optional: hosts that hold it (copied there); default every server
        next: ""                           # optional, with next_on and next_effective (+10d or ISO 8601)
        previous: ""
      hybrid:                              # optional: a hybrid configuration exists (Get-HybridConfiguration)
        application_id: <appId>            # the dedicated Exchange hybrid application in the lab's Graph tenant

A server that starts without the current (or next) certificate, and a current certificate that
starts expired, are recorded as the scenario's starting damage: the invariants tolerate exactly
that damage until the rotation repairs it, and nothing else.
"""
from __future__ import annotations

import dataclasses
import datetime

from certops_lab.clock import ClockError, isoformat, parse_instant, parse_offset
from certops_lab.contracts import CmdletError
from certops_lab.products.exchange_pki import self_signed_auth_certificate
from certops_lab.state import product_codec

TOPOLOGY_SECTIONS = ("exchange",)
DEFAULT_VERSION = "Version 15.2 (Build 1544.4)"
DEFAULT_LAG_HOURS = 6
PROCESSES_STARTED = "-30d"
ENGLISH_SERVICES = ("None", "Federation", "IIS", "IMAP", "POP", "SMTP", "UM", "UMCallRouter")
DEFAULT_NEW_SERVICES = ("IMAP", "POP", "SMTP")
POOLS = ("MSExchangeOWAAppPool", "MSExchangeECPAppPool")
STAGE_WARNING_HOURS = 48
SMTP_PROMPT = ("Overwrite the existing default SMTP certificate? Windows PowerShell is in NonInteractive mode. Read and Prompt "
               "functionality is not available.")
SHORT_NOTICE_PROMPT = ("The new certificate effective date is less than 48 hours from now; servers that do not pick up the new "
                       "certificate in time fail OAuth. Continue? Windows PowerShell is in NonInteractive mode. Read and Prompt "
                       "functionality is not available.")
INVALID_EFFECTIVE_DATE = "The new certificate effective date is invalid. The effective date must be greater than the current time."


@dataclasses.dataclass
class AuthConfig:
    """What Get-AuthConfig shows: thumbprints are 40 upper-case hex characters or ""; dates ISO 8601 UTC or ""."""
    current: str = ""
    next: str = ""
    next_effective: str = ""
    previous: str = ""
    when_changed: str = ""


@dataclasses.dataclass
class ExchangeServer:
    name: str
    site: str
    host: str = ""                    # "" = known to AD only
    fqdn: str = ""
    version: str = DEFAULT_VERSION
    edge: bool = False
    setup_key: bool = True
    service_host_running: bool = True
    service_host_started: str = ""
    pools_started: dict = dataclasses.field(default_factory=dict)
    services: dict = dataclasses.field(default_factory=dict)       # thumbprint -> [service]
    key_providers: dict = dataclasses.field(default_factory=dict)  # thumbprint -> CNG (CSP when absent)
    transport_certificate: str = ""
    initial_transport: str = ""
    restarts: int = 0
    # Certificates imported here by Import-ExchangeCertificate -Server from another server. The lab's runtime compares
    # only the calling host and the product models before and after a call, so this record is what makes such a
    # cross-host write count as mutating (audit, invariant check, persistence).
    imported: list = dataclasses.field(default_factory=list)

    @property
    def mailbox(self) -> bool:
        return not self.edge and self.version.startswith("Version 15")

    def services_of(self, thumbprint: str) -> list:
        return list(self.services.get(thumbprint, []))

    def provider_of(self, thumbprint: str) -> str:
        return self.key_providers.get(thumbprint, "CSP")


@dataclasses.dataclass
class ExchangeOrganisation:
    name: str
    servers: list
    auth: AuthConfig
    lag_hours: int = DEFAULT_LAG_HOURS
    hybrid: dict = dataclasses.field(default_factory=dict)   # Get-HybridConfiguration exists when set (the HCW ran)
    damage: dict = dataclasses.field(default_factory=dict)   # the scenario's starting damage (see the module docstring)
    # Secrets the scripts received (exported PFX passwords), in memory only: tests search every output for them.
    secrets_seen: list = dataclasses.field(default_factory=list, repr=False, compare=False)

    # --- servers ---------------------------------------------------------------------------------
    def server_of_host(self, host: str):
        return next((server for server in self.servers if server.host == host), None)

    def server_named(self, name: str):
        wanted = str(name).split(".", maxsplit=1)[0].lower()
        return next((server for server in self.servers if server.name.lower() == wanted), None)

    def mailbox_servers(self) -> list:
        return [server for server in self.servers if server.mailbox]

    # --- the AuthAdmin servicelet, a function of the clock ------------------------------------
    def publish_due(self, estate, now) -> str:
        """The instant the servicelet publishes the next certificate, "" when it does not (yet)."""
        auth = self.auth
        if not auth.next or not auth.next_effective:
            return ""
        due = parse_instant(auth.next_effective) + datetime.timedelta(hours=self.lag_hours)
        runners = [server for server in self.mailbox_servers() if server.host and server.service_host_running
                   and holds_key(estate, server.host, auth.next)]
        return isoformat(due) if runners and now >= due else ""

    def auth_view(self, estate, now) -> AuthConfig:
        """Get-AuthConfig now: the stored configuration with the servicelet's publication applied when it is due."""
        due = self.publish_due(estate, now)
        if not due:
            return dataclasses.replace(self.auth)
        return AuthConfig(current=self.auth.next, previous=self.auth.current, when_changed=due)

    def materialise(self, estate, now) -> None:
        """Store what the servicelet has done by ``now`` (every write starts here)."""
        self.auth = self.auth_view(estate, now)

    # --- Set-AuthConfig -----------------------------------------------------------------------
    def stage(self, thumbprint: str, effective, now, force: bool) -> list:
        """-NewCertificateThumbprint -NewCertificateEffectiveDate; returns the cmdlet's warnings."""
        if effective < now:
            raise CmdletError(INVALID_EFFECTIVE_DATE)
        warnings = []
        if effective - now < datetime.timedelta(hours=STAGE_WARNING_HOURS):
            if not force:
                raise CmdletError(SHORT_NOTICE_PROMPT)
            warnings.append("The new certificate effective date is less than 48 hours from now.")
        self.auth = dataclasses.replace(self.auth, next=thumbprint, next_effective=isoformat(effective), when_changed=isoformat(now))
        return warnings

    def publish(self, now) -> None:
        """-PublishCertificate: next -> current at once."""
        if not self.auth.next:
            raise CmdletError("There is no next certificate in the authorization configuration to publish. "
                              "Set one with -NewCertificateThumbprint first.")
        self.auth = AuthConfig(current=self.auth.next, previous=self.auth.current, when_changed=isoformat(now))

    def clear_previous(self, now) -> None:
        self.auth = dataclasses.replace(self.auth, previous="", when_changed=isoformat(now))

    # --- JSON -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"name": self.name, "lag_hours": self.lag_hours, "auth": dataclasses.asdict(self.auth), "damage": dict(self.damage),
                "hybrid": dict(self.hybrid),
                "servers": [dataclasses.asdict(server) for server in self.servers]}

    @classmethod
    def from_dict(cls, data: dict) -> "ExchangeOrganisation":
        return cls(name=data["name"], lag_hours=data.get("lag_hours", DEFAULT_LAG_HOURS), auth=AuthConfig(**data["auth"]),
                   damage=dict(data.get("damage", {})), hybrid=dict(data.get("hybrid", {})), servers=[ExchangeServer(**item) for item in data["servers"]])


def holds_key(estate, host: str, thumbprint: str) -> bool:
    entry = estate.hosts[host].store("LocalMachine", "My").get(thumbprint) if thumbprint else None
    return entry is not None and entry.has_private_key


def organisation(estate):
    """The estate's Exchange organisation (None when the topology has none)."""
    return estate.products.get("exchange")


def new_auth_certificate(estate, server, services, force: bool, now) -> str:
    """New-ExchangeCertificate -KeySize 2048 -PrivateKeyExportable $true -SubjectName <Auth subject> -DomainName @()
    [-Services ...] [-Force] on ``server``, with the SMTP trap; returns the new thumbprint."""
    services = [service for service in (services or DEFAULT_NEW_SERVICES) if service != "None"]
    if "SMTP" in services and not force:
        raise CmdletError(SMTP_PROMPT)
    certificate, key = self_signed_auth_certificate(now)
    store = estate.hosts[server.host].store("LocalMachine", "My")
    entry = store.add(certificate, key, exportable=True, friendly_name="Microsoft Exchange Server Auth Certificate")
    if services:
        server.services[entry.thumbprint] = services
    if "SMTP" in services:
        server.transport_certificate = entry.thumbprint
    return entry.thumbprint


# --- topology -------------------------------------------------------------------------------------------
def _server_from_entry(entry: dict, estate) -> ExchangeServer:
    host = entry.get("host") or ""
    if host and host not in estate.hosts:
        raise ValueError(f"products.exchange.servers: unknown host {host!r}")
    if not host and not entry.get("name"):
        raise ValueError("products.exchange.servers: give each server a host (a lab host) or a name (a server known to AD only)")
    facts = estate.hosts[host].facts if host else None
    started = isoformat(estate.clock + parse_offset(PROCESSES_STARTED))
    transport = str(entry.get("transport_certificate") or "").upper()
    services = {str(item["certificate"]).upper(): list(item["services"]) for item in entry.get("services") or []}
    if transport:
        services[transport] = sorted(set(services.get(transport, [])) | {"SMTP"})
    return ExchangeServer(name=entry.get("name") or facts.hostname, host=host, site=entry.get("site", "Default-First-Site-Name"),
                          fqdn=facts.fqdn if facts else f"{entry['name'].lower()}.lab.test", version=entry.get("version", DEFAULT_VERSION),
                          edge=bool(entry.get("edge", False)), setup_key=bool(entry.get("setup_key", True)),
                          service_host_running=entry.get("service_host", "running") == "running", service_host_started=started,
                          pools_started=dict.fromkeys(POOLS, started), services=services,
                          key_providers=dict.fromkeys((str(item).upper() for item in entry.get("cng_keys") or []), "CNG"),
                          transport_certificate=transport, initial_transport=transport)


def _find_entry(estate, thumbprint: str):
    for host in estate.hosts.values():
        entry = host.store("LocalMachine", "My").get(thumbprint)
        if entry is not None and entry.has_private_key:
            return entry
    raise ValueError(f"products.exchange.auth_config: certificate {thumbprint} is in no host's LocalMachine\\My with its key")


def _place(estate, org: ExchangeOrganisation, thumbprint: str, hosts) -> list:
    """Copy the certificate with its key to ``hosts`` (default: every server with a host); the servers that lack it."""
    source = _find_entry(estate, thumbprint)
    wanted = list(hosts) if hosts is not None else [server.host for server in org.mailbox_servers() if server.host]
    for host in wanted:
        store = estate.hosts[host].store("LocalMachine", "My")
        store.add(source.der, source.private_key, exportable=source.exportable, friendly_name=source.friendly_name)
    return [server.name for server in org.mailbox_servers() if server.host and server.host not in wanted]


def _effective(value, estate) -> str:
    """An offset from the lab clock (+10d) or an ISO 8601 instant, as ISO 8601 UTC."""
    try:
        return isoformat(estate.clock + parse_offset(value))
    except ClockError:
        return isoformat(parse_instant(value))


def _auth_from_entry(section: dict, estate, org: ExchangeOrganisation) -> None:
    config = section.get("auth_config") or {}
    current, nxt = str(config.get("current") or "").upper(), str(config.get("next") or "").upper()
    if not current:
        raise ValueError("products.exchange.auth_config.current: give the current Auth certificate (cert:<id>)")
    org.damage["current_missing"] = _place(estate, org, current, config.get("current_on"))
    org.damage["next_missing"] = _place(estate, org, nxt, config.get("next_on")) if nxt else []
    org.damage["current_thumbprint"], org.damage["next_thumbprint"] = current, nxt
    expired = _find_entry(estate, current).certificate.not_valid_after_utc <= estate.clock
    org.damage["expired_current"] = current if expired else ""
    org.auth = AuthConfig(current=current, next=nxt, next_effective=_effective(config.get("next_effective"), estate) if nxt else "",
                          previous=str(config.get("previous") or "").upper(), when_changed=isoformat(estate.clock + parse_offset("-400d")))


_TOPOLOGY_HOOKS: list = []


def register_topology_hook(hook) -> None:
    """``hook(estate, organisation)`` runs once the organisation is built (the hybrid application takes its keys)."""
    _TOPOLOGY_HOOKS.append(hook)


def from_topology(products: dict, estate) -> dict:
    section = products.get("exchange") or {}
    servers = [_server_from_entry(entry, estate) for entry in section.get("servers") or []]
    if not servers:
        raise ValueError("products.exchange.servers: list the organisation's servers")
    org = ExchangeOrganisation(name=section.get("organisation", "Lab"), servers=servers, auth=AuthConfig(),
                               lag_hours=int(section.get("servicelet_lag_hours", DEFAULT_LAG_HOURS)), hybrid=dict(section.get("hybrid") or {}))
    _auth_from_entry(section, estate, org)
    estate.products["exchange"] = org
    for hook in _TOPOLOGY_HOOKS:
        hook(estate, org)
    return {"exchange": org}


def to_dict(products: dict) -> dict:
    return {"exchange": products["exchange"].to_dict()}


def from_dict(data: dict) -> dict:
    return {"exchange": ExchangeOrganisation.from_dict(data["exchange"])}


product_codec(("exchange",), to_dict, from_dict)
