# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data for the module-twin tests: an issuing CA, leaf certificates with the usual extensions,
PFX files with and without passwords, a one-call helper, and the RETURN keys of the real modules."""
from __future__ import annotations

import ast
import datetime
import functools
import os

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certops_lab import twins
from certops_lab.contracts import CallContext, ModuleCall
from certops_lab.state import Estate

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
PFX_PASSWORD = "Pfx-Secret-0123!"
MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", ".collections", "ansible_collections", "ansible",
                           "windows", "plugins", "modules")


@functools.lru_cache(maxsize=None)
def key_of(label: str):
    del label  # one key per label, cached
    return ec.generate_private_key(ec.SECP256R1())


@functools.lru_cache(maxsize=None)
def ca_certificate() -> x509.Certificate:
    key = key_of("lab-ca")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lab Root CA"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lab")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))


@functools.lru_cache(maxsize=None)
def leaf_certificate(label: str, days: int = 90) -> x509.Certificate:
    """CN=<label>.lab.test issued by the lab CA, with SAN, key usage, EKU, basic constraints and SKI."""
    key, dns = key_of(label), f"{label}.lab.test"
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]))
            .issuer_name(ca_certificate().subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns), x509.DNSName(f"alt-{dns}")]), critical=False)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key_of("lab-ca"), hashes.SHA256()))


def der_of(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def thumbprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA1()).hex().upper()


def pfx_of(label: str, password=PFX_PASSWORD, chain: bool = False) -> bytes:
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(label.encode(), key_of(label), leaf_certificate(label),
                                                 [ca_certificate()] if chain else None, encryption)


def new_host(name: str = "web01", **settings):
    estate = Estate(clock=NOW)
    return estate, estate.add_host(name, **settings)


def run(estate, host, module: str, args: dict, check: bool = False, diff: bool = False, become_user=None) -> dict:
    """One module call as the runtime makes it."""
    ctx = CallContext(host.name, check_mode=check, diff=diff, become_user=become_user, now=estate.clock)
    return twins.run_module(estate, host, ModuleCall(module, dict(args), check_mode=check, diff=diff), ctx)


def _module_return_block(module: str) -> dict:
    """The RETURN documentation of a real ansible.windows module (.py assignment or .yml sidecar)."""
    py_path, yml_path = os.path.join(MODULES_DIR, f"{module}.py"), os.path.join(MODULES_DIR, f"{module}.yml")
    if os.path.exists(py_path):
        with open(py_path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "RETURN":
                return yaml.safe_load(node.value.value) or {}
        return {}
    with open(yml_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle).get("RETURN") or {}


def documented_keys(module: str, *path: str) -> set:
    """Top-level RETURN keys, or the ``contains`` keys found by following ``path`` (e.g. "error", "exception")."""
    block = _module_return_block(module)
    for part in path:
        block = block[part].get("contains") or {}
    return set(block)
