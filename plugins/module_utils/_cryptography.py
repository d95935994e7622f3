# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guarded import of the ``cryptography`` library, in one place.

PRIVATE to the collection: the name and location may change without notice.

Modules report a missing library with ``missing_required_lib("cryptography")`` and
CRYPTOGRAPHY_IMPORT_ERROR; filters and action plugins get a CertopsError from
require_cryptography(). Without the guard, ansible-test's import sanity test (which runs without
third-party libraries) and users without the library would see a bare ImportError.
"""
from __future__ import annotations

import traceback

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x448, x25519
    from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    x509 = hashes = serialization = pkcs7 = pkcs12 = None
    dsa = ec = ed448 = ed25519 = padding = rsa = x448 = x25519 = None
    InvalidSignature = UnsupportedAlgorithm = None
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

__all__ = [
    "CRYPTOGRAPHY_IMPORT_ERROR", "HAS_CRYPTOGRAPHY", "InvalidSignature", "UnsupportedAlgorithm", "dsa", "ec", "ed448", "ed25519",
    "hashes", "padding", "pkcs7", "pkcs12", "require_cryptography", "rsa", "serialization", "x448", "x25519", "x509",
]


def require_cryptography() -> None:
    """Raise CertopsError when the cryptography library is missing on the controller."""
    if not HAS_CRYPTOGRAPHY:
        raise CertopsError("the Python library 'cryptography' is required on the controller: install it with 'pip install cryptography'")
