# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The D365 on-premises Infrastructure scripts' ConfigTemplate.xml: the certificates it names.

PRIVATE to the collection: the name and location may change without notice.

Shape (Microsoft Learn, "Configure the infrastructure scripts for your Finance + Operations
(on-premises) deployment", configure-infrascripts-onprem): ``<Certificates>`` holds
``<Certificate type="..." disabled="...">`` elements with ``<Name>``, ``<Subject>`` and
``<Thumbprint>`` children. The types the rotation reads: ``ServiceFabric`` (the cluster/server
"Star/SF" certificate), ``ServiceFabricClient``, ``ServiceFabricEncryption`` (axdataencipherment,
which Configure-CredentialsJson.ps1 encrypts Credentials.json with), ``DataEncryption`` and
``DataSigning``; ``Orchestrator`` is the LocalAgent certificate.

The file is parsed with a real XML parser. A document type declaration is refused before parsing:
the file has none, and a DTD is how entity expansion attacks (billion laughs, external entities)
get in; this is the defusedxml rule, applied with the standard library.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET  # nosec B405 - DTDs are refused by refuse_dtd() before ElementTree sees the text
from xml.parsers import expat  # nosec B407 - used only to detect a DTD

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint

# ConfigTemplate.xml certificate type -> the rotation's name for it.
TYPES = {"ServiceFabric": "server", "ServiceFabricClient": "client", "ServiceFabricEncryption": "encipherment",
         "DataEncryption": "data_encryption", "DataSigning": "data_signing"}
MAX_BYTES = 4 * 1024 * 1024


class _DtdFound(Exception):
    pass


def _doctype(*_args) -> None:
    raise _DtdFound()


def refuse_dtd(text: str, label: str) -> None:
    """CertopsError when the document declares a DTD or an entity (scanned with expat, nothing expanded)."""
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _doctype
    scanner.EntityDeclHandler = _doctype
    try:
        scanner.Parse(text, True)
    except _DtdFound:
        raise CertopsError(f"{label} declares a DTD (<!DOCTYPE or <!ENTITY>); ConfigTemplate.xml has none and certops does not read "
                           "XML with one (entity expansion). Use the ConfigTemplate.xml of the Infrastructure scripts") from None
    except expat.ExpatError as error:
        raise CertopsError(f"{label} is not well-formed XML: {expat.ErrorString(error.code)} at line {error.lineno}, column "
                           f"{error.offset}; fix the file (it must open in a browser or XML editor)") from None


def parse(text: str, label: str = "ConfigTemplate.xml") -> ET.Element:
    """The root element of a ConfigTemplate.xml text."""
    if not isinstance(text, str) or not text.strip():
        raise CertopsError(f"{label} is empty; give the ConfigTemplate.xml of the Infrastructure scripts")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise CertopsError(f"{label} is larger than {MAX_BYTES // (1024 * 1024)} MiB; it is not a ConfigTemplate.xml")
    refuse_dtd(text, label)
    root = ET.fromstring(text)  # nosec B314 - refuse_dtd() ran first
    if root.find("Certificates") is None:
        raise CertopsError(f"{label} has no <Certificates> element under <{root.tag}>; it is not the Infrastructure scripts' "
                           "ConfigTemplate.xml")
    return root


def _entry(element: ET.Element, label: str) -> dict:
    raw = (element.findtext("Thumbprint") or "").strip()
    try:
        thumbprint = normalize_thumbprint(raw) if raw else ""
    except CertopsError as error:
        raise CertopsError(f"{label}: the <Thumbprint> of the {element.get('type')} certificate: {error}") from None
    return {"type": element.get("type") or "", "name": (element.findtext("Name") or "").strip(),
            "subject": (element.findtext("Subject") or "").strip(), "thumbprint": thumbprint,
            "disabled": (element.get("disabled") or "false").strip().lower() == "true"}


def certificates(text: str, label: str = "ConfigTemplate.xml") -> list:
    """Every <Certificate> of the file as {type, name, subject, thumbprint, disabled}."""
    root = parse(text, label)
    return [_entry(element, label) for element in root.find("Certificates").findall("Certificate")]


def rotation_thumbprints(text: str, label: str = "ConfigTemplate.xml") -> dict:
    """{server, client, encipherment, data_encryption, data_signing: thumbprint} for the enabled certificates that have one."""
    found = {}
    for entry in certificates(text, label):
        role = TYPES.get(entry["type"])
        if role and not entry["disabled"] and entry["thumbprint"]:
            found.setdefault(role, entry["thumbprint"])
    return found
