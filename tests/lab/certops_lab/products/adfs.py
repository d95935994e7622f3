# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS farm model: token-signing and token-decrypting certificates, AdfsProperties, auto-rollover.

What it reproduces (reference/products.md §2.1, §2.2; seed 001_cc477533a2a1ae96):
- a WID farm: one primary node, secondary nodes (``Get-AdfsSyncProperties`` Role
  ``PrimaryComputer`` / ``SecondaryComputer``, documented with ``Set-AdfsSyncProperties``);
  certificate and property changes on a secondary fail with the error reported in
  MicrosoftDocs/windowsserverdocs#3761 ("The server was unable to process the request due to an
  internal error...");
- ``AdfsProperties`` with the documented defaults: AutoCertificateRollover True, thresholds
  20 / 5 / 2 days, CertificateDuration 365, CertificateRolloverInterval 720 minutes,
  CertificateThresholdMultiplier 1440 (minutes per threshold unit);
- a primary and optional secondary certificate per type. Certificates that auto-rollover made are
  self-signed and keep their key in the farm (DKM); CA-issued ones live in LocalMachine\\My of
  every node, and the AD FS service account must read their key there (Windows Server docs
  "Obtain and configure TS and TD certificates for AD FS"), or that node cannot sign;
- auto-rollover, driven by the lab clock: every CertificateRolloverInterval the service generates
  a secondary certificate CertificateGenerationThreshold days before the primary expires, promotes
  it CertificatePromotionThreshold days after it was generated, rolls over at once at the critical
  threshold, and drops generated certificates that expired;
