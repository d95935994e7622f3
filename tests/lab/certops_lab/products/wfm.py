# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager 1.0 farm model: the outbound (token-signing) certificate and its references.

What it reproduces (reference/products.md §1, the seed 000_307bea5f2eb912f4):
- three outbound references, current / next / previous; ``Set-WFNextOutboundCertificateReference``
  adds the next one, ``Set-WFNextOutboundCertificateAsCurrent`` promotes it (the old current
  becomes previous);
- the next certificate must be in LocalMachine\\My on EVERY Workflow Manager host, with its
  private key, readable by the Workflow Manager service (RunAs) account; otherwise the cmdlet
  fails the way .NET does on Windows ("Keyset does not exist" for an unreadable key);
- ``Get-WFFarm`` on 1.0 CU3 keeps showing the outbound thumbprint the farm was created with
  (a cosmetic bug fixed in CU4), while ``Get-WFOutboundCertificate`` is right;
- the farm signs every workflow token with its current outbound certificate.

Topology (the ``wfm`` list under ``products:``, handed over by ``from_topology``)::

    products:
      wfm:
        - name: wfm                                  # farm name, unique among WFM farms
          service_uri: https://wfm.lab.test:12290    # what -ServiceUri must equal
          hosts: [wfm01]                             # inventory hosts of the farm
          service_account: LAB\\svc-wfm              # RunAs account that must read the key
          version: "1.0 CU3"                         # optional, default "1.0 CU3"
          outbound_certificate: cert:wfm-outbound    # current outbound certificate (thumbprint, or
                                                     # cert:<id> of a topology certificate)
          previous_certificate: cert:wfm-old         # optional: the certificate it replaced (a
                                                     # farm that was switched before the lab started)

The certificate itself must already be in LocalMachine\\My of the farm's hosts (the topology's
certificate section puts it there; the loader turns ``cert:<id>`` into its thumbprint).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from certops_lab.contracts import CmdletError

DEFAULT_VERSION = "1.0 CU3"
# Versions on which Get-WFFarm keeps the outbound thumbprint of farm creation.
STALE_FARM_VIEW_VERSIONS = ("1.0", "1.0 CU1", "1.0 CU2", "1.0 CU3")


def normalise_uri(uri: str) -> str:
    """-ServiceUri is a System.Uri: scheme and host compare case-insensitively, a trailing slash is ignored."""
    text = str(uri).strip()
    scheme, sep, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}".rstrip("/")


@dataclass
class WorkflowFarm:
    """One Workflow Manager farm; thumbprints are 40 upper-case hex characters or ""."""
    name: str
    service_uri: str
    hosts: list
    service_account: str
    version: str = DEFAULT_VERSION
    current: str = ""
    next: str = ""
    previous: str = ""
    created_with: str = ""          # the outbound thumbprint Get-WFFarm shows on CU3 and older
    history: list = field(default_factory=list)   # every thumbprint that was ever current, in order

    def serves(self, uri: str) -> bool:
        return normalise_uri(uri) == normalise_uri(self.service_uri)

    def set_next_reference(self, thumbprint: str, estate) -> None:
        """Set-WFNextOutboundCertificateReference: the certificate must be usable on every host."""
        for host_name in self.hosts:
            problem = signing_key_problem(estate, host_name, thumbprint, self.service_account)
            if problem:
                raise CmdletError(problem)
        self.next = thumbprint

    def set_next_as_current(self) -> None:
        """Set-WFNextOutboundCertificateAsCurrent."""
        if not self.next:
            raise CmdletError("There is no next outbound certificate reference to make current. "
                              "Run Set-WFNextOutboundCertificateReference first.")
        if self.next != self.current:
            self.previous, self.current = self.current, self.next
            self.history.append(self.current)
        self.next = ""

    def outbound_references(self) -> dict:
        """What Get-WFOutboundCertificate reports (the lab's model of its one output object)."""
        return {"Current": self.current, "Next": self.next, "Previous": self.previous}

    def farm_view_outbound(self) -> str:
        """The outbound thumbprint Get-WFFarm shows: stale before CU4."""
        return self.created_with if self.version in STALE_FARM_VIEW_VERSIONS else self.current

    def signing_thumbprint(self) -> str:
        """The certificate every workflow token is signed with from now on."""
        return self.current

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "WorkflowFarm":
        return cls(**data)


def signing_key_problem(estate, host_name: str, thumbprint: str, account: str):
    """Why ``thumbprint`` cannot sign on ``host_name`` for ``account`` (None when it can)."""
    entry = estate.hosts[host_name].store("LocalMachine", "My").get(thumbprint)
    if entry is None:
        return (f"The certificate with thumbprint '{thumbprint}' was not found in the LocalMachine\\My "
                f"certificate store on {host_name}.")
    if not entry.has_private_key:
        return f"The certificate with thumbprint '{thumbprint}' on {host_name} has no private key."
    if not entry.key_readable_by(account):
        return f"Keyset does not exist (the private key of '{thumbprint}' on {host_name} is not readable by {account})."
    return None


def from_topology(entries: list, estate) -> dict:
    """WorkflowFarm objects by name from the topology's ``products: wfm:`` list."""
    farms = {}
    for entry in entries or []:
        farm = farm_from_entry(entry, estate)
        if farm.name in farms:
            raise ValueError(f"products.wfm: farm name {farm.name!r} is used twice")
        farms[farm.name] = farm
    return farms


def farm_from_entry(entry: dict, estate) -> WorkflowFarm:
    missing = [key for key in ("name", "service_uri", "hosts", "service_account", "outbound_certificate") if not entry.get(key)]
    if missing:
        raise ValueError(f"products.wfm entry {entry.get('name', '?')!r} lacks {', '.join(missing)}")
    unknown = [host for host in entry["hosts"] if host not in estate.hosts]
    if unknown:
        raise ValueError(f"products.wfm {entry['name']!r}: unknown hosts {', '.join(unknown)}")
    thumbprint, previous = str(entry["outbound_certificate"]).upper(), str(entry.get("previous_certificate") or "").upper()
    return WorkflowFarm(name=entry["name"], service_uri=entry["service_uri"], hosts=list(entry["hosts"]),
                        service_account=entry["service_account"], version=entry.get("version", DEFAULT_VERSION),
                        current=thumbprint, previous=previous, created_with=previous or thumbprint,
                        history=[item for item in (previous, thumbprint) if item])
