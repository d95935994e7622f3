# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data for the AD FS / Entra lab tests: estates built from the shipped topologies, a running lab with
its loopback Entra, Graph app credentials and tokens."""
from __future__ import annotations

import copy
import datetime
import functools
import os

import msal
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from certops_lab.estate_builder import build_estate
from certops_lab.lab import LabInstance
from certops_lab.pki import LabCA
from certops_lab.pytest_plugin import Lab, TOPOLOGY_DIR
from certops_lab.topology import load_topology

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
TENANT = "7d5e4c4a-0c7e-4f55-9b0b-3f1c1e1a2b3c"
CLIENT = "6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10"
READ_ONLY = "0b9d3c2a-7e41-4c55-8f0e-2d6a1b3c4e5f"
SECRET = "Lab-Graph-Secret-5e1f~x"


def topology(name: str, clock=NOW, **farm_overrides) -> dict:
    with open(os.path.join(TOPOLOGY_DIR, name), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["clock"] = clock.strftime("%Y-%m-%dT%H:%M:%SZ")
    data["products"]["adfs"][0].update(copy.deepcopy(farm_overrides))
    return data


@functools.lru_cache(maxsize=1)
def lab_ca() -> LabCA:
    return LabCA.create()


def estate_of(name: str = "adfs_entra_auto.yml", **farm_overrides):
    return build_estate(load_topology(topology(name, **farm_overrides)), lab_ca())


def started(directory, name: str = "adfs_entra_auto.yml", **farm_overrides) -> Lab:
    """A running lab (WinRM listeners and the loopback Entra) in ``directory``; stop it with .stop()."""
    return Lab(LabInstance(load_topology(topology(name, clock=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0),
                                                  **farm_overrides)), str(directory)).start())


def client_certificate(label: str = "graph") -> tuple:
    """(certificate, key) of an app credential, valid now (the token endpoint checks real time); one per label."""
    return _client_certificate(label)


@functools.lru_cache(maxsize=None)
def _client_certificate(label: str, days: int = 30) -> tuple:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"certops {label}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    return certificate, key


def certificate_pem(certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")


def register(lab, label: str = "graph", client_id: str = CLIENT) -> tuple:
    certificate, key = client_certificate(label)
    lab.add_app_credential(client_id, certificate=certificate_pem(certificate))
    return certificate, key


def write_pfx(path, certificate, key, password: str) -> str:
    data = pkcs12.serialize_key_and_certificates(b"graph", key, certificate, None, serialization.BestAvailableEncryption(password.encode()))
    with open(path, "wb") as handle:
        handle.write(data)
    return str(path)


class LabSession(requests.Session):
    """Validates TLS against the lab CA on every request (REQUESTS_CA_BUNDLE would otherwise win over a session's own bundle)."""

    def __init__(self, ca_path: str):
        super().__init__()
        self.ca_path = ca_path

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        kwargs["verify"] = self.ca_path
        return super().request(method, url, *args, **kwargs)


def msal_token(lab, credential, client_id: str = CLIENT) -> dict:
    """msal's answer for the lab tenant (a dict with access_token, or error and error_description)."""
    application = msal.ConfidentialClientApplication(client_id, client_credential=credential, authority=f"{lab.graph_url}/{TENANT}",
                                                     http_client=LabSession(lab.ca_path), instance_discovery=False)
    return application.acquire_token_for_client(scopes=[f"{lab.graph_url}/.default"])


def thumbprint_credential(certificate, key) -> dict:
    return {"private_key": key_pem(key), "thumbprint": certificate.fingerprint(hashes.SHA1()).hex()}
