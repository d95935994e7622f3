# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab CA: persistence, TLS server certificates, and the good and bad certificates it issues."""
from __future__ import annotations

import datetime
import ipaddress
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certops_lab.pki import LabCA

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LabCA.load_or_create(str(tmp_path_factory.mktemp("ca")))


def issue(ca, subject="CN=leaf.lab.test", **options):
    options.setdefault("not_before", NOW - DAY)
    options.setdefault("not_after", NOW + 30 * DAY)
    return ca.issue(subject, **options)


def test_load_or_create_persists_the_ca_with_an_owner_only_key_file(tmp_path):
    first = LabCA.load_or_create(str(tmp_path))
    second = LabCA.load_or_create(str(tmp_path))
    assert first.certificate == second.certificate
    assert first.pem_path == second.pem_path == str(tmp_path / "ca.pem")
    assert stat.S_IMODE(os.stat(tmp_path / "ca-key.pem").st_mode) == 0o600
    with open(first.pem_path, "rb") as handle:
        assert handle.read() == first.certificate_pem()


def test_ca_is_a_ca(ca):
    constraints = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and ca.certificate.issuer == ca.certificate.subject


def test_server_certificate_has_localhost_and_loopback_sans_and_chains_to_the_ca(ca):
    cert_pem, key_pem = ca.issue_server_certificate()
    certificate = x509.load_pem_x509_certificate(cert_pem)
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert ExtendedKeyUsageOID.SERVER_AUTH in certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    certificate.verify_directly_issued_by(ca.certificate)
    assert b"PRIVATE KEY" in key_pem


@pytest.mark.parametrize("key_type,key_size,hash_name,key_class,hash_class", [
    ("rsa", None, "sha256", rsa.RSAPrivateKey, hashes.SHA256),
    ("rsa", 1024, "sha384", rsa.RSAPrivateKey, hashes.SHA384),
    ("ecdsa", 384, "sha384", ec.EllipticCurvePrivateKey, hashes.SHA384),
    ("ec", 256, "sha512", ec.EllipticCurvePrivateKey, hashes.SHA512),
])
def test_issue_honours_key_type_size_and_hash_weak_ones_included(ca, key_type, key_size, hash_name, key_class, hash_class):
    certificate, key = issue(ca, key_type=key_type, key_size=key_size, hash_name=hash_name)
    assert isinstance(key, key_class) and isinstance(certificate.signature_hash_algorithm, hash_class)
    assert key.key_size == (key_size or 2048)
    certificate.verify_directly_issued_by(ca.certificate)


@pytest.mark.parametrize("key_type,key_size", [("rsa", 1024), ("ecdsa", 256)])
def test_sha1_certificates_are_really_signed_with_sha1_by_the_ca(ca, key_type, key_size):
    certificate, _key = issue(ca, key_type=key_type, key_size=key_size, hash_name="sha1", dns_names=("old.lab.test",))
    assert certificate.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA1
    ca.key.public_key().verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
    assert certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
        "old.lab.test"]


def test_self_signed_sha1_certificate_with_an_rsa_key(ca):
    certificate, key = issue(ca, "CN=Old Root", self_signed=True, hash_name="sha1")
    key.public_key().verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())


def test_issue_uses_the_callers_validity_not_the_wall_clock(ca):
    certificate, _key = issue(ca, not_before=NOW - 400 * DAY, not_after=NOW - 3 * DAY)
    assert (certificate.not_valid_before_utc, certificate.not_valid_after_utc) == (NOW - 400 * DAY, NOW - 3 * DAY)


def test_issue_accepts_a_bare_common_name_or_a_distinguished_name(ca):
    bare, _key = issue(ca, "wfm.lab.test")
    full, _key = issue(ca, "CN=wfm.lab.test,O=Lab")
    assert bare.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "wfm.lab.test"
    assert full.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Lab"


def test_issue_adds_ekus_key_usage_and_subject_alternative_names(ca):
    certificate, _key = issue(ca, ekus=("server_auth", "1.3.6.1.4.1.311.21.5"), key_usage=("digital_signature", "key_encipherment"),
                              dns_names=("a.lab.test", "b.lab.test"), ips=("10.0.0.5",))
    extensions = certificate.extensions
    assert list(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH, x509.ObjectIdentifier("1.3.6.1.4.1.311.21.5")]
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.key_cert_sign
    sans = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["a.lab.test", "b.lab.test"]


def test_issue_without_options_adds_no_optional_extensions(ca):
    certificate, _key = issue(ca)
    present = {type(extension.value) for extension in certificate.extensions}
    assert not present & {x509.ExtendedKeyUsage, x509.KeyUsage, x509.SubjectAlternativeName}


def test_self_signed_certificate_is_its_own_issuer(ca):
    certificate, _key = issue(ca, "CN=Lab Other Root", self_signed=True)
    assert certificate.issuer == certificate.subject
    certificate.verify_directly_issued_by(certificate)


@pytest.mark.parametrize("options,message", [
    ({"hash_name": "md5"}, "hash 'md5' is not supported: use sha1, sha256, sha384, sha512"),
    ({"key_type": "dsa"}, "key_type 'dsa' is not supported: use 'rsa' or 'ecdsa'"),
    ({"key_type": "ecdsa", "key_size": 2048}, "key_size 2048 is not an EC curve size: use 256, 384 or 521"),
    ({"key_type": "ecdsa", "self_signed": True, "hash_name": "sha1"}, "a SHA-1 certificate needs an RSA signer"),
    ({"key_usage": ("sign_everything",)}, "unknown key usage sign_everything: use digital_signature"),
])
def test_issue_rejects_unknown_choices_naming_the_valid_ones(ca, options, message):
    with pytest.raises(ValueError, match=message):
        issue(ca, **options)
