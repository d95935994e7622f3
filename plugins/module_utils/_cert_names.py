# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names of key usages, extended key usages and SAN kinds as the collection returns them.

PRIVATE to the collection: the name and location may change without notice.

Key usages use the RFC 5280 names; extended key usages carry both a name and the OID, because
Windows and policies refer to them by OID (serverAuth is 1.3.6.1.5.5.7.3.1).
"""
from __future__ import annotations

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0"
# Microsoft's userPrincipalName otherName in smart-card and client certificates.
UPN_OID = "1.3.6.1.4.1.311.20.2.3"

EKU_NAMES = {
    SERVER_AUTH: "serverAuth",
    CLIENT_AUTH: "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "1.3.6.1.5.5.7.3.17": "ipsecIKE",
    ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    "1.3.6.1.5.2.3.4": "pkInitClientAuth",
    "1.3.6.1.5.2.3.5": "kerberosPKINITKDC",
    "1.3.6.1.4.1.311.20.2.2": "smartcardLogon",
    "1.3.6.1.4.1.311.20.2.1": "certificateRequestAgent",
    "1.3.6.1.4.1.311.10.3.4": "encryptingFileSystem",
    "1.3.6.1.4.1.311.10.3.4.1": "fileRecovery",
    "1.3.6.1.4.1.311.10.3.12": "documentSigning",
    "1.3.6.1.4.1.311.21.5": "caExchange",
    "1.3.6.1.4.1.311.21.6": "keyRecoveryAgent",
    "1.3.6.1.4.1.311.54.1.2": "remoteDesktopAuthentication",
}

# (attribute of cryptography's KeyUsage, RFC 5280 name), in RFC 5280 bit order.
KEY_USAGE_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "contentCommitment"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
    ("encipher_only", "encipherOnly"),
    ("decipher_only", "decipherOnly"),
)


def eku_name(dotted: str) -> str:
    """The usual name of an extended key usage OID, or the dotted OID itself when it has none."""
    return EKU_NAMES.get(dotted, dotted)


def eku_oid(name_or_oid: str) -> str:
    """The dotted OID for an EKU given by name (serverAuth) or OID; unknown names come back unchanged."""
    by_name = {name.lower(): dotted for dotted, name in EKU_NAMES.items()}
    return by_name.get(name_or_oid.lower(), name_or_oid)
