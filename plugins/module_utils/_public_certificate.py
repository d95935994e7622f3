# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Public certificate data handed to a server to trust (never a private key), and thumbprint lists.

PRIVATE to the collection: the name and location may change without notice.
"""
from __future__ import annotations

import base64
import dataclasses

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto
from ansible_collections.certops.microsoft.plugins.module_utils._certificate import decode_text_input, describe_certificate, load_bundle
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

PRIVATE_KEY_GIVEN = ("option {option} holds a private key: give only the public certificate "
                     "(PEM -----BEGIN CERTIFICATE----- or base64 DER, e.g. a .cer file), never the PFX or the key")


@dataclasses.dataclass(frozen=True)
class PublicCertificate:
    """One certificate as a server is given it (base64 DER) and as the collection describes it."""

    base64_der: str
    facts: dict

    @property
    def thumbprint(self) -> str:
        return self.facts["thumbprint"]


def public_certificate(text: str, option: str = "certificate", now=None) -> PublicCertificate:
    """The one certificate in PEM or base64-DER text; a private key or several certificates are refused."""
    try:
        bundle = load_bundle(decode_text_input(text))
    except CertopsError as err:
        if "password" in str(err) or "private key" in str(err):
            raise CertopsError(PRIVATE_KEY_GIVEN.format(option=option)) from None
        raise CertopsError(f"option {option}: {err}") from None
    if bundle.private_key is not None:
        raise CertopsError(PRIVATE_KEY_GIVEN.format(option=option))
    if len(bundle.certificates) != 1:
        raise CertopsError(f"option {option} holds {len(bundle.certificates)} certificates: give exactly one")
    certificate = bundle.certificates[0]
    der = certificate.public_bytes(crypto.Encoding.DER)
    return PublicCertificate(base64.b64encode(der).decode("ascii"), describe_certificate(certificate, now=now))


def thumbprint_set(values, option: str) -> set:
    """Normalised thumbprints of a list option; the option is named in the error."""
    found = set()
    for value in values or []:
        try:
            found.add(normalize_thumbprint(value))
        except CertopsError as err:
            raise CertopsError(f"option {option}: {err}") from None
    return found
