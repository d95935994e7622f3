# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A new certificate from a state dir's lab CA, written as a password-protected PFX: what an
administrator would get from their CA before a rotation (``python -m certops_lab issue``)."""
from __future__ import annotations

import datetime
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certops_lab.pki import LabCA

# Signing certificates (Workflow Manager outbound, AD FS token signing) need digitalSignature.
SIGNING_KEY_USAGE = ("digital_signature", "key_encipherment")


def issue_pfx(state_dir: str, subject: str, pfx_path: str, password: str, days: int = 365, dns_names=()) -> str:
    """Issue ``subject`` from the lab CA in ``state_dir``, valid from an hour ago for ``days``;
    write it with its key to ``pfx_path`` (mode 0600); return the thumbprint."""
    if not password:
        raise ValueError("a PFX password is required: set it in the environment variable named by --password-env")
    ca = LabCA.load_or_create(os.path.join(state_dir, "ca"))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    certificate, key = ca.issue(subject, not_before=now - datetime.timedelta(hours=1), not_after=now + datetime.timedelta(days=days),
                                key_usage=SIGNING_KEY_USAGE, dns_names=tuple(dns_names))
    data = pkcs12.serialize_key_and_certificates(subject.encode(), key, certificate, None,
                                                 serialization.BestAvailableEncryption(password.encode()))
    descriptor = os.open(pfx_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # nosec B324 - a thumbprint
