# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exchange Auth certificate: what one read of each server says, and the organisation the plan works on.

PRIVATE to the collection: the name and location may change without notice.

``normalise`` turns exchange_auth_get's output into plain data (upper-case thumbprints, UTC ISO
dates, services as lists). ``organisation`` puts every server's read together, refusing (through
the gates) the servers MEAC would not act with: unreachable ones (unless the override is set, as
MEAC's -IgnoreUnreachableServers), a computer without the Exchange setup key (a remote shell), an
Edge server, a server older than Exchange 2013, an organisation server missing from the inventory
group, and servers that read different AuthConfigs (AD replication not finished).
"""
from __future__ import annotations

import dataclasses

from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso

VAR = "exchange_auth_"
CNG_ALLOW_EXPORT = 0x1


def _thumbprint(value) -> str:
    return str(value or "").replace(" ", "").upper()


def services_list(text) -> list:
    """Get-ExchangeCertificate's Services as text ("IIS, SMTP", "None") as a list of names."""
    return [name.strip() for name in str(text or "").split(",") if name.strip() and name.strip() != "None"]


def _exportable(item: dict) -> bool:
    if item.get("KeyProvider") == "CNG":
        return bool(int(item.get("CngExportPolicy") or 0) & CNG_ALLOW_EXPORT)
    return bool(item.get("CspExportable"))


def certificate_state(item: dict, services: dict) -> dict:
    thumbprint = _thumbprint(item.get("Thumbprint"))
    return {"der": item.get("Certificate") or "", "has_key": bool(item.get("HasPrivateKey")), "provider": item.get("KeyProvider") or "",
            "exportable": _exportable(item), "services": services_list(services.get(item.get("Thumbprint"), services.get(thumbprint)))}


def server_state(item) -> dict:
    item = item or {}
    return {"name": str(item.get("Name") or ""), "fqdn": str(item.get("Fqdn") or ""), "site": str(item.get("Site") or ""),
            "version": str(item.get("AdminDisplayVersion") or ""), "edge": bool(item.get("IsEdgeServer")),
            "mailbox": bool(item.get("IsMailboxServer") or item.get("IsClientAccessServer"))}


def auth_state(item) -> dict:
    return {"current": _thumbprint(item.get("CurrentCertificateThumbprint")), "next": _thumbprint(item.get("NextCertificateThumbprint")),
            "next_effective": str(item.get("NextCertificateEffectiveDate") or ""),
            "previous": _thumbprint(item.get("PreviousCertificateThumbprint")), "when_changed": str(item.get("WhenChangedUTC") or "")}


def probe_state(output: dict) -> dict:
    return {"owa": output.get("OwaStatus"), "ecp": output.get("EcpStatus"), "oauth_ews": output.get("OAuthEws") or "",
            "oauth_ews_detail": output.get("OAuthEwsDetail") or "", "oauth_exchange_online": output.get("OAuthExchangeOnline") or "",
            "oauth_exchange_online_detail": output.get("OAuthExchangeOnlineDetail") or ""}


def normalise(output: dict) -> dict:
    services = output.get("CertificateServices") or {}
    certificates = {}
    for item in output.get("Certificates") or []:
        if isinstance(item, dict):
            certificates[_thumbprint(item.get("Thumbprint"))] = certificate_state(item, services)
    return {"computer": str(output.get("ComputerName") or ""), "setup_key": bool(output.get("SetupKey")), "edge": bool(output.get("EdgeRole")),
            "major": int(output.get("ExchangeMajor") or 0), "now": str(output.get("Now") or ""),
            "server": server_state(output["Server"]) if output.get("Server") else None,
            "auth": auth_state(output["AuthConfig"]) if output.get("AuthConfig") else None, "hybrid": bool(output.get("HybridConfigured")),
            "organisation": [server_state(item) for item in output.get("OrganisationServers") or [] if isinstance(item, dict)],
            "certificates": certificates, "transport": _thumbprint(output.get("TransportCertificate")),
            "service_host": {"status": str(output.get("ServiceHostStatus") or ""), "started": str(output.get("ServiceHostStartedUtc") or "")},
            "pools": {str(item.get("Name")): str(item.get("StartedUtc") or "") for item in output.get("AppPools") or [] if isinstance(item, dict)},
            "probes": probe_state(output)}


# --- the organisation ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Organisation:
    """Every reachable Mailbox server's read, in inventory order; ``acting`` runs the organisation-wide steps."""

    states: dict                   # host -> normalised state
    skipped: list                  # servers not acted on (unreachable or not in the inventory), with the override set
    now: object                    # the acting server's clock (Exchange's timers run on it)
    application: object = None     # the hybrid application as Graph showed it (when this run manages it)
    roles: dict = dataclasses.field(default_factory=dict)   # host -> its role in the plan (mailbox, mailbox+graph)

    @property
    def hosts(self) -> list:
        return list(self.states)

    @property
    def acting(self) -> str:
        return self.hosts[0]

    @property
    def auth(self) -> dict:
        return self.states[self.acting]["auth"]

    @property
    def hybrid(self) -> bool:
        return self.states[self.acting]["hybrid"]

    def name(self, host: str) -> str:
        return self.states[host]["server"]["name"]

    def holders(self, thumbprint: str) -> list:
        """Hosts that hold the certificate with its private key."""
        return [host for host, state in self.states.items() if (state["certificates"].get(thumbprint) or {}).get("has_key")]

    def missing(self, thumbprint: str) -> list:
        held = set(self.holders(thumbprint))
        return [host for host in self.hosts if host not in held] if thumbprint else []

    def der(self, thumbprint: str) -> str:
        return next((state["certificates"][thumbprint]["der"] for state in self.states.values() if thumbprint in state["certificates"]), "")

    def sites(self) -> list:
        return sorted({server["site"] for server in self.states[self.acting]["organisation"] if server["mailbox"] and not server["edge"]})


def read_refusal(host: str, read) -> str:
    """Why a server's read cannot be used ("" when it can)."""
    if not isinstance(read, dict) or read.get("unreachable_host") or read.get("unreachable"):
        reason = (read or {}).get("read_error") or (read or {}).get("msg") or "no answer"
        return f"{host} is unreachable ({reason})"
    if read.get("read_error") or read.get("failed"):
        return f"{host} could not be read: {read.get('read_error') or read.get('msg')}"
    return ""


def shell_refusal(host: str, state: dict) -> str:
    """MEAC's shell checks (Shared/Confirm-ExchangeShell.ps1), as refusals naming the fix."""
    if not state["setup_key"]:
        return (f"{host} ({state['computer']}) has no Exchange setup registry key: it is not an Exchange server, and running from a remote "
                f"shell is refused as MEAC refuses it; take it out of the {VAR}group group (list the Mailbox servers themselves)")
    if state["edge"]:
        return f"{host} ({state['computer']}) is an Edge Transport server: the Auth certificate is a Mailbox server's; take it out of the group"
    if state["major"] < 15 or not (state["server"] or {}).get("version", "").startswith("Version 15"):
        return f"{host} ({state['computer']}) runs Exchange older than 2013 (major version {state['major']}); the Auth certificate needs version 15"
    return ""


def _usable_states(reads: dict, hosts: list, gates) -> tuple:
    """(states of the servers to act with, refusals for unreachable ones); shell refusals go to the gates at once."""
    states, unreachable = {}, []
    for host in hosts:
        refusal = read_refusal(host, reads.get(host))
        if refusal:
            unreachable.append(refusal)
            continue
        state = reads[host]["state"]["exchange"]
        problem = shell_refusal(host, state)
        if problem:
            gates.refuse(problem)
        else:
            states[host] = state
    return states, unreachable


def organisation_of(reads: dict, hosts: list, ignore_unreachable: bool, gates):
    """The Organisation of the readable Mailbox servers; every server must answer unless the override is set (as in MEAC)."""
    states, unreachable = _usable_states(reads, hosts, gates)
    if unreachable and not ignore_unreachable:
        for refusal in unreachable:
            gates.refuse(f"{refusal}: every Mailbox server must answer before the Auth certificate changes (MEAC refuses too); bring it "
                         f"back, or set {VAR}ignore_unreachable_servers=true to act on the others and import the certificate there later")
    if not states:
        gates.refuse(f"no Mailbox server of the {VAR}group group could be read")
        return None
    acting = next(iter(states))
    return Organisation(states=states, skipped=list(unreachable), now=parse_iso(states[acting]["now"]))


def _accounted(server: dict, hosts: list, names: set) -> bool:
    """Read under its Exchange name, or an inventory host of that name (one that could not be read, maybe)."""
    known = names | {host.lower() for host in hosts}
    return bool({server["name"].lower(), server["fqdn"].split(".")[0].lower()} & known)


def unlisted_servers(org, hosts: list) -> list:
    """Mailbox servers of version 15 that Get-ExchangeServer lists but the inventory group does not."""
    names = {org.name(host).lower() for host in org.hosts}
    listed = [server for server in org.states[org.acting]["organisation"] if server["mailbox"] and not server["edge"]
              and server["version"].startswith("Version 15")]
    return [server["name"] for server in listed if not _accounted(server, hosts, names)]


def listing_gates(gates, org, hosts: list, ignore_unreachable: bool) -> None:
    """Every Mailbox server of the organisation takes part, and they all read the same AuthConfig."""
    for name in unlisted_servers(org, hosts):
        if ignore_unreachable:
            org.skipped.append(f"{name} is an Exchange Mailbox server of the organisation but not in the {VAR}group group")
        else:
            gates.refuse(f"{name} is an Exchange Mailbox server of the organisation (Get-ExchangeServer) but not in the {VAR}group group: the "
                         f"Auth certificate must reach it too; add it to the inventory group, or set {VAR}ignore_unreachable_servers=true")
    keys = ("current", "next", "next_effective", "previous")
    views = {tuple(state["auth"][key] for key in keys) for state in org.states.values()}
    if len(views) > 1:
        gates.refuse("the servers read different AuthConfigs (" + "; ".join(f"{host}: current {state['auth']['current']}, next "
                     f"{state['auth']['next'] or 'none'}" for host, state in org.states.items()) + "): Active Directory replication has not "
                     "finished; wait for it and re-run")
