# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data for the Workflow Manager / SharePoint product tests: small real certificates."""
from __future__ import annotations

import datetime
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certops_lab.products import workflow
from certops_lab.products.sharepoint import thumbprint_of
from certops_lab.state import Estate

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@functools.lru_cache(maxsize=None)
def _key(label: str):
    del label  # one key per label, cached so each label always yields the same certificate
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(label: str) -> str:
    """PKCS#8 PEM of the key behind make_certificate(label)."""
    return _key(label).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode("ascii")


@functools.lru_cache(maxsize=None)
def make_certificate(label: str) -> bytes:
    """DER of a self-signed certificate whose subject is CN=<label>; the same label gives the same bytes."""
    key = _key(label)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(NOW)
                   .not_valid_after(NOW + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.DER)


SERVICE_ACCOUNT = "LAB\\svc-wfm"
SERVICE_URI = "https://wfm.lab.test:12290/"


def install(host, label: str, *, key: bool = True, readers=(SERVICE_ACCOUNT,)) -> str:
    """Put make_certificate(label) into LocalMachine\\My of ``host``; returns its thumbprint."""
    entry = host.store("LocalMachine", "My").add(make_certificate(label), key=private_key_pem(label) if key else None,
                                                 key_readers=list(readers))
    return entry.thumbprint


def workflow_estate(wfm_hosts=("wfm01", "wfm02"), sp_hosts=("sp01", "sp02"), version="1.0 CU3"):
    """An estate with one WFM farm signing with certificate "old" and one SharePoint farm trusting it,
    built through the same topology hook the lab uses."""
    estate = Estate()
    for name in wfm_hosts:
        install(estate.add_host(name, roles=["wfm"]), "old")
    for name in sp_hosts:
        estate.add_host(name, roles=["sharepoint"])
    products = {"wfm": [{"name": "wfm", "service_uri": SERVICE_URI, "hosts": list(wfm_hosts), "service_account": SERVICE_ACCOUNT,
                         "version": version, "outbound_certificate": thumbprint_of(make_certificate("old"))}],
                "sharepoint": [{"name": "sp", "hosts": list(sp_hosts), "workflow_farm": "wfm"}]}
    workflow.from_topology(products, estate)
    return estate
