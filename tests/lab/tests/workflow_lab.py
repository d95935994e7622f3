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

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@functools.lru_cache(maxsize=None)
def _key(label: str):
    del label  # one key per label, cached so each label always yields the same certificate
    return ec.generate_private_key(ec.SECP256R1())


@functools.lru_cache(maxsize=None)
def make_certificate(label: str) -> bytes:
    """DER of a self-signed certificate whose subject is CN=<label>; the same label gives the same bytes."""
    key = _key(label)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, label)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(NOW)
                   .not_valid_after(NOW + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.DER)
