# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate core's public face: load any container, describe its certificates.

PRIVATE to the collection: the name and location may change without notice.

inspect_data() is what the certificate_info module, the cert_info filter and the action plugins
that read certificates from Windows (base64 DER) all call, so they return the same dictionary.
"""
from __future__ import annotations

import base64

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto
from ansible_collections.certops.microsoft.plugins.module_utils._cert_describe import describe_certificate, is_ca, private_key_matches
from ansible_collections.certops.microsoft.plugins.module_utils._cert_load import CertificateBundle, load_bundle, read_certificate_file
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._policy import check_certificate
from ansible_collections.certops.microsoft.plugins.module_utils._text_input import decode_text_input
from ansible_collections.certops.microsoft.plugins.module_utils._time import resolve_now

__all__ = ["CertificateBundle", "decode_text_input", "describe_certificate", "inspect_data", "leaf_index", "load_bundle", "public_certificate_base64",
           "read_certificate_file", "certificate_report"]


def leaf_index(bundle: CertificateBundle) -> int:
    """The leaf: the certificate matching the private key, else the first non-CA, else the first."""
    if bundle.private_key is not None:
        for index, cert in enumerate(bundle.certificates):
            if private_key_matches(cert, bundle.private_key):
                return index
    for index, cert in enumerate(bundle.certificates):
        if not is_ca(cert):
            return index
    return 0


def _describe_all(bundle: CertificateBundle, leaf: int, now) -> list:
    """Facts of every certificate; only the leaf is paired with the bundle's private key."""
    described = []
    for index, cert in enumerate(bundle.certificates):
        try:
            described.append(describe_certificate(cert, bundle.private_key if index == leaf else None, now))
        except ValueError as error:
            raise CertopsError(f"certificate {index + 1} of the {bundle.source_format} data is malformed and cannot be read: {error}") from None
    return described


def public_certificate_base64(cert) -> str:
    """The certificate alone as base64 DER: what a trust on another server needs, without the key."""
    return base64.b64encode(cert.public_bytes(crypto.Encoding.DER)).decode("ascii")


def inspect_data(data: bytes, password: str | bytes | None = None, now=None) -> dict:
    """The leaf certificate's facts at the top level, plus `certificates` (all), `chain` (the others) and `load_warnings`."""
    now = resolve_now(now)
    bundle = load_bundle(data, password)
    leaf = leaf_index(bundle)
    described = _describe_all(bundle, leaf, now)
    result = dict(described[leaf])
    result["public_certificate"] = public_certificate_base64(bundle.certificates[leaf])
    result["source_format"] = bundle.source_format
    result["load_warnings"] = bundle.warnings
    result["certificates"] = described
    result["chain"] = [info for index, info in enumerate(described) if index != leaf]
    return result


def certificate_report(params: dict, now=None) -> dict:
    """What certops.microsoft.certificate_info returns: the leaf's facts, all certificates, the chain
    and (when ``policy`` or ``purpose`` is given) the policy violations; ``params`` holds path or
    content, password, policy and purpose."""
    data = read_certificate_file(params["path"]) if params.get("path") is not None else decode_text_input(params["content"])
    report = inspect_data(data, params.get("password"), now)
    if params.get("policy") is not None or params.get("purpose") is not None:
        report["violations"] = check_certificate(report, params.get("policy"), params.get("purpose"))
    return report
