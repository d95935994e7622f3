# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One certificate as win_certificate_info.ps1's Get-CertificateInfo returns it (X509Certificate2 fields).

Names follow .NET: ``Subject``/``Issuer`` are X.500 names most specific first joined by ", "
with .NET's attribute labels (S for state, E for e-mail), ``SerialNumber`` is the DER integer's
bytes in upper-case hex, ``SignatureAlgorithm.FriendlyName`` is e.g. ``sha256RSA``, key usages
are X509KeyUsageFlags names in ascending flag order. The module returns the DER as ``raw``
(its documentation says ``cert_data``; the code has always said ``raw``).
"""
from __future__ import annotations

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

NAME_LABELS = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU", NameOID.ORGANIZATION_NAME: "O",
               NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "S", NameOID.COUNTRY_NAME: "C",
               NameOID.EMAIL_ADDRESS: "E", NameOID.DOMAIN_COMPONENT: "DC", NameOID.SERIAL_NUMBER: "SERIALNUMBER"}
EXTENSION_NAMES = {ExtensionOID.SUBJECT_KEY_IDENTIFIER: "Subject Key Identifier", ExtensionOID.BASIC_CONSTRAINTS: "Basic Constraints",
                   ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "Authority Key Identifier", ExtensionOID.KEY_USAGE: "Key Usage",
                   ExtensionOID.EXTENDED_KEY_USAGE: "Enhanced Key Usage", ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "Subject Alternative Name",
                   ExtensionOID.CRL_DISTRIBUTION_POINTS: "CRL Distribution Points", ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "Authority Information Access",
                   ExtensionOID.CERTIFICATE_POLICIES: "Certificate Policies"}
EKU_NAMES = {ExtendedKeyUsageOID.SERVER_AUTH: "Server Authentication", ExtendedKeyUsageOID.CLIENT_AUTH: "Client Authentication",
             ExtendedKeyUsageOID.CODE_SIGNING: "Code Signing", ExtendedKeyUsageOID.EMAIL_PROTECTION: "Secure Email",
             ExtendedKeyUsageOID.TIME_STAMPING: "Time Stamping", ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP Signing",
             ExtendedKeyUsageOID.SMARTCARD_LOGON: "Smart Card Logon"}
# X509KeyUsageFlags in ascending value order, as Enum.ToString() lists them.
KEY_USAGE_FLAGS = (("EncipherOnly", "encipher_only", 0x01), ("CrlSign", "crl_sign", 0x02), ("KeyCertSign", "key_cert_sign", 0x04),
                   ("KeyAgreement", "key_agreement", 0x08), ("DataEncipherment", "data_encipherment", 0x10),
                   ("KeyEncipherment", "key_encipherment", 0x20), ("NonRepudiation", "content_commitment", 0x40),
                   ("DigitalSignature", "digital_signature", 0x80), ("DecipherOnly", "decipher_only", 0x8000))
SIGNATURE_KEY_NAMES = {"RSA": "RSA", "EC": "ECDSA", "DSA": "DSA"}


def dotnet_name(name: x509.Name) -> str:
    parts = [f"{NAME_LABELS.get(attribute.oid, attribute.oid.dotted_string)}={attribute.value}"
             for rdn in reversed(name.rdns) for attribute in rdn]
    return ", ".join(parts)


def simple_name(name: x509.Name) -> str:
    """GetNameInfo(SimpleName): the CN, else the most specific OU/O/E."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.ORGANIZATION_NAME, NameOID.EMAIL_ADDRESS):
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[-1].value)
    return ""


def serial_hex(serial: int) -> str:
    length = serial.bit_length() // 8 + 1   # DER INTEGER: a leading 00 when the high bit is set
    return serial.to_bytes(length, "big", signed=True).hex().upper()


def signature_name(certificate: x509.Certificate) -> str:
    digest = certificate.signature_hash_algorithm.name if certificate.signature_hash_algorithm else ""
    key = certificate.public_key()
    kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "EC" if isinstance(key, ec.EllipticCurvePublicKey) else "DSA"
    return f"{digest}{SIGNATURE_KEY_NAMES[kind]}"


