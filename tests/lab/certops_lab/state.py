# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The state of a simulated estate: hosts (certificate stores, files, services, facts) and products.

Everything here is JSON-serialisable through ``to_dict()`` / ``from_dict()`` so that a lab
survives ``down``/``up``. Private keys live in the state (a certificate store without them could
not say "has a private key", "exportable" or "who may read the key") but only under keys named
``private_key``, which every lab output path masks; twins never return them.

Product models hand their (de)serialisers to ``product_codec`` at import time::

    product_codec(("wfm", "sharepoint"), workflow.to_dict, workflow.from_dict)

``encode(products) -> dict`` returns the JSON of exactly those keys, ``decode(data) -> dict``
rebuilds them. Product keys nobody registered must already be JSON data.
"""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Union

from certops_lab.certstore import CertificateStore, StoredCertificate, canonical_location, canonical_store_name
from certops_lab.clock import DEFAULT_START, isoformat, parse_instant
from certops_lab.filesystem import FileSystem

__all__ = ["CertificateStore", "StoredCertificate", "FileSystem", "HostFacts", "ServiceState", "HostState", "Estate",
           "product_codec", "sha1_hex"]

_PRODUCT_CODECS: list = []
DEFAULT_USER = "ansible"


def sha1_hex(data: bytes) -> str:
    """Lower-case SHA-1 hex, as Ansible compares file checksums."""
    return hashlib.sha1(data).hexdigest()


def product_codec(keys: tuple, encode: Callable, decode: Callable) -> None:
    """Register how ``estate.products[key]`` for each of ``keys`` is written to and read from JSON."""
    global _PRODUCT_CODECS  # pylint: disable=global-statement
    _PRODUCT_CODECS = [codec for codec in _PRODUCT_CODECS if codec[0] != tuple(keys)] + [(tuple(keys), encode, decode)]


@dataclass
class HostFacts:
    """What ``ansible.windows.setup`` reports about a host."""
    hostname: str
    domain: str = "lab.test"
    os_name: str = "Microsoft Windows Server 2022 Datacenter"
    os_version: str = "10.0.20348.0"
    architecture: str = "64-bit"
    powershell_version: int = 5
    ip_addresses: list = field(default_factory=lambda: ["127.0.0.1"])

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{self.domain}" if self.domain else self.hostname

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> "HostFacts":
        return cls(**data)


@dataclass
class ServiceState:
    """One Windows service as win_service sees it."""
    name: str
    display_name: str = ""
    state: str = "running"          # running | stopped | paused
    start_mode: str = "auto"        # auto | delayed | manual | disabled
    username: str = "LocalSystem"
    path: str = ""
    description: str = ""
    dependencies: list = field(default_factory=list)
    restarts: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> "ServiceState":
        return cls(**data)


@dataclass
class HostState:
    """One simulated Windows host."""
    name: str
    roles: list = field(default_factory=list)
    user: str = DEFAULT_USER
    facts: Optional[HostFacts] = None
    stores: dict = field(default_factory=dict)      # "LocalMachine\\My" -> CertificateStore
    files: FileSystem = field(default_factory=FileSystem)
    services: dict = field(default_factory=dict)    # lower-case name -> ServiceState

    def __post_init__(self):
        if self.facts is None:
            self.facts = HostFacts(hostname=self.name.split(".")[0].upper()[:15])
        for folder in self.standard_folders():
            self.files.mkdir(folder)

    def standard_folders(self) -> tuple:
        """The folders every Windows Server has, which users' own playbooks copy to and read from."""
        return ("C:\\Windows\\Temp", "C:\\Windows\\System32", "C:\\ProgramData", "C:\\Program Files", "C:\\Program Files (x86)",
                "C:\\Users\\Public", f"{self.profile_dir}\\AppData\\Roaming", self.temp_dir)

    # --- certificate stores -----------------------------------------------------------------
    def store(self, location: str, name: str) -> CertificateStore:
        """The store ``location\\name`` (created empty on first use, like Windows does)."""
        location, name = canonical_location(location), canonical_store_name(name)
        key = f"{location}\\{name}"
        if key not in self.stores:
            self.stores[key] = CertificateStore(location, name)
        return self.stores[key]

    def all_certificates(self) -> Iterator[StoredCertificate]:
        for store in self.stores.values():
            yield from store.entries.values()

    def find_certificate(self, thumbprint: str) -> list:
        """Every (store, entry) holding ``thumbprint``."""
        wanted = thumbprint.replace(" ", "").upper()
        return [(store, store.entries[wanted]) for store in self.stores.values() if wanted in store.entries]

    # --- accounts, temp dirs and services ---------------------------------------------------
    @property
    def profile_dir(self) -> str:
        return f"C:\\Users\\{self.user}"

    @property
    def temp_dir(self) -> str:
        return f"{self.profile_dir}\\AppData\\Local\\Temp"

    def service(self, name: str) -> Optional[ServiceState]:
        return self.services.get(name.lower())

    def add_service(self, name: str, **settings) -> ServiceState:
        service = ServiceState(name=name, display_name=settings.pop("display_name", name), **settings)
        self.services[name.lower()] = service
        return service

    # --- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"name": self.name, "roles": list(self.roles), "user": self.user, "facts": self.facts.to_dict(),
                # empty stores are left out: opening a store must not read as a change of state
                "stores": {key: store.to_dict() for key, store in sorted(self.stores.items()) if store.entries},
                "files": self.files.to_dict(),
                "services": {service.name: service.to_dict() for service in self.services.values()}}

    @classmethod
    def from_dict(cls, data: dict) -> "HostState":
        host = cls(name=data["name"], roles=list(data.get("roles", [])), user=data.get("user", DEFAULT_USER),
                   facts=HostFacts.from_dict(data["facts"]) if data.get("facts") else None,
                   files=FileSystem.from_dict(data.get("files", {})))
        for item in data.get("stores", {}).values():
            store = CertificateStore.from_dict(item)
            host.stores[f"{store.location}\\{store.name}"] = store
        for item in data.get("services", {}).values():
            service = ServiceState.from_dict(item)
            host.services[service.name.lower()] = service
        return host


