# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load certificates from any container administrators hand us: PEM, DER, base64, P7B, PFX.

PRIVATE to the collection: the name and location may change without notice.

Every failure a user can cause (wrong PFX password, a truncated or corrupt file, an empty file,
a private key or a CSR instead of a certificate) raises one CertopsError naming the problem
and the fix. Anything else escaping from here is a bug.
"""
from __future__ import annotations

import dataclasses
import os
import warnings

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto
from ansible_collections.certops.microsoft.plugins.module_utils._der import der_kind, outer_extent
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._pem import PEM_MARKER, pem_blocks, text_bytes
from ansible_collections.certops.microsoft.plugins.module_utils._text_input import base64_or_none

EMPTY = "the input is empty: give a certificate (PEM, DER, base64, P7B) or a PFX"
NOT_RECOGNISED = (
    "no certificate found: the data is neither PEM (-----BEGIN CERTIFICATE-----), DER, base64, PKCS#7 (P7B) nor PKCS#12 (PFX); "
    "check that you passed the certificate file and not something else"
)
PRIVATE_KEY_ONLY = "this is a private key, not a certificate: pass the certificate or a PFX"
WRONG_PASSWORD = "the PFX password is wrong or missing"
CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")
PKCS7_LABELS = ("PKCS7", "PKCS #7 SIGNED DATA", "CMS")
OTHER_PEM_KINDS = {
    "CERTIFICATE REQUEST": "a certificate signing request (CSR), not a certificate: pass the certificate issued for it",
    "NEW CERTIFICATE REQUEST": "a certificate signing request (CSR), not a certificate: pass the certificate issued for it",
    "PUBLIC KEY": "a public key, not a certificate: pass the certificate that holds it",
    "RSA PUBLIC KEY": "a public key, not a certificate: pass the certificate that holds it",
    "X509 CRL": "a certificate revocation list (CRL), not a certificate: pass the certificate",
}


@dataclasses.dataclass
class CertificateBundle:
    """What a file held: its certificates in file order, the private key if any, and the container format."""

    certificates: list
    private_key: object = None
    source_format: str = "pem"
    warnings: list = dataclasses.field(default_factory=list)


def password_bytes(password) -> bytes | None:
    """The PFX/key password as bytes (str is UTF-8 encoded); None for no password."""
    if password is None or isinstance(password, bytes):
        return password
    if isinstance(password, str):
        return password.encode("utf-8")
    raise CertopsError(f"the password must be a string, got {type(password).__name__}")


def load_bundle(data: bytes, password: str | bytes | None = None) -> CertificateBundle:
    """Certificates (and the private key of a PFX or PEM bundle) from PEM, DER, base64, P7B or PFX bytes."""
    crypto.require_cryptography()
    data = text_bytes(data)
    if not data.strip():
        raise CertopsError(EMPTY)
    secret = password_bytes(password)
    if PEM_MARKER in data:
        return _load_pem(data, secret)
    if data[0] == 0x30:
        return _load_der(data, secret)
    decoded = base64_or_none(data)
    if decoded and PEM_MARKER in decoded:
        return _load_pem(decoded, secret)
    if decoded and decoded[0] == 0x30:
        return _load_der(decoded, secret)
    raise CertopsError(NOT_RECOGNISED)


def _load_pem(data: bytes, secret: bytes | None) -> CertificateBundle:
    """Every certificate of every CERTIFICATE and PKCS7 block; text around the blocks is ignored."""
    certificates, keys, others, formats = [], [], [], set()
    for number, block in enumerate(pem_blocks(data), start=1):
        if block.label in CERTIFICATE_LABELS:
            certificates.append(der_certificate(block.der(number), f"PEM block {number} ({block.label})"))
            formats.add("pem")
        elif block.label in PKCS7_LABELS:
            certificates.extend(pkcs7_certificates(block.der(number)))
            formats.add("pkcs7")
        elif block.label.endswith("PRIVATE KEY"):
            keys.append(block.text)
        else:
            others.append(block.label)
    if not certificates:
        raise _no_pem_certificate(keys, others)
    key, warning = pem_private_key(keys[0], secret) if keys else (None, None)
    return CertificateBundle(certificates, key, "pkcs7" if formats == {"pkcs7"} else "pem", [warning] if warning else [])


def _no_pem_certificate(keys: list, others: list) -> CertopsError:
    """The error for PEM data without a certificate block, naming what it holds instead."""
    if keys:
        return CertopsError(PRIVATE_KEY_ONLY)
    for label in others:
        if label in OTHER_PEM_KINDS:
            return CertopsError(f"this is {OTHER_PEM_KINDS[label]}")
    if others:
        return CertopsError(f"no certificate found: the PEM data holds only {', '.join(others)} blocks; pass a -----BEGIN CERTIFICATE----- block")
    return CertopsError(NOT_RECOGNISED)


def pem_private_key(text: bytes, secret: bytes | None) -> tuple:
    """(key, warning) for the private key of a PEM bundle (certificate plus key).

    Without a password, a key that is encrypted or unreadable leaves the certificates readable and
    says why in the warning, as `openssl x509` would read them. With a password, the user meant to
    open the key, so failing to is an error.
    """
    try:
        return crypto.serialization.load_pem_private_key(text, password=secret), None
    except TypeError:
        return None, "the PEM data holds an encrypted private key and no password was given: the certificates are reported without it"
    except (ValueError, crypto.UnsupportedAlgorithm) as error:
        if secret:
            raise CertopsError(f"the private key in the PEM data cannot be read with the password given ({error}): check the password") from None
        return None, f"a PRIVATE KEY block in the PEM data cannot be read ({error}): the certificates are reported without it"


def der_certificate(der: bytes, where: str = "the data"):
    """One X.509 certificate from DER; trailing bytes after the certificate are ignored, as OpenSSL does."""
    try:
        return crypto.x509.load_der_x509_certificate(der[:outer_extent(der)])
    except (ValueError, crypto.x509.InvalidVersion) as error:
        raise CertopsError(f"{where} is corrupt or truncated: it does not decode as an X.509 certificate ({error})") from None


def pkcs7_certificates(der: bytes) -> list:
    """The certificates of a PKCS#7 (P7B) structure, in file order."""
    try:
        with warnings.catch_warnings():
            # Windows writes P7B files in BER (indefinite lengths); cryptography reads them but warns each time.
            warnings.simplefilter("ignore", UserWarning)
            certificates = crypto.pkcs7.load_der_pkcs7_certificates(der[:outer_extent(der)])
    except (ValueError, crypto.UnsupportedAlgorithm) as error:
        raise CertopsError(f"the PKCS#7 (P7B) data is corrupt or unsupported ({error}): export it again as a .p7b or .cer") from None
    if not certificates:
        raise CertopsError("the PKCS#7 (P7B) data holds no certificates: export it again including the certificate")
    return list(certificates)


def _load_der(data: bytes, secret: bytes | None) -> CertificateBundle:
    """Dispatch DER bytes to the parser their outer structure asks for."""
    outer_extent(data)
    kind = der_kind(data)
    if kind == "pkcs12":
        return load_pkcs12(data, secret)
    if kind == "pkcs7":
        return CertificateBundle(pkcs7_certificates(data), None, "pkcs7")
    if kind == "private_key":
        raise CertopsError(PRIVATE_KEY_ONLY)
    if kind == "other_content_info":
        raise CertopsError("this is a PKCS#7/CMS message that is not a certificate bundle (for example encrypted or enveloped data): "
                           "export the certificates as a .p7b or .cer")
    try:
        return CertificateBundle([der_certificate(data)], None, "der")
    except CertopsError:
        # Only now pay for the slower probes that name what the data is instead.
        _raise_if_not_a_certificate(data)
        raise


def _raise_if_not_a_certificate(data: bytes) -> None:
    """Name an encrypted PKCS#8 key, a CSR or a CRL, which start like a certificate in DER."""
    if _is_der_private_key(data):
        raise CertopsError(PRIVATE_KEY_ONLY)
    for loader, label in ((crypto.x509.load_der_x509_csr, "CERTIFICATE REQUEST"), (crypto.x509.load_der_x509_crl, "X509 CRL")):
        try:
            loader(data)
        except ValueError:
            continue
        raise CertopsError(f"this is {OTHER_PEM_KINDS[label]}")


def _is_der_private_key(data: bytes) -> bool:
    """True for a DER private key; an encrypted PKCS#8 key asks for a password (TypeError)."""
    try:
        crypto.serialization.load_der_private_key(data, password=None)
    except TypeError:
        return True
    except (ValueError, crypto.UnsupportedAlgorithm):
        return False
    return True


def _password_candidates(secret: bytes | None) -> tuple:
    """Passwords to try: an unprotected PFX opens with None (or b"" for some exporters), whatever the user passed."""
    candidates = (secret, None, b"") if secret else (None, b"")
    return tuple(dict.fromkeys(candidates))


def load_pkcs12(data: bytes, secret: bytes | None) -> CertificateBundle:
    """Certificate, chain and key of a PFX, legacy (3DES/RC2) or modern (AES) alike."""
    errors = []
    for candidate in _password_candidates(secret):
        try:
            key, certificate, chain = crypto.pkcs12.load_key_and_certificates(data, candidate)
        except (ValueError, crypto.UnsupportedAlgorithm) as caught:
            errors.append(caught)
            continue
        certificates = ([certificate] if certificate else []) + list(chain or [])
        if not certificates:
            raise CertopsError("the PFX holds no certificate: export it again with the certificate included")
        return CertificateBundle(certificates, key, "pkcs12")
    raise _pkcs12_error(errors, secret)


def _is_password_error(error: Exception) -> bool:
    """cryptography says "Invalid password or PKCS12 data" when the MAC or decryption fails."""
    return isinstance(error, ValueError) and "password" in str(error).lower()


def _pkcs12_error(errors: list, secret: bytes | None) -> CertopsError:
    """Tell a wrong password from a PFX that opened (or could not be parsed) but holds what cryptography cannot read."""
    other = next((error for error in errors if not _is_password_error(error)), None)
    if isinstance(other, crypto.UnsupportedAlgorithm):
        return CertopsError(f"the PFX uses an algorithm the cryptography library cannot read ({other}): export it again with AES-256 encryption")
    if other is not None:
        return CertopsError(f"the PFX data is corrupt, truncated or holds a certificate that cannot be parsed ({other}): export the PFX again")
    if secret:
        return CertopsError(f"{WRONG_PASSWORD}: the password given does not open this PFX (or the file is damaged); pass the password it was exported with")
    return CertopsError(f"{WRONG_PASSWORD}: this PFX is password-protected and no password was given; pass its password")


def read_certificate_file(path: str) -> bytes:
    """The bytes of a certificate file, with one clear error for a missing, unreadable, empty path or a directory."""
    if os.path.isdir(path):
        raise CertopsError(f"{path} is a directory: give the path of a certificate file (PEM, DER, P7B or PFX)")
    if not os.path.exists(path):
        raise CertopsError(f"{path} does not exist: check the path of the certificate file")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise CertopsError(f"cannot read {path}: {error.strerror}; run as a user that can read the file or fix its permissions") from None
    if not data.strip():
        raise CertopsError(f"{path} is empty: give the path of a certificate file (PEM, DER, P7B or PFX)")
    return data