def public_key_bytes(certificate: x509.Certificate) -> bytes:
    """GetPublicKey(): the subjectPublicKey BIT STRING contents."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def spaced_hex(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data)


def key_usage_names(usage: x509.KeyUsage) -> list:
    names = []
    for name, attribute, _flag in KEY_USAGE_FLAGS:
        try:
            if getattr(usage, attribute):
                names.append(name)
        except ValueError:           # encipher_only/decipher_only are undefined without key_agreement
            continue
    return names


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: datetime.datetime) -> float:
    return float(value.timestamp())


KEY_USAGE_TEXT = (("digital_signature", "Digital Signature"), ("content_commitment", "Non-Repudiation"),
                  ("key_encipherment", "Key Encipherment"), ("data_encipherment", "Data Encipherment"),
                  ("key_agreement", "Key Agreement"), ("key_cert_sign", "Certificate Signing"),
                  ("crl_sign", "Off-line CRL Signing, CRL Signing"))


def _key_usage_text(usage: x509.KeyUsage) -> str:
    words = [text for attribute, text in KEY_USAGE_TEXT if getattr(usage, attribute)]
    flags = sum(flag for name, _attribute, flag in KEY_USAGE_FLAGS if name in key_usage_names(usage)) & 0xFF
    return f"{', '.join(words)} ({flags:02x})"


def _general_name_text(name) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS Name={name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP Address={name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"RFC822 Name={name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URL={name.value}"
    return f"Other Name={name.value}"


def extension_text(extension: x509.Extension) -> str:
    """X509Extension.Format(false) for the extensions certificates here carry; hex bytes otherwise."""
    value = extension.value
    if isinstance(value, x509.SubjectKeyIdentifier):
        return spaced_hex(value.digest)
    if isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier:
        return f"KeyID={spaced_hex(value.key_identifier)}"
    if isinstance(value, x509.BasicConstraints):
        subject = "CA" if value.ca else "End Entity"
        return f"Subject Type={subject}, Path Length Constraint={'None' if value.path_length is None else value.path_length}"
    if isinstance(value, x509.KeyUsage):
        return _key_usage_text(value)
    if isinstance(value, x509.ExtendedKeyUsage):
        return ", ".join(f"{EKU_NAMES.get(oid, '')} ({oid.dotted_string})".lstrip() for oid in value)
    if isinstance(value, x509.SubjectAlternativeName):
        return ", ".join(_general_name_text(name) for name in value)
    return spaced_hex(value.public_bytes())


def _extension_facts(certificate: x509.Certificate, info: dict) -> list:
    """The extensions list, and the keys win_certificate_info adds per extension type."""
    extensions = []
    for extension in certificate.extensions:
        value = extension.value
        if isinstance(value, x509.BasicConstraints):
            info["is_ca"], info["path_length_constraint"] = value.ca, value.path_length or 0
        elif isinstance(value, x509.ExtendedKeyUsage):
            info["intended_purposes"] = [EKU_NAMES.get(oid) for oid in value]
        elif isinstance(value, x509.KeyUsage):
            info["key_usages"] = key_usage_names(value)
        elif isinstance(value, x509.SubjectKeyIdentifier):
            info["ski"] = value.digest.hex().upper()
        elif isinstance(value, x509.SubjectAlternativeName):
            info["dns_names"].extend(value.get_values_for_type(x509.DNSName))
        extensions.append({"critical": extension.critical, "field": EXTENSION_NAMES.get(extension.oid),
                           "value": extension_text(extension)})
    return extensions


def certificate_info(entry) -> dict:
    """Get-CertificateInfo for one store entry."""
    certificate = entry.certificate
    info = {"friendly_name": entry.friendly_name, "thumbprint": entry.thumbprint,
            "subject": dotnet_name(certificate.subject), "issuer": dotnet_name(certificate.issuer),
            "valid_from": _epoch(certificate.not_valid_before_utc), "valid_from_iso8601": _iso(certificate.not_valid_before_utc),
            "valid_to": _epoch(certificate.not_valid_after_utc), "valid_to_iso8601": _iso(certificate.not_valid_after_utc),
            "serial_number": serial_hex(certificate.serial_number), "archived": False,
            "version": certificate.version.value + 1, "has_private_key": entry.has_private_key,
            "issued_by": simple_name(certificate.issuer), "issued_to": simple_name(certificate.subject),
            "signature_algorithm": signature_name(certificate),
            "raw": base64.b64encode(entry.der).decode("ascii"),
            "public_key": base64.b64encode(public_key_bytes(certificate)).decode("ascii")}
    info["dns_names"] = [info["issued_to"]]
    info["extensions"] = _extension_facts(certificate, info)
    return info
