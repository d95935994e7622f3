# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate files as X509Certificate2Collection.Import and X509Certificate2.Export treat them.

Import recognises a PEM certificate, a DER certificate and a PKCS#12 (PFX) file whatever its name;
a PFX that will not open with the given password fails with the message Windows gives,
"The specified network password is not correct." (also when no password was given).
"""
from __future__ import annotations

import base64
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

WRONG_PASSWORD = "The specified network password is not correct."
NOT_A_CERTIFICATE = "Cannot find the requested object."
KEY_NOT_EXPORTABLE = "Key not valid for use in specified state."
_PKCS7_DATA_OID = bytes.fromhex("06092a864886f70d010701")


class CertificateFileError(ValueError):
    """A file Windows cannot import or a certificate it cannot export; the message is Windows' own."""


def looks_like_pfx(content: bytes) -> bool:
    """PFX ::= SEQUENCE { version 3, authSafe ContentInfo(pkcs7-data) ... }: recognisable without the password."""
    head = content[:48]
    return content[:1] == b"\x30" and b"\x02\x01\x03" in head and _PKCS7_DATA_OID in head


def _password_candidates(password: Optional[str]) -> list:
    """.NET tries the empty password as well when none is given."""
    return [password.encode("utf-8")] if password else [None, b""]


def _load_pfx(content: bytes, password: Optional[str]) -> list:
    for candidate in _password_candidates(password):
        try:
            bundle = pkcs12.load_pkcs12(content, candidate)
        except ValueError:
            continue
        entries = [(bundle.cert.certificate, bundle.key)] if bundle.cert else []
        return entries + [(extra.certificate, None) for extra in bundle.additional_certs]
    raise CertificateFileError(WRONG_PASSWORD)


def load_certificates(content: bytes, password: Optional[str] = None) -> list:
    """[(x509.Certificate, private key or None)] in the file, in file order."""
    if content.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
        try:
            return [(x509.load_pem_x509_certificate(content), None)]
        except ValueError:
            raise CertificateFileError(NOT_A_CERTIFICATE) from None
    if looks_like_pfx(content):
        return _load_pfx(content, password)
    try:
        return [(x509.load_der_x509_certificate(content), None)]
    except ValueError:
        raise CertificateFileError(NOT_A_CERTIFICATE) from None


def file_type_of(content: bytes, path: str) -> str:
    """Get-CertFileType of win_certificate_store: pem, der, pkcs12 or unknown."""
    if content.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
        return "pem"
    if looks_like_pfx(content):
        return "pkcs12"
    try:
        x509.load_der_x509_certificate(content)
    except ValueError:
        return "unknown"
    return "pkcs12" if path.lower().endswith((".pfx", ".p12")) else "der"


def pem_text(der: bytes) -> bytes:
    """What win_certificate_store writes for file_type pem (CRLF, 76-character lines)."""
    body = base64.encodebytes(der).decode("ascii").replace("\n", "\r\n").rstrip("\r\n")
    return f"-----BEGIN CERTIFICATE-----\r\n{body}\r\n-----END CERTIFICATE-----".encode("ascii")


def export_bytes(entry, file_type: str, password: Optional[str]) -> bytes:
    if file_type == "der":
        return entry.der
    if file_type == "pem":
        return pem_text(entry.der)
    if entry.has_private_key and not entry.exportable:
        raise CertificateFileError(KEY_NOT_EXPORTABLE)
    key = serialization.load_pem_private_key(entry.private_key.encode("ascii"), None) if entry.has_private_key else None
    encryption = serialization.BestAvailableEncryption(password.encode("utf-8")) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(None, key, entry.certificate, None, encryption)
