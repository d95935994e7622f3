# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificates Exchange makes and moves in the lab: a new self-signed Auth certificate, and the PFX
that Export-ExchangeCertificate writes and Import-ExchangeCertificate reads (real PKCS#12 with the
script's password, so a wrong or empty password fails as it would on Windows)."""
from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certops_lab.pki import eku_extension, generate_key, key_usage_extension, parse_subject

AUTH_SUBJECT = "CN=Microsoft Exchange Server Auth Certificate"
# New-ExchangeCertificate makes self-signed certificates valid for 5 years (reference/products.md §3.1).
SELF_SIGNED_DAYS = 5 * 365


def self_signed_auth_certificate(now: datetime.datetime):
    """(certificate, key) as New-ExchangeCertificate -KeySize 2048 -SubjectName <Auth subject> -DomainName @() makes them:
    RSA 2048, self-signed, no subject alternative name."""
    key = generate_key("rsa", 2048)
    name = parse_subject(AUTH_SUBJECT)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(key_usage_extension(("digital_signature", "key_encipherment")), critical=True)
               .add_extension(eku_extension(("server_auth",)), critical=False))
    return builder.sign(key, hashes.SHA256()), key


def export_pfx(entry, password: str) -> bytes:
    """Export-ExchangeCertificate -BinaryEncoded -Password: the certificate and its key as PKCS#12."""
    key = serialization.load_pem_private_key(entry.private_key.encode("ascii"), None)
    encryption = serialization.BestAvailableEncryption(password.encode("utf-8"))
    return pkcs12.serialize_key_and_certificates(None, key, entry.certificate, None, encryption)


def import_pfx(data: bytes, password: str) -> tuple:
    """Import-ExchangeCertificate -FileData -Password: (certificate, key); ValueError for a wrong password."""
    key, certificate, _chain = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    return certificate, key
