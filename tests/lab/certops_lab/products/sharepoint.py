# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SharePoint Server farm model: the trusts that let it accept Workflow Manager's tokens.

What it reproduces (reference/products.md §1, the seed 000_307bea5f2eb912f4):
- trusted security token issuers (Name, Id, RegisteredIssuerName, IsSelfIssuer, signing
  certificate); a token from Workflow Manager is accepted only when an issuer for
  ``00000005-0000-0000-c000-000000000000@<realm>`` or ``...@*`` holds the certificate it was
  signed with; otherwise the workflow's HTTP activity gets 401 "Invalid JWT token. Could not
  resolve issuer token.";
- ``New-SPTrustedSecurityTokenIssuer`` / ``New-SPTrustedRootAuthority`` with a name already in
  use fail with SharePoint's duplicate-object message; an unknown -Identity fails with the
  pipe-bind message;
- trusted root authorities (Central Administration > Security > Manage Trust);
- the farm's authentication realm.

Topology (the ``sharepoint`` list under ``products:``, handed over by ``from_topology``)::

    products:
      sharepoint:
        - name: sp                                   # farm name, unique among SharePoint farms
          hosts: [sp01, sp02]                        # inventory hosts of the farm
          realm: 8b9e1f4e-...                         # optional; default derived from the name
          farm_id: 0dbe5004-...                       # optional; default derived from the name (a twin keeps the real one)
          workflow_farm: wfm                         # the products.wfm farm registered here
          farm_account: LAB\\sp-farm                  # optional: SharePoint cmdlets then work only
                                                     # under become as this account (double hop)
          issuers:                                   # optional; default: the one
            - name: 00000005-0000-0000-c000-000000000000   # Register-SPWorkflowService creates,
              registered_issuer_name: 00000005-0000-0000-c000-000000000000@*
              certificate: <thumbprint>              # trusting the WFM farm's current certificate
              is_self_issuer: true
          root_authorities:                          # optional
            - name: WorkflowManager
              certificate: <thumbprint>

A ``certificate`` is the thumbprint (or ``cert:<id>``, which the loader resolves) of a certificate
present in some host's store in the topology; its DER is copied into the farm's configuration,
as SharePoint does.
"""
from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field

from certops_lab.contracts import CmdletError

WORKFLOW_PRINCIPAL = "00000005-0000-0000-c000-000000000000"
ISSUER_TYPE = "Microsoft.SharePoint.Administration.Claims.SPTrustedSecurityTokenService"
ISSUER_PARENT = 'Microsoft.SharePoint.Administration.Claims.SPSecurityTokenServiceManager named "SecurityTokenServiceManager"'
ROOT_TYPE = "Microsoft.SharePoint.Administration.SPTrustedRootAuthority"
ROOT_PARENT = 'Microsoft.SharePoint.Administration.SPTrustedRootAuthorityManager named "TrustedRootAuthorityManager"'


FARM_UNREACHABLE = ("Cannot access the local farm. Verify that the local farm is properly configured, currently available, "
                    "and that you have the appropriate permissions to access the database before trying again.")


def thumbprint_of(der: bytes) -> str:
    """SHA-1 of the DER certificate, upper-case hex, as Windows shows it."""
    return hashlib.sha1(der).hexdigest().upper()  # nosec B324 - a thumbprint, not a security use


def duplicate_message(kind: str, name: str, parent: str) -> str:
    return (f'An object of the type {kind} named "{name}" already exists under the parent {parent}. '
            "Rename your object or delete the existing object.")


@dataclass
class TrustedObject:
    """An SPTrustedSecurityTokenIssuer or SPTrustedRootAuthority: a name, an Id, a certificate."""
    name: str
    certificate: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    registered_issuer_name: str = ""
    is_self_issuer: bool = False

    @property
    def thumbprint(self) -> str:
        return thumbprint_of(self.certificate)

    def matches(self, identity: str) -> bool:
        return identity.lower() in (self.name.lower(), self.id.lower())

    def to_dict(self) -> dict:
        return {"name": self.name, "id": self.id, "certificate": base64.b64encode(self.certificate).decode(),
                "registered_issuer_name": self.registered_issuer_name, "is_self_issuer": self.is_self_issuer}

    @classmethod
    def from_dict(cls, data: dict) -> "TrustedObject":
        return cls(**{**data, "certificate": base64.b64decode(data["certificate"])})


@dataclass
class SharePointFarm:
    name: str
    hosts: list
    realm: str
    workflow_farm: str = ""
    farm_account: str = ""          # when set, the farm's database is reachable only as this account
    id: str = ""                    # (Get-SPFarm).Id; default derived from the name
    issuers: list = field(default_factory=list)
    root_authorities: list = field(default_factory=list)

    # --- SPTrustedSecurityTokenIssuer ------------------------------------------------------------
    def new_issuer(self, name: str, certificate: bytes, registered_issuer_name: str, is_self_issuer: bool = False) -> TrustedObject:
        if any(issuer.name.lower() == name.lower() for issuer in self.issuers):
            raise CmdletError(duplicate_message(ISSUER_TYPE, name, ISSUER_PARENT))
        issuer = TrustedObject(name=name, certificate=certificate, registered_issuer_name=registered_issuer_name,
                               is_self_issuer=is_self_issuer)
        self.issuers.append(issuer)
        return issuer

    def issuer(self, identity: str) -> TrustedObject:
        return _find(self.issuers, identity, "SPTrustedSecurityTokenIssuer")

    def remove_issuer(self, identity: str) -> None:
        self.issuers.remove(self.issuer(identity))

    # --- SPTrustedRootAuthority ------------------------------------------------------------------
    def new_root_authority(self, name: str, certificate: bytes) -> TrustedObject:
        if any(root.name.lower() == name.lower() for root in self.root_authorities):
            raise CmdletError(duplicate_message(ROOT_TYPE, name, ROOT_PARENT))
        root = TrustedObject(name=name, certificate=certificate)
        self.root_authorities.append(root)
        return root

    def root_authority(self, identity: str) -> TrustedObject:
        return _find(self.root_authorities, identity, "SPTrustedRootAuthority")

    def remove_root_authority(self, identity: str) -> None:
        self.root_authorities.remove(self.root_authority(identity))

    def check_database_access(self, become_user) -> None:
        """Over WinRM with NTLM the user's credentials cannot hop on to SQL Server (double hop):
        the SharePoint cmdlets then fail unless the task runs as the farm account (become)."""
        if self.farm_account and str(become_user or "").lower() != self.farm_account.lower():
            raise CmdletError(FARM_UNREACHABLE)

    # --- trust decisions -------------------------------------------------------------------------
    def workflow_issuer_names(self) -> tuple:
        return (f"{WORKFLOW_PRINCIPAL}@{self.realm}".lower(), f"{WORKFLOW_PRINCIPAL}@*")

    def trusts_workflow_signer(self, thumbprint: str) -> bool:
        """Would this farm accept a workflow token signed with ``thumbprint``?"""
        names = self.workflow_issuer_names()
        return any(issuer.registered_issuer_name.lower() in names and issuer.thumbprint == thumbprint
                   for issuer in self.issuers)

    def __post_init__(self):
        self.id = self.id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"certops-lab/sharepoint-farm/{self.name}"))

    def to_dict(self) -> dict:
        return {"name": self.name, "hosts": list(self.hosts), "realm": self.realm, "workflow_farm": self.workflow_farm,
                "farm_account": self.farm_account, "id": self.id, "issuers": [issuer.to_dict() for issuer in self.issuers],
                "root_authorities": [root.to_dict() for root in self.root_authorities]}

    @classmethod
    def from_dict(cls, data: dict) -> "SharePointFarm":
        return cls(name=data["name"], hosts=list(data["hosts"]), realm=data["realm"], workflow_farm=data.get("workflow_farm", ""),
                   farm_account=data.get("farm_account", ""), id=data.get("id", ""),
                   issuers=[TrustedObject.from_dict(item) for item in data.get("issuers", [])],
                   root_authorities=[TrustedObject.from_dict(item) for item in data.get("root_authorities", [])])


def _find(objects: list, identity: str, kind: str) -> TrustedObject:
    for item in objects:
        if item.matches(str(identity)):
            return item
    raise CmdletError(f"Cannot find an {kind} object with Id or Name: {identity}.")


def default_realm(name: str) -> str:
    """A stable realm GUID for a farm that the topology gives none (SharePoint generates one)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"certops-lab/sharepoint/{name}"))


