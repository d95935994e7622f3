# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates, PFX and P7B files generated at test time with cryptography (no committed binaries).

Import it as ansible_collections.certops.microsoft.tests.unit.certfactory. Every date is relative
to NOW, the frozen clock the unit tests pass as `now`. Keys are cached per (type, size, slot) so a
test run generates each key once; give a different slot when two certificates must not share a key.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import ipaddress
import os
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
PFX_PASSWORD = "Pfx-Passw0rd!"
HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "md5": hashes.MD5}
# cryptography refuses to sign with SHA-1 or MD5, but old CAs did: make_cert signs with SHA-256 and
# swaps in the legacy algorithm (same OID length under 1.2.840.113549.1.1) and signature.
RSA_SIGNATURE_OIDS = {"sha256": bytes.fromhex("2a864886f70d01010b"), "sha1": bytes.fromhex("2a864886f70d010105"),
                      "md5": bytes.fromhex("2a864886f70d010104")}
CURVES = {256: ec.SECP256R1, 384: ec.SECP384R1, 521: ec.SECP521R1, 192: ec.SECP192R1, 224: ec.SECP224R1}


@dataclasses.dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: object


@functools.lru_cache(maxsize=None)
def make_key(key_type: str = "RSA", key_size: int = 2048, slot: str = "leaf"):
    """A private key, generated once per (type, size, slot)."""
    del slot  # part of the cache key only
    generators = {
        "RSA": lambda: rsa.generate_private_key(65537, key_size),
        "EC": lambda: ec.generate_private_key(CURVES[key_size]()),
        "DSA": lambda: dsa.generate_private_key(key_size),
        "Ed25519": ed25519.Ed25519PrivateKey.generate,
        "Ed448": ed448.Ed448PrivateKey.generate,
    }
    return generators[key_type]()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso")])


def _key_usage(names) -> x509.KeyUsage:
    flags = ["digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign"]
    return x509.KeyUsage(*[flag in names for flag in flags], False, False)


def _general_name(san: str):
    """'dns:x', 'ip:1.2.3.4', 'email:a@b', 'uri:https://x', 'upn:a@b' as a cryptography GeneralName."""
    kind, _sep, value = san.partition(":")
    if kind == "upn":
        encoded = value.encode("utf-8")
        return x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c" + bytes([len(encoded)]) + encoded)
    builders = {"dns": x509.DNSName, "email": x509.RFC822Name, "uri": x509.UniformResourceIdentifier,
                "ip": lambda text: x509.IPAddress(ipaddress.ip_address(text))}
    return builders[kind](value)


def _signature_hash(signing_key, hash_name: str):
    if isinstance(signing_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hashes.SHA256() if hash_name in ("sha1", "md5") else HASHES[hash_name]()


def _legacy_signed(cert: x509.Certificate, signing_key, hash_name: str) -> x509.Certificate:
    """The same certificate signed by an RSA key with SHA-1 or MD5, as an old CA would have issued it."""
    old_oid, new_oid = RSA_SIGNATURE_OIDS["sha256"], RSA_SIGNATURE_OIDS[hash_name]
    tbs = cert.tbs_certificate_bytes.replace(old_oid, new_oid)
    signature = signing_key.sign(tbs, padding.PKCS1v15(), HASHES[hash_name]())
    encoded = der(cert)
    body_end = encoded.index(cert.tbs_certificate_bytes) + len(tbs)
    tail = encoded[body_end:].replace(old_oid, new_oid).replace(cert.signature, signature)
    return x509.load_der_x509_certificate(encoded[:body_end].replace(cert.tbs_certificate_bytes, tbs) + tail)


@dataclasses.dataclass
class CertSpec:
    """What make_cert builds; every field has a realistic default."""

    common_name: str = "sts.contoso.test"
    key_type: str = "RSA"
    key_size: int = 2048
    hash_name: str = "sha256"
    days: float = 365
    not_before_days: float = -30
    ekus: tuple = ()
    key_usage: tuple = ("digitalSignature", "keyEncipherment")
    sans: tuple = ()
    is_ca: bool = False
    slot: str = "leaf"
    serial: int = 0x1234ABCD


def _builder(spec: CertSpec, public_key, issuer_name: x509.Name) -> x509.CertificateBuilder:
    builder = (x509.CertificateBuilder().subject_name(_name(spec.common_name)).issuer_name(issuer_name).public_key(public_key)
               .serial_number(spec.serial).not_valid_before(NOW + datetime.timedelta(days=spec.not_before_days))
               .not_valid_after(NOW + datetime.timedelta(days=spec.days))
               .add_extension(x509.BasicConstraints(ca=spec.is_ca, path_length=None), critical=True))
    if spec.key_usage:
        builder = builder.add_extension(_key_usage(spec.key_usage), critical=True)
    if spec.ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in spec.ekus]), critical=False)
    if spec.sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(san) for san in spec.sans]), critical=False)
    return builder


