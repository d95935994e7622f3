# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Password-protected PFX files made on the controller, for tests that import one into the lab."""
from __future__ import annotations

import datetime
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

# Distinctive, so that a leak is found by a plain substring search of every output.
PFX_PASSWORD = "Lab-Pfx-Secret-7f3a9c!"


def write_pfx(path, subject: str = "certops lab import", now=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)) -> str:
    """Write a PFX (key + certificate) protected by PFX_PASSWORD; return the thumbprint (upper-case SHA-1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    encryption = serialization.BestAvailableEncryption(PFX_PASSWORD.encode())
    with open(path, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(subject.encode(), key, certificate, None, encryption))
    return hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