def from_topology(entries: list, estate, workflow_farms: dict) -> dict:
    """SharePointFarm objects by name from the topology's ``products: sharepoint:`` list."""
    farms = {}
    for entry in entries or []:
        farm = farm_from_entry(entry, estate, workflow_farms)
        if farm.name in farms:
            raise ValueError(f"products.sharepoint: farm name {farm.name!r} is used twice")
        farms[farm.name] = farm
    return farms


def farm_from_entry(entry: dict, estate, workflow_farms: dict) -> SharePointFarm:
    label = f"products.sharepoint {entry.get('name', '?')!r}"
    missing = [key for key in ("name", "hosts", "workflow_farm") if not entry.get(key)]
    if missing:
        raise ValueError(f"{label} lacks {', '.join(missing)}")
    unknown = [host for host in entry["hosts"] if host not in estate.hosts]
    if unknown:
        raise ValueError(f"{label}: unknown hosts {', '.join(unknown)}")
    if entry["workflow_farm"] not in workflow_farms:
        raise ValueError(f"{label}: workflow_farm {entry['workflow_farm']!r} is not a products.wfm farm")
    farm = SharePointFarm(name=entry["name"], hosts=list(entry["hosts"]), realm=entry.get("realm") or default_realm(entry["name"]),
                          workflow_farm=entry["workflow_farm"], farm_account=entry.get("farm_account", ""), id=entry.get("farm_id", ""))
    registered = {"name": WORKFLOW_PRINCIPAL, "is_self_issuer": True, "certificate": workflow_farms[farm.workflow_farm].current}
    for issuer in entry.get("issuers", [registered]):
        farm.new_issuer(issuer["name"], certificate_der(estate, issuer["certificate"], label),
                        issuer.get("registered_issuer_name", f"{WORKFLOW_PRINCIPAL}@*"), bool(issuer.get("is_self_issuer", False)))
    for root in entry.get("root_authorities", []):
        farm.new_root_authority(root["name"], certificate_der(estate, root["certificate"], label))
    return farm


def certificate_der(estate, thumbprint: str, label: str) -> bytes:
    """The DER of a certificate found in any host's store of the estate, by thumbprint."""
    wanted = str(thumbprint).upper()
    for host in estate.hosts.values():
        for entry in host.all_certificates():
            if entry.thumbprint == wanted:
                return entry.der
    raise ValueError(f"{label}: certificate {thumbprint} is in no host's certificate store")