def make_cert(issuer: Issued | None = None, **fields) -> Issued:
    """A certificate from CertSpec fields, self-signed or signed by issuer."""
    spec = CertSpec(**fields)
    key = make_key(spec.key_type, spec.key_size, spec.slot)
    signing_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else _name(spec.common_name)
    cert = _builder(spec, key.public_key(), issuer_name).sign(signing_key, _signature_hash(signing_key, spec.hash_name))
    if spec.hash_name in ("sha1", "md5"):
        cert = _legacy_signed(cert, signing_key, spec.hash_name)
    return Issued(cert, key)


def make_ca(common_name: str = "Contoso Test Root CA", issuer: Issued | None = None, **fields) -> Issued:
    """A CA certificate (self-signed unless issuer is given) with its own key slot."""
    defaults = {"days": 3650, "not_before_days": -365, "key_usage": ("keyCertSign", "cRLSign", "digitalSignature"), "is_ca": True,
                "slot": f"ca:{common_name}", "serial": 0x01}
    return make_cert(issuer, common_name=common_name, **{**defaults, **fields})


def pem(*certs: x509.Certificate) -> bytes:
    """Concatenated PEM of the certificates."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def der(cert: x509.Certificate) -> bytes:
    """DER of one certificate."""
    return cert.public_bytes(serialization.Encoding.DER)


def key_pem(key, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted when a password is given."""
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def key_der(key, password: bytes | None = None) -> bytes:
    """PKCS#8 DER of a private key, encrypted when a password is given."""
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, encryption)


def _pfx_encryption(encryption: str, password: str | None):
    if encryption == "none" or password is None:
        return serialization.NoEncryption()
    if encryption == "legacy":  # what Windows Server 2016 and older export: 3DES with a SHA-1 MAC
        builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2000)
        return builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1()).build(password.encode())
    return serialization.BestAvailableEncryption(password.encode())  # AES-256-CBC, PBKDF2, SHA-256 MAC


def make_pfx(leaf: Issued, chain: tuple = (), password: str | None = PFX_PASSWORD, encryption: str = "aes", with_key: bool = True) -> bytes:
    """A PFX holding leaf (with its key unless with_key is False) and chain; encryption: aes, legacy or none."""
    key = leaf.key if with_key else None
    return pkcs12.serialize_key_and_certificates(b"certops", key, leaf.cert, list(chain) or None, _pfx_encryption(encryption, password))


def make_p7b(certs, encoding: str = "der") -> bytes:
    """A PKCS#7 certificate bundle (.p7b) in DER or PEM."""
    wanted = serialization.Encoding.DER if encoding == "der" else serialization.Encoding.PEM
    return pkcs7.serialize_certificates(list(certs), wanted)


def ber_indefinite(der_data: bytes) -> bytes:
    """The same structure with its outer SEQUENCE in BER indefinite-length form, as Windows writes some P7B files."""
    count = der_data[1] & 0x7F if der_data[1] & 0x80 else 0
    return b"\x30\x80" + der_data[2 + count:] + b"\x00\x00"


def openssl_legacy_pfx(leaf: Issued, password: str) -> bytes:
    """A PFX with RC2-40 certificate encryption and a 3DES key (openssl pkcs12 -export -legacy), as very old Windows exports."""
    with tempfile.TemporaryDirectory() as folder:
        cert_path, key_path, out_path = (os.path.join(folder, name) for name in ("cert.pem", "key.pem", "out.pfx"))
        with open(cert_path, "wb") as handle:
            handle.write(pem(leaf.cert))
        with open(key_path, "wb") as handle:
            handle.write(key_pem(leaf.key))
        subprocess.run(["openssl", "pkcs12", "-export", "-legacy", "-in", cert_path, "-inkey", key_path, "-out", out_path,
                        "-passout", "env:CERTOPS_PFX_PASSWORD"], check=True, capture_output=True, env={**os.environ, "CERTOPS_PFX_PASSWORD": password})
        with open(out_path, "rb") as handle:
            return handle.read()


def with_duplicate_extension(issued: Issued) -> x509.Certificate:
    """The certificate with its KeyUsage OID rewritten to BasicConstraints: two basicConstraints (signature no longer valid)."""
    key_usage, basic_constraints = bytes.fromhex("0603551d0f"), bytes.fromhex("0603551d13")
    return x509.load_der_x509_certificate(der(issued.cert).replace(key_usage, basic_constraints))


def with_invalid_utf8_name(issued: Issued, marker: str) -> x509.Certificate:
    """The certificate with the UTF8String `marker` in its names replaced by bytes that are not UTF-8."""
    return x509.load_der_x509_certificate(der(issued.cert).replace(marker.encode(), b"\xff" * len(marker)))
