# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guarded import of the ``cryptography`` library, in one place.

PRIVATE to the collection: the name and location may change without notice.

Modules report a missing library with ``missing_required_lib("cryptography")`` and
CRYPTOGRAPHY_IMPORT_ERROR; filters and action plugins get a CertopsError from
require_cryptography(). Without the guard, ansible-test's import sanity test (which runs without
third-party libraries) and users without the library would see a bare ImportError.

Only x509, hashes, Encoding and the exception classes are imported with this module: every caller
needs them, and importing them is what tells whether the library works. The rest is imported on
first use (PEP 562 module ``__getattr__``): certificate_info starts a new Python process for every
file, and ``pkcs7`` alone pulls in the email package, ``serialization`` the SSH key parser and the
ciphers, none of which reading a PEM or DER certificate needs. Callers write ``crypto.pkcs7`` at
the point of use, never ``from ... import pkcs7``, which would import it at once.

Action plugins run each host's task in a process forked from ansible-playbook, which has imported
this module but not what it imports on first use; so the path every certificate takes (load,
describe, DER out) keeps to the eager names, and only PFX, P7B and private keys import more.
"""
from __future__ import annotations

import importlib
import traceback

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes

    try:
        # cryptography 35+ defines the encodings here, a module x509 imports anyway; the public
        # serialization package would add the SSH key parser and the ciphers just to write DER.
        from cryptography.hazmat.primitives._serialization import Encoding
    except ImportError:
        from cryptography.hazmat.primitives.serialization import Encoding
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    x509 = hashes = Encoding = None
    InvalidSignature = UnsupportedAlgorithm = None
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

_ASYMMETRIC = ("dsa", "ec", "ed448", "ed25519", "padding", "rsa", "x448", "x25519")
# Attribute -> the module it stands for, imported the first time the attribute is read.
ON_FIRST_USE = {
    "serialization": "cryptography.hazmat.primitives.serialization",
    "pkcs7": "cryptography.hazmat.primitives.serialization.pkcs7",
    "pkcs12": "cryptography.hazmat.primitives.serialization.pkcs12",
    **{name: f"cryptography.hazmat.primitives.asymmetric.{name}" for name in _ASYMMETRIC},
}

# The names of ON_FIRST_USE are attributes too, resolved by __getattr__.
__all__ = ["CRYPTOGRAPHY_IMPORT_ERROR", "Encoding", "HAS_CRYPTOGRAPHY", "InvalidSignature", "ON_FIRST_USE", "UnsupportedAlgorithm", "hashes",
           "require_cryptography", "x509"]


def __getattr__(name: str):
    """The module ON_FIRST_USE names for ``name``, imported now; None without the library, like the eager names."""
    if name not in ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(ON_FIRST_USE[name]) if HAS_CRYPTOGRAPHY else None
    globals()[name] = module  # later reads find the global and no longer come here
    return module


def require_cryptography() -> None:
    """Raise CertopsError when the cryptography library is missing on the controller."""
    if not HAS_CRYPTOGRAPHY:
        raise CertopsError("the Python library 'cryptography' is required on the controller: install it with 'pip install cryptography'")
