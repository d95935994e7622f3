# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An AD FS farm's federation metadata (/FederationMetadata/2007-06/FederationMetadata.xml), as the lab serves it.

The document lists the farm's primary token-signing certificate and, during a rollover, the
secondary one as ``KeyDescriptor use="signing"`` entries of its IDPSSODescriptor and of its
WS-Federation SecurityTokenServiceType role (OASIS SAML 2.0 metadata; WS-Federation 1.2 §3.1), and
the primary token-decrypting certificate as ``use="encryption"``: what Entra and other relying
parties read. Real AD FS also signs the document; the lab does not.
"""
from __future__ import annotations

import base64
from xml.sax.saxutils import quoteattr

from certops_lab.products.adfs import DECRYPTING, SIGNING

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
FED = "http://docs.oasis-open.org/wsfed/federation/200706"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def key_descriptor(use: str, der: bytes) -> str:
    return (f'<KeyDescriptor use="{use}"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>'
            f"{base64.b64encode(der).decode('ascii')}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>")


def farm_keys(farm) -> str:
    signing = [farm.primary_of(SIGNING), farm.newest_secondary(SIGNING)]
    keys = [key_descriptor("signing", item.der) for item in signing if item is not None]
    decrypting = farm.primary_of(DECRYPTING)
    return "".join(keys + ([key_descriptor("encryption", decrypting.der)] if decrypting else []))


def federation_metadata(farm) -> bytes:
    keys = farm_keys(farm)
    document = (f'<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="{MD}" entityID={quoteattr(farm.identifier)}>'
                f'<RoleDescriptor xmlns:xsi="{XSI}" xmlns:fed="{FED}" xsi:type="fed:SecurityTokenServiceType" '
                f'protocolSupportEnumeration="{FED}">{keys}</RoleDescriptor>'
                f'<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}'
                f'<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
                f'Location="https://{farm.host_name}/adfs/ls/"/></IDPSSODescriptor></EntityDescriptor>')
    return document.encode("utf-8")
