# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""describe_certificate: every reported fact, on certificates generated with a frozen clock."""
from __future__ import annotations

import datetime
import hashlib

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._cert_describe import describe_certificate, serial_hex
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW
CA = factory.make_ca()
SERVER_AUTH, CLIENT_AUTH, SMARTCARD, CUSTOM = "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2", "1.2.3.4.5"


def describe(issued: factory.Issued, with_key: bool = False, now=NOW) -> dict:
    return describe_certificate(issued.cert, issued.key if with_key else None, now)


def test_describe_certificate_thumbprint_is_windows_sha1_of_der():
    issued = factory.make_cert(CA)
    info = describe(issued)
    assert info["thumbprint"] == hashlib.sha1(factory.der(issued.cert)).hexdigest().upper()
    assert info["thumbprint_sha256"] == hashlib.sha256(factory.der(issued.cert)).hexdigest().upper()


def test_describe_certificate_names_are_rfc4514():
    info = describe(factory.make_cert(CA, common_name="sts.contoso.test"))
    assert info["subject"] == "O=Contoso,CN=sts.contoso.test"
    assert info["issuer"] == "O=Contoso,CN=Contoso Test Root CA"


@pytest.mark.parametrize("days, not_before_days, remaining, expired, not_yet_valid", [
    pytest.param(365, -30, 365, False, False, id="healthy"),
    pytest.param(10.5, -30, 10, False, False, id="rounds-down"),
    pytest.param(0.25, -30, 0, False, False, id="hours-left"),
    pytest.param(-0.25, -30, -1, True, False, id="expired-hours-ago"),
    pytest.param(-40, -400, -40, True, False, id="expired"),
    pytest.param(400, 5, 400, False, True, id="not-yet-valid"),
])
def test_describe_certificate_validity_at_frozen_clock(days, not_before_days, remaining, expired, not_yet_valid):
    info = describe(factory.make_cert(CA, days=days, not_before_days=not_before_days))
    assert (info["days_remaining"], info["expired"], info["not_yet_valid"]) == (remaining, expired, not_yet_valid)


def test_describe_certificate_dates_are_iso_utc_with_z():
    info = describe(factory.make_cert(CA, days=10, not_before_days=-1))
    assert (info["not_before"], info["not_after"]) == ("2026-11-22T12:00:00Z", "2026-12-03T12:00:00Z")


def test_describe_certificate_uses_the_injected_clock():
    issued = factory.make_cert(CA, days=100)
    later = NOW + datetime.timedelta(days=99)
    assert describe(issued, now=later)["days_remaining"] == 1
    assert describe(issued, now="2027-12-01T00:00:00Z")["expired"] is True


@pytest.mark.parametrize("key_type, key_size, hash_name, expected_type, expected_size, expected_hash", [
    ("RSA", 2048, "sha256", "RSA", 2048, "sha256"),
    ("RSA", 1024, "sha1", "RSA", 1024, "sha1"),
    ("RSA", 2048, "md5", "RSA", 2048, "md5"),
    ("RSA", 2048, "sha512", "RSA", 2048, "sha512"),
    ("EC", 256, "sha256", "EC", 256, "sha256"),
    ("EC", 384, "sha384", "EC", 384, "sha384"),
    ("EC", 521, "sha512", "EC", 521, "sha512"),
    ("Ed25519", 0, "sha256", "Ed25519", 256, None),
    ("Ed448", 0, "sha256", "Ed448", 456, None),
    ("DSA", 1024, "sha256", "DSA", 1024, "sha256"),
])
def test_describe_certificate_key_and_signature(key_type, key_size, hash_name, expected_type, expected_size, expected_hash):
    info = describe(factory.make_cert(key_type=key_type, key_size=key_size, hash_name=hash_name))
    assert (info["key_type"], info["key_size"], info["signature_hash"]) == (expected_type, expected_size, expected_hash)
    assert info["self_signed"] is True


