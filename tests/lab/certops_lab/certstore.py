# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's certificate stores (Cert:\\<location>\\<store>), as the Windows certificate APIs see them.

Each entry keeps what a Windows store keeps: the certificate (DER), its private key if any, whether
the key may be exported, where the key lives (the machine key store or the importing user's
profile), which accounts may read the key (the key file's ACL) and the friendly name.
The private key is kept as PEM under the JSON key ``private_key`` (masked by every lab output).
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization

LOCATIONS = ("LocalMachine", "CurrentUser")
WELL_KNOWN_STORES = ("My", "Root", "CA", "TrustedPeople", "TrustedPublisher", "AuthRoot", "Disallowed", "WebHosting")
KEY_STORAGES = ("machine", "user")
MACHINE_KEY_READERS = ("NT AUTHORITY\\SYSTEM", "BUILTIN\\Administrators")
EVERYONE = "everyone"


def canonical_location(location: str) -> str:
    for known in LOCATIONS:
        if str(location).lower() == known.lower():
            return known
    raise ValueError(f"unknown certificate store location {location!r}: use one of {', '.join(LOCATIONS)}")


def canonical_store_name(name: str) -> str:
    """Store names are case-insensitive on Windows; keep the usual spelling for well-known ones."""
    for known in WELL_KNOWN_STORES:
        if str(name).lower() == known.lower():
            return known
    if not str(name) or "\\" in str(name):
        raise ValueError(f"invalid certificate store name {name!r}")
    return str(name)


def account_name(account: str) -> str:
    """``CONTOSO\\svc`` and ``svc`` name the same account for an ACL check."""
    return str(account).rsplit("\\", 1)[-1].lower()


def as_der(certificate: Union[bytes, x509.Certificate]) -> bytes:
    if isinstance(certificate, x509.Certificate):
        return certificate.public_bytes(serialization.Encoding.DER)
    if certificate.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    return bytes(certificate)


def thumbprint_of(certificate: Union[bytes, x509.Certificate]) -> str:
    """Windows' Thumbprint: upper-case SHA-1 hex of the DER."""
    return hashlib.sha1(as_der(certificate)).hexdigest().upper()


def as_key_pem(key) -> Optional[str]:
    if key is None or isinstance(key, str):
        return key
    if isinstance(key, bytes):
        return key.decode("ascii")
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@dataclass
class StoredCertificate:
    """One certificate in one store."""
    der: bytes
    private_key: Optional[str] = None            # PEM (PKCS#8); never leaves the lab state
    exportable: bool = False
    key_storage: str = "machine"                 # machine | user
    key_readers: list = field(default_factory=list)
    friendly_name: str = ""

    @property
    def thumbprint(self) -> str:
        return thumbprint_of(self.der)

    @property
    def has_private_key(self) -> bool:
        return self.private_key is not None

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    def key_readable_by(self, account: str) -> bool:
        """Whether ``account`` may open the private key (False when there is none)."""
        readers = {account_name(reader) for reader in self.key_readers}
        return self.has_private_key and (EVERYONE in readers or account_name(account) in readers)

    def grant_key_read(self, account: str) -> bool:
        """Add ``account`` to the key's ACL; True when it changed anything."""
        if not self.has_private_key or self.key_readable_by(account):
            return False
        self.key_readers.append(account)
        return True

    def to_dict(self) -> dict:
        return {"der": base64.b64encode(self.der).decode("ascii"), "private_key": self.private_key,
                "exportable": self.exportable, "key_storage": self.key_storage,
                "key_readers": list(self.key_readers), "friendly_name": self.friendly_name,
                "thumbprint": self.thumbprint, "has_private_key": self.has_private_key}

    @classmethod
    def from_dict(cls, data: dict) -> "StoredCertificate":
        return cls(der=base64.b64decode(data["der"]), private_key=data.get("private_key"),
                   exportable=bool(data.get("exportable")), key_storage=data.get("key_storage", "machine"),
                   key_readers=list(data.get("key_readers", [])), friendly_name=data.get("friendly_name", ""))


@dataclass
class CertificateStore:
    """Cert:\\<location>\\<name>: entries by upper-case thumbprint."""
    location: str
    name: str
    entries: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"Cert:\\{self.location}\\{self.name}"

    def get(self, thumbprint: str) -> Optional[StoredCertificate]:
        return self.entries.get(str(thumbprint).replace(" ", "").upper())

    def __contains__(self, thumbprint: str) -> bool:
        return self.get(thumbprint) is not None

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, certificate, key=None, exportable: bool = False, key_storage: str = "machine",
            key_readers: Optional[list] = None, friendly_name: str = "", owner: str = "") -> StoredCertificate:
        """Add (or update) a certificate; a key already held is kept when ``key`` is None.

        ``owner`` is the importing account: a user-profile key is readable by it alone by default,
        a machine key by SYSTEM and Administrators (and the owner when given)."""
        if key_storage not in KEY_STORAGES:
            raise ValueError(f"key_storage must be one of {', '.join(KEY_STORAGES)}, not {key_storage!r}")
        if key_readers is None:
            key_readers = default_readers(key_storage, owner) if key is not None else []
        entry = StoredCertificate(as_der(certificate), as_key_pem(key), key is not None and exportable, key_storage,
                                  list(key_readers), friendly_name)
        existing = self.entries.get(entry.thumbprint)
        if existing is not None and entry.private_key is None:
            entry.private_key, entry.exportable = existing.private_key, existing.exportable
            entry.key_storage, entry.key_readers = existing.key_storage, existing.key_readers
        self.entries[entry.thumbprint] = entry
        return entry

    def remove(self, thumbprint: str) -> Optional[StoredCertificate]:
        return self.entries.pop(str(thumbprint).replace(" ", "").upper(), None)

    def to_dict(self) -> dict:
        return {"location": self.location, "name": self.name,
                "entries": [entry.to_dict() for _thumbprint, entry in sorted(self.entries.items())]}

    @classmethod
    def from_dict(cls, data: dict) -> "CertificateStore":
        store = cls(canonical_location(data["location"]), canonical_store_name(data["name"]))
        for item in data.get("entries", []):
            entry = StoredCertificate.from_dict(item)
            store.entries[entry.thumbprint] = entry
        return store


def default_readers(key_storage: str, owner: str) -> list:
    if key_storage == "user":
        return [owner] if owner else []
    return list(MACHINE_KEY_READERS) + ([owner] if owner else [])