@dataclass
class Estate:
    """Every host by inventory name, the cross-host product models, and the lab clock (UTC)."""
    hosts: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    clock: datetime.datetime = DEFAULT_START

    def add_host(self, name: str, **settings) -> HostState:
        host = HostState(name=name, **settings)
        self.hosts[name] = host
        return host

    def set_clock(self, value: Union[str, datetime.datetime]) -> datetime.datetime:
        self.clock = parse_instant(value)
        return self.clock

    def to_dict(self) -> dict:
        return {"hosts": {name: host.to_dict() for name, host in self.hosts.items()},
                "products": encode_products(self.products), "clock": isoformat(self.clock)}

    @classmethod
    def from_dict(cls, data: dict) -> "Estate":
        return cls(hosts={name: HostState.from_dict(item) for name, item in data.get("hosts", {}).items()},
                   products=decode_products(data.get("products", {})),
                   clock=parse_instant(data["clock"]) if data.get("clock") else DEFAULT_START)


def _load_product_models() -> None:
    """Product modules register their codecs at import; import them before (de)serialising."""
    from certops_lab import invariants  # pylint: disable=import-outside-toplevel
    invariants.load_product_models()


def encode_products(products: dict) -> dict:
    _load_product_models()
    encoded, handled = {}, set()
    for keys, encode, _decode in _PRODUCT_CODECS:
        if any(key in products for key in keys):
            encoded.update(encode(products))
            handled.update(keys)
    for key, value in products.items():
        if key not in handled:
            encoded[key] = value.to_dict() if hasattr(value, "to_dict") else value
    return encoded


def decode_products(data: dict) -> dict:
    _load_product_models()
    decoded, handled = {}, set()
    for keys, _encode, decode in _PRODUCT_CODECS:
        if any(key in data for key in keys):
            decoded.update(decode({key: data[key] for key in keys if key in data}))
            handled.update(keys)
    decoded.update({key: value for key, value in data.items() if key not in handled})
    return decoded