- ``Add-AdfsCertificate`` (the certificate must be in LocalMachine\\My with its key and, for token
  signing, the digitalSignature key usage: the AD FS console's "Add Token-Signing Certificate"
  lists only those), ``Set-AdfsCertificate -IsPrimary``, ``Remove-AdfsCertificate`` (never the
  primary) and certificate edits require AutoCertificateRollover False (the CA-issued procedure
  of the same page); ``Update-AdfsCertificate`` requires it True ("When automatic certificate
  rollover is enabled ... this update cmdlet can be used to initiate a rollover") and with
  ``-Urgent`` promotes the new certificate at once and removes the older ones ("An urgent rollover
  removes older certificates immediately").
Messages that no public page quotes are the lab's wording of the documented rule.

Topology (the ``adfs`` list under ``products:``; ``adfs_estate.from_topology`` hands it over)::

    products:
      adfs:
        - name: fs                                   # farm name
          hosts: [adfs01, adfs02]                    # nodes; the first is the primary unless
          primary: adfs01                            # primary names another
          service_account: LAB\\gmsa-adfs$            # the adfssrv account (reads CA-issued keys)
          host_name: sts.lab.test                    # AdfsProperties HostName
          identifier: http://sts.lab.test/adfs/services/trust   # default from host_name
          metadata_reachable: true                   # whether Entra can fetch the metadata
          properties: {AutoCertificateRollover: true}  # overrides of the defaults
          token_signing:                             # a list; each entry a generated certificate
            - {primary: true, not_before: -340d, not_after: +25d}      # made by auto-rollover, or
            - {certificate: cert:ts-2026}            # a CA-issued one placed on the hosts
          token_decrypting: [...]                    # same shape; default: one generated primary
          relying_parties:                           # besides Entra (always present)
            - {name: Intranet, identifier: https://intranet.lab.test/, monitoring: false}
"""
from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from certops_lab.certstore import as_key_pem
from certops_lab.clock import parse_offset
from certops_lab.contracts import CmdletError

SIGNING, DECRYPTING = "Token-Signing", "Token-Decrypting"
TYPES = (SIGNING, DECRYPTING)
PRIMARY_ROLE, SECONDARY_ROLE = "PrimaryComputer", "SecondaryComputer"
ENTRA_IDENTIFIER = "urn:federation:MicrosoftOnline"
DEFAULT_PROPERTIES = {
    "AutoCertificateRollover": True, "CertificateGenerationThreshold": 20, "CertificatePromotionThreshold": 5,
    "CertificateCriticalThreshold": 2, "CertificateDuration": 365, "CertificateRolloverInterval": 720,
    "CertificateThresholdMultiplier": 1440,
}
# MicrosoftDocs/windowsserverdocs#3761: what certificate cmdlets report on a node that is not the primary.
SECONDARY_NODE_ERROR = ("The server was unable to process the request due to an internal error. For more information about the error, "
                        "either turn on IncludeExceptionDetailInFaults (either from ServiceBehaviorAttribute or from the <serviceDebug> "
                        "configuration behavior) on the server in order to send the exception information back to the client, or turn on "
                        "tracing as per the Microsoft .NET Framework SDK documentation and inspect the server trace logs.")
AUTO_ROLLOVER_ON = ("{cmdlet}: certificates of type {type} cannot be changed while AutoCertificateRollover is enabled; run "
                    "Set-AdfsProperties -AutoCertificateRollover $false first.")
AUTO_ROLLOVER_OFF = "Update-AdfsCertificate: AutoCertificateRollover is disabled; AD FS does not manage the {type} certificates."
SUBJECT_PREFIX = {SIGNING: "ADFS Signing", DECRYPTING: "ADFS Encryption"}


def thumbprint_of(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest().upper()  # nosec B324 - a thumbprint, not a security use


def generate_certificate(kind: str, host_name: str, not_before: datetime.datetime, not_after: datetime.datetime) -> tuple:
    """(DER, key PEM) of a self-signed certificate as auto-rollover makes it: CN=ADFS Signing - <host name>."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{SUBJECT_PREFIX[kind]} - {host_name}")])
    usage = {"digital_signature": kind == SIGNING, "key_encipherment": kind == DECRYPTING}
    usages = dict.fromkeys(("content_commitment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                            "encipher_only", "decipher_only"), False)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
                   .add_extension(x509.KeyUsage(**usage, **usages), critical=True).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.DER), as_key_pem(key)


@dataclass
class AdfsCertificate:
    """One token-signing or token-decrypting certificate of the farm's configuration."""
    type: str
    der: bytes
    is_primary: bool = False
    private_key: Optional[str] = None    # generated certificates only: the key AD FS keeps in DKM

    @property
    def thumbprint(self) -> str:
        return thumbprint_of(self.der)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @property
    def generated(self) -> bool:
        return self.private_key is not None

    @property
    def not_before(self) -> datetime.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> datetime.datetime:
        return self.certificate.not_valid_after_utc

    def to_dict(self) -> dict:
        return {"type": self.type, "der": base64.b64encode(self.der).decode("ascii"), "is_primary": self.is_primary,
                "private_key": self.private_key, "thumbprint": self.thumbprint}

    @classmethod
    def from_dict(cls, data: dict) -> "AdfsCertificate":
        return cls(data["type"], base64.b64decode(data["der"]), bool(data["is_primary"]), data.get("private_key"))


@dataclass
class AdfsFarm:
    """One AD FS farm (WID): its nodes, properties, certificates and relying parties."""
    name: str
    hosts: list
    primary: str
    service_account: str
    host_name: str
    identifier: str
    properties: dict = field(default_factory=lambda: dict(DEFAULT_PROPERTIES))
    certificates: list = field(default_factory=list)
    relying_parties: list = field(default_factory=list)
    metadata_reachable: bool = True

    # --- reading ----------------------------------------------------------------------------
    def of_type(self, kind: str) -> list:
        return [item for item in self.certificates if item.type == kind]

    def primary_of(self, kind: str) -> Optional[AdfsCertificate]:
        return next((item for item in self.of_type(kind) if item.is_primary), None)

    def find(self, kind: str, thumbprint: str) -> Optional[AdfsCertificate]:
        return next((item for item in self.of_type(kind) if item.thumbprint == str(thumbprint).upper()), None)

    def sync_role(self, host: str) -> str:
        return PRIMARY_ROLE if host == self.primary else SECONDARY_ROLE

    @property
    def auto_rollover(self) -> bool:
        return bool(self.properties["AutoCertificateRollover"])

    def threshold(self, name: str) -> datetime.timedelta:
        return datetime.timedelta(minutes=int(self.properties[name]) * int(self.properties["CertificateThresholdMultiplier"]))

    # --- cmdlets (run on ``host``) ------------------------------------------------------------
    def require_primary_node(self, host: str) -> None:
        if host != self.primary:
            raise CmdletError(SECONDARY_NODE_ERROR)

    def require_manual(self, cmdlet: str, kind: str) -> None:
        if self.auto_rollover:
            raise CmdletError(AUTO_ROLLOVER_ON.format(cmdlet=cmdlet, type=kind))

    def add(self, kind: str, thumbprint: str, store_entry, is_primary: bool = False) -> AdfsCertificate:
        """Add-AdfsCertificate: ``store_entry`` is the certificate in LocalMachine\\My of the node it runs on."""
        self.require_manual("Add-AdfsCertificate", kind)
        check_store_entry(kind, thumbprint, store_entry)
        if self.find(kind, thumbprint):
            raise CmdletError(f"Add-AdfsCertificate: the {kind} certificate with thumbprint {thumbprint} is already part of the "
                              "AD FS configuration.")
        added = AdfsCertificate(kind, store_entry.der)
        self.certificates.append(added)
        if is_primary:
            self.set_primary(kind, thumbprint)
        return added

    def certificate(self, cmdlet: str, kind: str, thumbprint: str) -> AdfsCertificate:
        found = self.find(kind, thumbprint)
        if found is None:
            raise CmdletError(f"{cmdlet}: no {kind} certificate with thumbprint {thumbprint} is part of the AD FS configuration.")
        return found

    def set_primary(self, kind: str, thumbprint: str) -> None:
        """Set-AdfsCertificate -IsPrimary: the former primary stays as a secondary."""
        self.require_manual("Set-AdfsCertificate", kind)
        chosen = self.certificate("Set-AdfsCertificate", kind, thumbprint)
        for item in self.of_type(kind):
            item.is_primary = item is chosen

    def remove(self, kind: str, thumbprint: str) -> None:
        self.require_manual("Remove-AdfsCertificate", kind)
        chosen = self.certificate("Remove-AdfsCertificate", kind, thumbprint)
        if chosen.is_primary:
            raise CmdletError(f"Remove-AdfsCertificate: the {kind} certificate {thumbprint} is the primary certificate and cannot be "
                              "removed; make another certificate primary first.")
        self.certificates.remove(chosen)

    def update(self, kind: str, urgent: bool, now: datetime.datetime) -> AdfsCertificate:
        """Update-AdfsCertificate: a new generated secondary; with -Urgent a new primary, older certificates removed."""
        if not self.auto_rollover:
            raise CmdletError(AUTO_ROLLOVER_OFF.format(type=kind))
        new = self.generate(kind, now)
        if urgent:
            self.certificates = [item for item in self.certificates if item.type != kind] + [new]
            new.is_primary = True
        else:
            self.certificates = [item for item in self.certificates if item.type != kind or item.is_primary] + [new]
        return new

    def set_auto_rollover(self, value: bool) -> None:
        self.properties["AutoCertificateRollover"] = bool(value)

    # --- auto-rollover ------------------------------------------------------------------------
    def generate(self, kind: str, now: datetime.datetime) -> AdfsCertificate:
        not_after = now + datetime.timedelta(days=int(self.properties["CertificateDuration"]))
        der, key = generate_certificate(kind, self.host_name, now, not_after)
        return AdfsCertificate(kind, der, False, key)

    def newest_secondary(self, kind: str) -> Optional[AdfsCertificate]:
        primary = self.primary_of(kind)
        later = [item for item in self.of_type(kind) if not item.is_primary and primary and item.not_after > primary.not_after]
        return max(later, key=lambda item: item.not_after, default=None)

    def rollover_tick(self, now: datetime.datetime) -> list:
        """One run of the rollover service at ``now``: what it did, one line per change."""
        if not self.auto_rollover:
            return []
        done = []
        for kind in TYPES:
            done += self._rollover_type(kind, now)
        return done

    def _rollover_type(self, kind: str, now: datetime.datetime) -> list:
        primary, done = self.primary_of(kind), []
        if primary is None:
            return []
        secondary = self.newest_secondary(kind)
        critical = now >= primary.not_after - self.threshold("CertificateCriticalThreshold")
        if secondary is None and (critical or now >= primary.not_after - self.threshold("CertificateGenerationThreshold")):
            secondary = self.generate(kind, now)
            self.certificates.append(secondary)
            done.append(f"generated {kind} {secondary.thumbprint}")
        if secondary is not None and (critical or now >= secondary.not_before + self.threshold("CertificatePromotionThreshold")):
            for item in self.of_type(kind):
                item.is_primary = item is secondary
            done.append(f"promoted {kind} {secondary.thumbprint}")
        expired = [item for item in self.of_type(kind) if item.generated and not item.is_primary and item.not_after <= now]
        self.certificates = [item for item in self.certificates if item not in expired]
        return done + [f"removed expired {kind} {item.thumbprint}" for item in expired]

    # --- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"name": self.name, "hosts": list(self.hosts), "primary": self.primary, "service_account": self.service_account,
                "host_name": self.host_name, "identifier": self.identifier, "properties": dict(self.properties),
                "certificates": [item.to_dict() for item in self.certificates], "relying_parties": list(self.relying_parties),
                "metadata_reachable": self.metadata_reachable}

    @classmethod
    def from_dict(cls, data: dict) -> "AdfsFarm":
        fields = {key: value for key, value in data.items() if key != "certificates"}
        return cls(**fields, certificates=[AdfsCertificate.from_dict(item) for item in data.get("certificates", [])])


