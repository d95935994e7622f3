# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ConfigTemplate.xml read with a real XML parser: the certificates, and DTDs refused."""
from __future__ import annotations

import pathlib

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_config_template as template

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "d365_service_fabric" / "configtemplate.xml"


@pytest.fixture(name="text")
def text_fixture():
    return FIXTURE.read_text(encoding="utf-8")


def test_rotation_thumbprints_come_from_the_certificate_types(text):
    assert template.rotation_thumbprints(text) == {"server": "BB33" * 10, "client": "DD44" * 10, "encipherment": "EE55" * 10,
                                                   "data_encryption": "FF66" * 10, "data_signing": "A077" * 10}


def test_certificates_lists_every_entry_with_disabled_and_empty_thumbprints(text):
    entries = {entry["type"]: entry for entry in template.certificates(text)}
    assert entries["RSAT"]["disabled"] and entries["SessionAuthentication"]["thumbprint"] == ""
    assert entries["ServiceFabric"]["subject"] == "*.d365.lab.test" and entries["ServiceFabric"]["name"] == "star.d365.lab.test"


def test_disabled_certificates_are_not_rotation_inputs(text):
    disabled = text.replace('type="DataSigning" exportable="true" generateSelfSignedCert="false" generateADCSCert="true" disabled="false"',
                            'type="DataSigning" disabled="true"')
    assert "data_signing" not in template.rotation_thumbprints(disabled)


def test_doctype_is_refused_before_parsing(text):
    hostile = text.replace('<?xml version="1.0" encoding="utf-8"?>',
                           '<?xml version="1.0"?>\n<!DOCTYPE Config [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>')
    with pytest.raises(CertopsError, match="declares a DTD"):
        template.certificates(hostile)


def test_external_entity_is_refused(text):
    hostile = text.replace('<?xml version="1.0" encoding="utf-8"?>',
                           '<?xml version="1.0"?>\n<!DOCTYPE Config [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace(
        "<DomainName>LAB</DomainName>", "<DomainName>&xxe;</DomainName>")
    with pytest.raises(CertopsError, match="declares a DTD"):
        template.certificates(hostile)


def test_malformed_xml_names_line_and_column(text):
    with pytest.raises(CertopsError, match="not well-formed XML: .* at line"):
        template.certificates(text.replace("</Certificates>", "</Certificate>"))


def test_a_document_without_certificates_is_not_a_config_template():
    with pytest.raises(CertopsError, match="no <Certificates> element"):
        template.certificates("<Config><ServiceFabricCluster/></Config>")


def test_an_empty_document_is_refused():
    with pytest.raises(CertopsError, match="is empty"):
        template.certificates("  ")


def test_a_bad_thumbprint_names_the_certificate_type(text):
    with pytest.raises(CertopsError, match="the <Thumbprint> of the DataEncryption certificate: .* hex digits"):
        template.certificates(text.replace("ff66ff66ff66ff66ff66ff66ff66ff66ff66ff66", "ff66"))
