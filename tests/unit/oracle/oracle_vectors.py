# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files of the `cryptography-vectors` package the oracle feeds to both readers.

Every file in the certificate and PKCS#12 folders goes in, including the keys, CRLs, requests
and OCSP messages that sit beside the certificates: those must give our clean error, which is
as much part of the contract as reading the certificates right.
"""
from __future__ import annotations

import os

import cryptography_vectors

VECTORS_ROOT = os.path.dirname(os.path.abspath(cryptography_vectors.__file__))
# Folders whose every file is fed to both readers.
WHOLE_FOLDERS = ("x509", "x509/custom", "x509/custom/ca", "x509/ed25519", "x509/ed448", "x509/ocsp", "x509/requests",
                 "x509/PKITS_data/certs", "x509/PKITS_data/pkcs12", "pkcs12", "pkcs12/ca", "pkcs7")
# Folders left out, and why: certpairs are cross-certificate pairs (not a certificate format any
# Windows tool imports), crls are only revocation lists, smime holds mail messages.
LEFT_OUT = ("x509/PKITS_data/certpairs", "x509/PKITS_data/crls", "x509/PKITS_data/smime")


def vector_files():
    """Paths relative to the vectors root, sorted, of every file the oracle reads."""
    found = []
    for folder in WHOLE_FOLDERS:
        base = os.path.join(VECTORS_ROOT, folder)
        found.extend(f"{folder}/{name}" for name in os.listdir(base) if os.path.isfile(os.path.join(base, name)))
    return sorted(found)


def vector_path(relative):
    """Absolute path of one vector file."""
    return os.path.join(VECTORS_ROOT, relative)
