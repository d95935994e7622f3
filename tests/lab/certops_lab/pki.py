# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab certificate authority: one self-signed root per state dir, minted with ``cryptography``.

    ca = LabCA.load_or_create(directory)          # ca.pem + ca-key.pem (0600); reused when present
    ca.pem_path                                   # what an inventory puts in ansible_winrm_ca_trust_path
    cert_pem, key_pem = ca.issue_server_certificate(names=("localhost",), ips=("127.0.0.1",))
    certificate, key = ca.issue("CN=wfm.lab.test", not_before=..., not_after=..., dns_names=["wfm.lab.test"])

``issue`` deliberately allows weak keys (RSA 1024, even 512) and SHA-1: the lab must be able to
hold the bad certificates the collection is supposed to find. ``cryptography`` no longer signs
certificates with SHA-1, so those are signed as SHA-256 and then re-signed with SHA-1 (RSA only,
which is why the CA key is RSA). Times are UTC and come from the
caller (the lab clock), never from the wall clock, except for the CA and the TLS server
certificates, which must be valid for the real TLS stack.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from typing import Iterable, Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CA_SUBJECT = "certops lab root CA"
DEFAULT_RSA_BITS = 2048
HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
CURVES = {256: ec.SECP256R1, 384: ec.SECP384R1, 521: ec.SECP521R1}
EKUS = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
        "code_signing": ExtendedKeyUsageOID.CODE_SIGNING, "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION}
# DER of the signature algorithm OIDs (tag, length, value): sha256WithRSAEncryption and sha1WithRSAEncryption.
SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")
KEY_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
              "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def generate_key(key_type: str = "rsa", key_size: Optional[int] = None):
    """An RSA key (any size, weak ones included) or an EC key on P-256/384/521."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size or DEFAULT_RSA_BITS)
    if key_type in ("ec", "ecdsa"):
        curve = CURVES.get(key_size or 256)
        if curve is None:
            raise ValueError(f"key_size {key_size} is not an EC curve size: use 256, 384 or 521")
        return ec.generate_private_key(curve())
    raise ValueError(f"key_type {key_type!r} is not supported: use 'rsa' or 'ecdsa'")


def parse_subject(subject: str) -> x509.Name:
    """``CN=x,O=y`` (RFC 4514) or a bare common name."""
    if "=" in subject:
        return x509.Name.from_rfc4514_string(subject)
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])


def subject_alternative_names(dns_names: Iterable[str] = (), ips: Iterable[str] = ()) -> list:
    return [x509.DNSName(name) for name in dns_names] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]


def key_usage_extension(names: Sequence[str]) -> x509.KeyUsage:
    unknown = sorted(set(names) - set(KEY_USAGES))
    if unknown:
        raise ValueError(f"unknown key usage {', '.join(unknown)}: use {', '.join(KEY_USAGES)}")
    return x509.KeyUsage(**{name: name in names for name in KEY_USAGES})


def eku_extension(names: Sequence[str]) -> x509.ExtendedKeyUsage:
    """EKUs by short name (server_auth, client_auth, ...) or as dotted OIDs."""
    return x509.ExtendedKeyUsage([EKUS[name] if name in EKUS else x509.ObjectIdentifier(name) for name in names])


def resign_with_sha1(certificate: x509.Certificate, signing_key) -> x509.Certificate:
    """The same certificate signed with SHA-1: swap the algorithm OID (same length) in the TBS and the
    outer sequence, then replace the trailing signature (an RSA signature keeps its length)."""
    if not isinstance(signing_key, rsa.RSAPrivateKey):
        raise ValueError("a SHA-1 certificate needs an RSA signer: use key_type 'rsa' when self-signed, and a lab CA with an RSA key "
                         "(delete the CA directory of an older lab to get one)")
    swapped = certificate.public_bytes(serialization.Encoding.DER).replace(SHA256_WITH_RSA, SHA1_WITH_RSA)
    tbs = x509.load_der_x509_certificate(swapped).tbs_certificate_bytes
    signature = signing_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    return x509.load_der_x509_certificate(swapped[:-len(certificate.signature)] + signature)


def key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def write_private(path: str, data: bytes) -> None:
    """Write a key file readable by its owner only, from the first byte on."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