def test_describe_certificate_lists_every_san_kind():
    sans = ("dns:sts.contoso.test", "dns:*.contoso.test", "ip:10.0.0.5", "ip:2001:db8::1", "email:adfs@contoso.test",
            "uri:https://sts.contoso.test/adfs", "upn:svc-adfs@contoso.test")
    info = describe(factory.make_cert(CA, sans=sans))
    assert info["dns_names"] == ["sts.contoso.test", "*.contoso.test"]
    assert info["subject_alt_names"] == [
        {"type": "dns", "value": "sts.contoso.test"}, {"type": "dns", "value": "*.contoso.test"},
        {"type": "ip", "value": "10.0.0.5"}, {"type": "ip", "value": "2001:db8::1"},
        {"type": "email", "value": "adfs@contoso.test"}, {"type": "uri", "value": "https://sts.contoso.test/adfs"},
        {"type": "other", "oid": "1.3.6.1.4.1.311.20.2.3", "value": "svc-adfs@contoso.test"},
    ]


def test_describe_certificate_without_sans_has_empty_lists():
    info = describe(factory.make_cert(CA))
    assert (info["dns_names"], info["subject_alt_names"]) == ([], [])


def test_describe_certificate_key_usages_by_rfc5280_name():
    info = describe(factory.make_cert(CA, key_usage=("digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment")))
    assert info["key_usage"] == ["digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment"]
    assert describe(factory.make_cert(CA, key_usage=()))["key_usage"] == []


def test_describe_certificate_ekus_have_name_and_oid():
    info = describe(factory.make_cert(CA, ekus=(SERVER_AUTH, CLIENT_AUTH, SMARTCARD, CUSTOM)))
    assert info["extended_key_usages"] == [
        {"name": "serverAuth", "oid": SERVER_AUTH}, {"name": "clientAuth", "oid": CLIENT_AUTH},
        {"name": "smartcardLogon", "oid": SMARTCARD}, {"name": CUSTOM, "oid": CUSTOM},
    ]


def test_describe_certificate_ca_and_self_signed_flags():
    root, leaf = describe(CA), describe(factory.make_cert(CA))
    assert (root["is_ca"], root["self_signed"]) == (True, True)
    assert (leaf["is_ca"], leaf["self_signed"]) == (False, False)


def test_describe_certificate_same_names_but_foreign_signature_is_not_self_signed():
    impostor = factory.make_cert(CA, common_name="Contoso Test Root CA", slot="impostor")
    info = describe(impostor)
    assert info["subject"] == info["issuer"] and info["self_signed"] is False


@pytest.mark.parametrize("serial, expected", [(0x1234ABCD, "1234ABCD"), (0x7F, "7F"), (0x80, "0080"), (0xFF01, "00FF01"), (1, "01")])
def test_serial_number_is_windows_hex(serial, expected):
    assert serial_hex(serial) == expected
    assert describe(factory.make_cert(CA, serial=serial))["serial_number"] == expected


def test_describe_certificate_private_key_facts():
    issued, stranger = factory.make_cert(CA), factory.make_cert(CA, slot="stranger")
    assert (describe(issued)["has_private_key"], describe(issued)["private_key_matches"]) == (False, None)
    assert describe(issued, with_key=True)["private_key_matches"] is True
    mismatched = describe_certificate(issued.cert, stranger.key, NOW)
    assert (mismatched["has_private_key"], mismatched["private_key_matches"]) == (True, False)


def test_describe_certificate_keeps_going_past_a_duplicate_extension():
    info = describe_certificate(factory.with_duplicate_extension(factory.make_cert(CA, ekus=(SERVER_AUTH,))), None, NOW)
    assert (info["key_usage"], info["extended_key_usages"], info["is_ca"]) == ([], [], False)
    assert len(info["thumbprint"]) == 40 and info["subject"] == "O=Contoso,CN=sts.contoso.test"
    assert any("Duplicate 2.5.29.19 extension" in text for text in info["parse_warnings"])


def test_describe_certificate_keeps_going_past_a_name_that_is_not_utf8():
    cert = factory.with_invalid_utf8_name(factory.make_cert(CA, common_name="BROKENNAME"), "BROKENNAME")
    info = describe_certificate(cert, None, NOW)
    assert (info["subject"], info["issuer"], info["self_signed"]) == (None, "O=Contoso,CN=Contoso Test Root CA", False)
    assert info["not_after"] == "2027-11-23T12:00:00Z"
    assert [text.split(":")[0] for text in info["parse_warnings"]] == ["subject", "self-signed check"]


def test_describe_certificate_wellformed_has_no_parse_warnings():
    assert describe(factory.make_cert(CA))["parse_warnings"] == []