def check_store_entry(kind: str, thumbprint: str, entry) -> None:
    """Add-AdfsCertificate lists only certificates of LocalMachine\\My with a private key (and digitalSignature to sign)."""
    if entry is None or not entry.has_private_key:
        raise CmdletError(f"Add-AdfsCertificate: the certificate with thumbprint {thumbprint} was not found in the LocalMachine\\My "
                          "store with its private key.")
    if kind == SIGNING and not key_usage_allows_signing(entry.certificate):
        raise CmdletError(f"Add-AdfsCertificate: the certificate with thumbprint {thumbprint} lacks the Digital Signature key usage "
                          "and cannot sign tokens.")


def key_usage_allows_signing(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    except x509.ExtensionNotFound:
        return True


def entra_relying_party() -> dict:
    """The Microsoft Office 365 Identity Platform trust every federated farm has."""
    return {"name": "Microsoft Office 365 Identity Platform", "identifiers": [ENTRA_IDENTIFIER, "https://login.microsoftonline.com/extSTS.srf"],
            "enabled": True, "monitoring": False, "metadata_url": ""}


# --- topology -----------------------------------------------------------------------------------
def farm_from_entry(entry: dict, estate) -> AdfsFarm:
    missing = [key for key in ("name", "hosts", "service_account", "host_name") if not entry.get(key)]
    if missing:
        raise ValueError(f"products.adfs entry {entry.get('name', '?')!r} lacks {', '.join(missing)}")
    unknown = [host for host in entry["hosts"] if host not in estate.hosts]
    if unknown:
        raise ValueError(f"products.adfs {entry['name']!r}: unknown hosts {', '.join(unknown)}")
    primary = entry.get("primary") or entry["hosts"][0]
    if primary not in entry["hosts"]:
        raise ValueError(f"products.adfs {entry['name']!r}: primary {primary!r} is not one of its hosts")
    properties = dict(DEFAULT_PROPERTIES, **(entry.get("properties") or {}))
    farm = AdfsFarm(name=entry["name"], hosts=list(entry["hosts"]), primary=primary, service_account=entry["service_account"],
                    host_name=entry["host_name"], identifier=entry.get("identifier") or f"http://{entry['host_name']}/adfs/services/trust",
                    properties=properties, metadata_reachable=bool(entry.get("metadata_reachable", True)),
                    relying_parties=[entra_relying_party()] + [relying_party(item) for item in entry.get("relying_parties") or []])
    for kind, section in ((SIGNING, "token_signing"), (DECRYPTING, "token_decrypting")):
        farm.certificates += certificates_from_entries(farm, kind, entry.get(section) or [{"primary": True}], estate)
    return farm


def relying_party(item: dict) -> dict:
    return {"name": str(item["name"]), "identifiers": [str(item.get("identifier") or item["name"])], "enabled": bool(item.get("enabled", True)),
            "monitoring": bool(item.get("monitoring", False)), "metadata_url": str(item.get("metadata_url") or "")}


def certificates_from_entries(farm: AdfsFarm, kind: str, entries: list, estate) -> list:
    made = [certificate_from_entry(farm, kind, item, estate) for item in entries]
    if sum(item.is_primary for item in made) != 1:
        raise ValueError(f"products.adfs {farm.name!r}: {kind} needs exactly one entry with primary: true")
    return made


def certificate_from_entry(farm: AdfsFarm, kind: str, item: dict, estate) -> AdfsCertificate:
    if item.get("certificate"):
        thumbprint = str(item["certificate"]).upper()
        holders = [estate.hosts[host].store("LocalMachine", "My").get(thumbprint) for host in farm.hosts]
        found = next((entry for entry in holders if entry is not None), None)
        if found is None:
            raise ValueError(f"products.adfs {farm.name!r}: {kind} certificate {thumbprint} is in LocalMachine\\My of none of its hosts")
        return AdfsCertificate(kind, found.der, bool(item.get("primary")))
    now = estate.clock
    der, key = generate_certificate(kind, farm.host_name, now + parse_offset(item.get("not_before", "-1d")),
                                    now + parse_offset(item.get("not_after", "+364d")))
    return AdfsCertificate(kind, der, bool(item.get("primary")), key)