class LabCA:
    """A root CA that issues the lab's TLS server certificates and the estate's certificates."""

    def __init__(self, certificate: x509.Certificate, key, pem_path: Optional[str] = None):
        self.certificate = certificate
        self.key = key
        self.pem_path = pem_path

    # --- life cycle ----------------------------------------------------------------------------
    @classmethod
    def create(cls, now: Optional[datetime.datetime] = None) -> "LabCA":
        now = now or utc_now()
        key = generate_key("rsa", DEFAULT_RSA_BITS)
        name = parse_subject(CA_SUBJECT)
        builder = cls._builder(name, name, key.public_key(), now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650))
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(key_usage_extension(("key_cert_sign", "crl_sign", "digital_signature")), critical=True)
        return cls(builder.sign(key, hashes.SHA256()), key)

    @classmethod
    def load_or_create(cls, directory: str) -> "LabCA":
        """The CA saved in ``directory``, or a new one written there (ca.pem, ca-key.pem 0600)."""
        os.makedirs(directory, mode=0o700, exist_ok=True)
        cert_path, key_path = os.path.join(directory, CA_FILE), os.path.join(directory, CA_KEY_FILE)
        if os.path.exists(cert_path) and os.path.exists(key_path):
            return cls.load(cert_path, key_path)
        ca = cls.create()
        ca.save(directory)
        return ca

    @classmethod
    def load(cls, cert_path: str, key_path: str) -> "LabCA":
        with open(cert_path, "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        return cls(certificate, key, cert_path)

    def save(self, directory: str) -> None:
        self.pem_path = os.path.join(directory, CA_FILE)
        write_private(os.path.join(directory, CA_KEY_FILE), key_pem(self.key))
        with open(self.pem_path, "wb") as handle:
            handle.write(self.certificate_pem())

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    # --- issuing -------------------------------------------------------------------------------
    @staticmethod
    def _builder(subject: x509.Name, issuer: x509.Name, public_key, not_before, not_after) -> x509.CertificateBuilder:
        builder = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        builder = builder.serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
        return builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)

    def issue_server_certificate(self, names: Sequence[str] = ("localhost",), ips: Sequence[str] = ("127.0.0.1",)) -> Tuple[bytes, bytes]:
        """A TLS server certificate (PEM) and its key (PEM) for a listener, valid from now for a year."""
        now = utc_now()
        certificate, key = self.issue(names[0] if names else ips[0], not_before=now - datetime.timedelta(hours=1),
                                      not_after=now + datetime.timedelta(days=365), key_type="ecdsa", key_size=256,
                                      ekus=("server_auth",), key_usage=("digital_signature", "key_agreement"),
                                      dns_names=names, ips=ips)
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem(key)

    def issue(self, subject: str, *, not_before: datetime.datetime, not_after: datetime.datetime, key_type: str = "rsa",
              key_size: Optional[int] = None, hash_name: str = "sha256", ekus: Sequence[str] = (), key_usage: Sequence[str] = (),
              dns_names: Sequence[str] = (), ips: Sequence[str] = (), self_signed: bool = False):
        """A leaf certificate and its private key. ``subject`` is ``CN=...`` (RFC 4514) or a bare CN;
        times are the caller's (the lab clock); ``self_signed`` makes it its own issuer."""
        if hash_name not in HASHES:
            raise ValueError(f"hash {hash_name!r} is not supported: use {', '.join(HASHES)}")
        key = generate_key(key_type, key_size)
        name = parse_subject(subject)
        issuer_name, signing_key = (name, key) if self_signed else (self.certificate.subject, self.key)
        builder = self._builder(name, issuer_name, key.public_key(), not_before, not_after)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        if not self_signed:
            builder = builder.add_extension(self._authority_key_identifier(), critical=False)
        builder = self._add_optional_extensions(builder, ekus, key_usage, subject_alternative_names(dns_names, ips))
        if hash_name == "sha1":
            return resign_with_sha1(builder.sign(signing_key, hashes.SHA256()), signing_key), key
        return builder.sign(signing_key, HASHES[hash_name]()), key

    def _authority_key_identifier(self) -> x509.AuthorityKeyIdentifier:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())

    @staticmethod
    def _add_optional_extensions(builder, ekus, key_usage, sans) -> x509.CertificateBuilder:
        if key_usage:
            builder = builder.add_extension(key_usage_extension(key_usage), critical=True)
        if ekus:
            builder = builder.add_extension(eku_extension(ekus), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder
