# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The facts of one certificate, as plain data for modules, filters and reports.

PRIVATE to the collection: the name and location may change without notice.

Dates are ISO 8601 UTC ending in Z; the thumbprint is what Windows shows (upper-case SHA-1 of
the DER). Parsing happens here, on the controller, and never from Windows' localised
X509Extension.Format() text (SAN parsing by "DNS Name" breaks on non-English systems).
"""
from __future__ import annotations

import functools

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto
from ansible_collections.certops.microsoft.plugins.module_utils._cert_names import KEY_USAGE_NAMES, UPN_OID, eku_name
from ansible_collections.certops.microsoft.plugins.module_utils._time import days_between, ensure_utc, iso_z, resolve_now

# OpenSSL reports these sizes for keys that have no key_size attribute in cryptography.
FIXED_KEY_SIZES = {"Ed25519": 256, "Ed448": 456, "X25519": 253, "X448": 448}


def validity(cert) -> tuple:
    """(not_before, not_after) as aware UTC datetimes, on any cryptography version."""
    before = getattr(cert, "not_valid_before_utc", None) or ensure_utc(cert.not_valid_before)
    after = getattr(cert, "not_valid_after_utc", None) or ensure_utc(cert.not_valid_after)
    return before, after


def name_text(cert, attribute: str) -> str:
    """The subject or issuer in RFC 4514 form (cryptography parses names lazily, so this may raise ValueError)."""
    return getattr(cert, attribute).rfc4514_string()


def thumbprint(cert) -> str:
    """SHA-1 of the DER in upper-case hex: the Thumbprint Windows shows."""
    return cert.fingerprint(crypto.hashes.SHA1()).hex().upper()


def serial_hex(serial: int) -> str:
    """The serial number as the upper-case hex of its DER INTEGER bytes, as Windows shows it (leading 00 kept)."""
    return serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True).hex().upper()


def _key_types() -> tuple:
    return (
        (crypto.rsa.RSAPublicKey, "RSA"), (crypto.ec.EllipticCurvePublicKey, "EC"), (crypto.dsa.DSAPublicKey, "DSA"),
        (crypto.ed25519.Ed25519PublicKey, "Ed25519"), (crypto.ed448.Ed448PublicKey, "Ed448"),
        (crypto.x25519.X25519PublicKey, "X25519"), (crypto.x448.X448PublicKey, "X448"),
    )


def key_facts(cert) -> dict:
    """key_type and key_size of the certificate's public key; an unsupported key gives its algorithm OID."""
    try:
        key = cert.public_key()
    except (ValueError, crypto.UnsupportedAlgorithm):
        oid = getattr(cert, "public_key_algorithm_oid", None)
        return {"key_type": oid.dotted_string if oid else "unknown", "key_size": None}
    for key_class, name in _key_types():
        if isinstance(key, key_class):
            size = key.curve.key_size if name == "EC" else getattr(key, "key_size", FIXED_KEY_SIZES.get(name))
            return {"key_type": name, "key_size": size}
    return {"key_type": type(key).__name__, "key_size": None}


def signature_hash(cert) -> str | None:
    """Name of the signature's hash (sha256, sha1, ...); None for Ed25519/Ed448 and unknown algorithms."""
    try:
        algorithm = cert.signature_hash_algorithm
    except crypto.UnsupportedAlgorithm:
        return None
    return algorithm.name if algorithm else None


def verify_own_signature(cert) -> None:
    """Verify cert's signature with its own public key; raises InvalidSignature (or ValueError/TypeError) when it does not.

    cryptography's verify_directly_issued_by() refuses SHA-1 and MD5 signatures, which are exactly
    the old self-signed certificates (AD FS, Exchange Auth) the collection must still recognise.
    """
    key, signature, tbs = cert.public_key(), cert.signature, cert.tbs_certificate_bytes
    if isinstance(key, (crypto.ed25519.Ed25519PublicKey, crypto.ed448.Ed448PublicKey)):
        key.verify(signature, tbs)
    elif isinstance(key, crypto.rsa.RSAPublicKey):
        # cryptography gives no parameters for md5WithRSAEncryption; every non-PSS RSA signature is PKCS#1 v1.5.
        key.verify(signature, tbs, cert.signature_algorithm_parameters or crypto.padding.PKCS1v15(), cert.signature_hash_algorithm)
    elif isinstance(key, crypto.ec.EllipticCurvePublicKey):
        key.verify(signature, tbs, cert.signature_algorithm_parameters)
    elif isinstance(key, crypto.dsa.DSAPublicKey):
        key.verify(signature, tbs, cert.signature_hash_algorithm)
    else:
        raise TypeError(f"cannot verify a signature made with a {type(key).__name__}")


def is_self_signed(cert) -> bool:
    """Issuer equals subject and the certificate's own key verifies its signature."""
    if cert.issuer != cert.subject:
        return False
    if not hasattr(cert, "signature_algorithm_parameters"):  # cryptography < 41 cannot verify: the names have to do.
        return True
    try:
        verify_own_signature(cert)
    except (ValueError, TypeError, crypto.InvalidSignature, crypto.UnsupportedAlgorithm):
        return False
    return True


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(crypto.serialization.Encoding.DER, crypto.serialization.PublicFormat.SubjectPublicKeyInfo)


def private_key_matches(cert, private_key) -> bool | None:
    """Whether private_key belongs to cert; None when there is no key."""
    if private_key is None:
        return None
    try:
        return _public_der(private_key.public_key()) == _public_der(cert.public_key())
    except (ValueError, TypeError, crypto.UnsupportedAlgorithm):
        return False


def _other_name_value(name) -> str:
    """A UPN otherName as text (its DER is a UTF8String, tag 0x0C); any other otherName as hex DER."""
    raw = name.value
    if name.type_id.dotted_string == UPN_OID and raw[:1] == b"\x0c" and len(raw) > 1 and raw[1] < 0x80:
        return raw[2:2 + raw[1]].decode("utf-8", errors="replace")
    return raw.hex().upper()


def general_name(name) -> dict:
    """One SAN entry as {type, value}: dns, ip, email, uri, dirname, rid, or other (with its oid)."""
    x509 = crypto.x509
    if isinstance(name, x509.OtherName):
        return {"type": "other", "oid": name.type_id.dotted_string, "value": _other_name_value(name)}
    if isinstance(name, x509.DirectoryName):
        return {"type": "dirname", "value": name.value.rfc4514_string()}
    if isinstance(name, x509.RegisteredID):
        return {"type": "rid", "value": name.value.dotted_string}
    kinds = ((x509.DNSName, "dns"), (x509.IPAddress, "ip"), (x509.RFC822Name, "email"), (x509.UniformResourceIdentifier, "uri"))
    kind = next((label for name_class, label in kinds if isinstance(name, name_class)), "unknown")
    return {"type": kind, "value": str(name.value)}


def _parse_errors() -> tuple:
    """Exceptions cryptography raises for a certificate that loads but has a malformed part."""
    return (ValueError, crypto.UnsupportedAlgorithm, crypto.x509.DuplicateExtension, crypto.x509.UnsupportedGeneralNameType)


def guarded(warnings: list, field: str, read, default=None):
    """read(), or default plus a warning when that part of the certificate is malformed (OpenSSL still shows the rest)."""
    try:
        return read()
    except _parse_errors() as error:
        warnings.append(f"{field}: cryptography cannot parse it ({error})")
        return default


def extension_value(extensions, extension_class):
    """The value of one extension, or None when it is absent (or the extensions could not be parsed)."""
    if extensions is None:
        return None
    try:
        return extensions.get_extension_for_class(extension_class).value
    except crypto.x509.ExtensionNotFound:
        return None


def key_usage_names(usage) -> list:
    """RFC 5280 names of the key usage bits that are set (encipher/decipherOnly exist only with keyAgreement)."""
    if usage is None:
        return []
    names = []
    for attribute, name in KEY_USAGE_NAMES:
        try:
            if getattr(usage, attribute):
                names.append(name)
        except ValueError:
            continue
    return names


def ca_flag(extensions) -> bool:
    """The CA flag of BasicConstraints (False when absent)."""
    constraints = extension_value(extensions, crypto.x509.BasicConstraints)
    return bool(constraints and constraints.ca)


def is_ca(cert) -> bool:
    """Whether cert is a CA; a certificate whose extensions cannot be parsed counts as a leaf."""
    return ca_flag(guarded([], "extensions", lambda: cert.extensions))


def extension_facts(extensions) -> dict:
    """SANs, key usages, EKUs and CA flag from the certificate's extensions (None: they could not be parsed)."""
    x509 = crypto.x509
    sans = [general_name(name) for name in (extension_value(extensions, x509.SubjectAlternativeName) or [])]
    ekus = extension_value(extensions, x509.ExtendedKeyUsage) or []
    return {
        "dns_names": [entry["value"] for entry in sans if entry["type"] == "dns"],
        "subject_alt_names": sans,
        "key_usage": key_usage_names(extension_value(extensions, x509.KeyUsage)),
        "extended_key_usages": [{"name": eku_name(oid.dotted_string), "oid": oid.dotted_string} for oid in ekus],
        "is_ca": ca_flag(extensions),
    }


def validity_facts(cert, now) -> dict:
    """Dates, days remaining (rounded down) and the expired / not yet valid flags at now."""
    not_before, not_after = validity(cert)
    return {
        "not_before": iso_z(not_before),
        "not_after": iso_z(not_after),
        "days_remaining": days_between(now, not_after),
        "expired": now > not_after,
        "not_yet_valid": now < not_before,
    }


def describe_certificate(cert, private_key=None, now=None) -> dict:
    """Every fact the collection reports about one certificate (and whether private_key is its key).

    A malformed name, signature algorithm or extension leaves that fact empty (None or []) and
    says why in parse_warnings, instead of failing the whole file.
    """
    now = resolve_now(now)
    warnings = []
    info = {
        "thumbprint": thumbprint(cert),
        "thumbprint_sha256": cert.fingerprint(crypto.hashes.SHA256()).hex().upper(),
        "subject": guarded(warnings, "subject", functools.partial(name_text, cert, "subject")),
        "issuer": guarded(warnings, "issuer", functools.partial(name_text, cert, "issuer")),
        "serial_number": serial_hex(cert.serial_number),
    }
    info.update(validity_facts(cert, now))
    info.update(key_facts(cert))
    info["signature_hash"] = guarded(warnings, "signature algorithm", lambda: signature_hash(cert))
    info.update(extension_facts(guarded(warnings, "extensions", lambda: cert.extensions)))
    info["self_signed"] = guarded(warnings, "self-signed check", lambda: is_self_signed(cert), False)
    info["has_private_key"] = private_key is not None
    info["private_key_matches"] = private_key_matches(cert, private_key)
    info["parse_warnings"] = warnings
    return info
