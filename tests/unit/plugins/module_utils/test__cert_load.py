# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""load_bundle: every container administrators hand us, and one clear error for everything else."""
from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.certops.microsoft.plugins.module_utils._cert_load import _pkcs12_error, load_bundle, read_certificate_file
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

CA = factory.make_ca()
LEAF = factory.make_cert(CA, common_name="sts.contoso.test", ekus=("1.3.6.1.5.5.7.3.1",), sans=("dns:sts.contoso.test",))
OTHER = factory.make_cert(CA, common_name="other.contoso.test", slot="other")
PASSWORD = factory.PFX_PASSWORD


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def certutil_base64(data: bytes) -> bytes:
    """certutil -encode style: base64 wrapped at 64 characters with CRLF."""
    text = b64(data)
    return b"\r\n".join(text[i:i + 64] for i in range(0, len(text), 64)) + b"\r\n"


def csr_der() -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(LEAF.cert.subject)
    return builder.sign(LEAF.key, factory.HASHES["sha256"]()).public_bytes(serialization.Encoding.DER)


def crl_der() -> bytes:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(CA.cert.subject).last_update(factory.NOW)
               .next_update(factory.NOW.replace(year=2027)))
    return builder.sign(CA.key, factory.HASHES["sha256"]()).public_bytes(serialization.Encoding.DER)


def pem_of(label: str, der: bytes) -> bytes:
    body = b64(der)
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


# (id, data, password, source_format, certificates in order, has key)
FORMATS = [
    ("pem-one", factory.pem(LEAF.cert), None, "pem", [LEAF], False),
    ("pem-chain", factory.pem(LEAF.cert, CA.cert), None, "pem", [LEAF, CA], False),
    ("pem-text-around", b"Subject: sts\nBag Attributes\n" + factory.pem(LEAF.cert) + b"\nsome trailer\n", None, "pem", [LEAF], False),
    ("pem-crlf", factory.pem(LEAF.cert).replace(b"\n", b"\r\n"), None, "pem", [LEAF], False),
    ("pem-utf16-powershell", b"\xff\xfe" + factory.pem(LEAF.cert).decode().encode("utf-16-le"), None, "pem", [LEAF], False),
    ("pem-utf8-bom", b"\xef\xbb\xbf" + factory.pem(LEAF.cert), None, "pem", [LEAF], False),
    ("pem-x509-certificate-label", pem_of("X509 CERTIFICATE", factory.der(LEAF.cert)), None, "pem", [LEAF], False),
    ("pem-with-key", factory.pem(LEAF.cert) + factory.key_pem(LEAF.key), None, "pem", [LEAF], True),
    ("pem-with-encrypted-key", factory.pem(LEAF.cert) + factory.key_pem(LEAF.key, PASSWORD.encode()), PASSWORD, "pem", [LEAF], True),
    ("der", factory.der(LEAF.cert), None, "der", [LEAF], False),
    ("der-trailing-bytes", factory.der(LEAF.cert) + b"\x00\x00", None, "der", [LEAF], False),
    ("base64-der", b64(factory.der(LEAF.cert)), None, "der", [LEAF], False),
    ("base64-der-certutil", certutil_base64(factory.der(LEAF.cert)), None, "der", [LEAF], False),
    ("base64-of-pem-slurp", b64(factory.pem(LEAF.cert, CA.cert)), None, "pem", [LEAF, CA], False),
    ("p7b-der", factory.make_p7b([LEAF.cert, CA.cert]), None, "pkcs7", [LEAF, CA], False),
    ("p7b-pem", factory.make_p7b([LEAF.cert, CA.cert], "pem"), None, "pkcs7", [LEAF, CA], False),
    ("p7b-base64", b64(factory.make_p7b([CA.cert])), None, "pkcs7", [CA], False),
    ("pem-cert-and-p7b", factory.pem(OTHER.cert) + factory.make_p7b([LEAF.cert], "pem"), None, "pem", [OTHER, LEAF], False),
    ("pfx-aes", factory.make_pfx(LEAF), PASSWORD, "pkcs12", [LEAF], True),
    ("pfx-aes-bytes-password", factory.make_pfx(LEAF), PASSWORD.encode(), "pkcs12", [LEAF], True),
    ("pfx-legacy-3des", factory.make_pfx(LEAF, encryption="legacy"), PASSWORD, "pkcs12", [LEAF], True),
    ("pfx-with-chain", factory.make_pfx(LEAF, (CA.cert,)), PASSWORD, "pkcs12", [LEAF, CA], True),
    ("pfx-no-password", factory.make_pfx(LEAF, password=None, encryption="none"), None, "pkcs12", [LEAF], True),
    ("pfx-no-password-given-one", factory.make_pfx(LEAF, password=None, encryption="none"), "unneeded", "pkcs12", [LEAF], True),
    ("pfx-certificate-only", factory.make_pfx(LEAF, with_key=False), PASSWORD, "pkcs12", [LEAF], False),
    ("pfx-base64", b64(factory.make_pfx(LEAF, (CA.cert,))), PASSWORD, "pkcs12", [LEAF, CA], True),
]


@pytest.mark.parametrize("data, password, source_format, expected, has_key", [pytest.param(*row[1:], id=row[0]) for row in FORMATS])
def test_load_bundle_reads_every_container(data, password, source_format, expected, has_key):
    bundle = load_bundle(data, password)
    assert bundle.source_format == source_format
    found, wanted = [factory.der(cert) for cert in bundle.certificates], [factory.der(issued.cert) for issued in expected]
    # PKCS#7 holds a SET OF certificates, which DER sorts: only the file order of PEM and PFX is kept.
    assert (sorted(found) == sorted(wanted)) if source_format == "pkcs7" else (found == wanted)
    assert (bundle.private_key is not None) == has_key


@pytest.mark.parametrize("key_block, warning", [
    pytest.param(factory.key_pem(LEAF.key, b"k"), "holds an encrypted private key and no password was given", id="encrypted-key-no-password"),
    pytest.param(pem_of("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), "a PRIVATE KEY block in the PEM data cannot be read", id="garbage-key-block"),
])
def test_load_bundle_reports_certificates_past_an_unusable_pem_key(key_block, warning):
    bundle = load_bundle(b"garbage\n" + key_block + factory.pem(LEAF.cert) + b"more garbage\n")
    assert [factory.der(cert) for cert in bundle.certificates] == [factory.der(LEAF.cert)] and bundle.private_key is None
    assert len(bundle.warnings) == 1 and warning in bundle.warnings[0]


@pytest.mark.parametrize("errors, secret, message", [
    pytest.param([ValueError("Invalid password or PKCS12 data")], b"pw", "the PFX password is wrong or missing: the password given", id="wrong"),
    pytest.param([ValueError("Invalid password or PKCS12 data")] * 2, None, "no password was given", id="missing"),
    pytest.param([ValueError("error parsing asn1 value: ShortData"), ValueError("Invalid password or PKCS12 data")], b"pw",
                 "holds a certificate that cannot be parsed (error parsing asn1 value", id="right-password-unparseable-content"),
    pytest.param([ValueError("Could not deserialize PKCS12 data")], None, "the PFX data is corrupt, truncated", id="structure"),
])
def test_pkcs12_error_prefers_the_real_cause_over_a_password_guess(errors, secret, message):
    assert message in str(_pkcs12_error(errors, secret))


def test_load_bundle_reads_a_legacy_rc2_pfx():
    bundle = load_bundle(factory.openssl_legacy_pfx(LEAF, PASSWORD), PASSWORD)
    assert (factory.der(bundle.certificates[0]), bundle.source_format) == (factory.der(LEAF.cert), "pkcs12")
    assert bundle.private_key is not None


def test_load_bundle_reads_a_ber_indefinite_length_p7b():
    data = factory.ber_indefinite(factory.make_p7b([LEAF.cert, CA.cert]))
    assert data[:2] == b"\x30\x80"
    assert sorted(factory.der(cert) for cert in load_bundle(data).certificates) == sorted([factory.der(LEAF.cert), factory.der(CA.cert)])


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


# (id, data, password, fragment of the one message)
ERRORS = [
    ("empty", b"", None, "the input is empty"),
    ("whitespace-only", b" \r\n\t", None, "the input is empty"),
    ("pfx-wrong-password", factory.make_pfx(LEAF), "not-the-password", "the PFX password is wrong or missing: the password given does not open"),
    ("pfx-missing-password", factory.make_pfx(LEAF), None, "the PFX password is wrong or missing: this PFX is password-protected"),
    ("pfx-legacy-wrong-password", factory.make_pfx(LEAF, encryption="legacy"), "nope", "the PFX password is wrong or missing"),
    ("pfx-truncated", factory.make_pfx(LEAF)[:-200], PASSWORD, "the data is truncated: its DER structure declares"),
    ("pfx-corrupt-body", _flip_middle(factory.make_pfx(LEAF)), PASSWORD, "PFX"),
    ("pfx-key-without-certificate", pkcs12.serialize_key_and_certificates(b"k", LEAF.key, None, None, serialization.NoEncryption()), None,
     "the PFX holds no certificate"),
    ("der-truncated", factory.der(LEAF.cert)[:300], None, "the data is truncated"),
    ("der-corrupt", factory.der(LEAF.cert)[:4] + b"\x31" + factory.der(LEAF.cert)[5:], None, "is corrupt or truncated: it does not decode as an X.509"),
    ("pem-truncated", factory.pem(LEAF.cert)[:-40], None, "the PEM data is truncated: the CERTIFICATE block that begins on line 1 has no -----END"),
    ("pem-garbage-inside-armour", b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", None,
     "PEM block 1 (CERTIFICATE) is corrupt: its content is not valid base64"),
    ("pem-valid-base64-not-a-certificate", pem_of("CERTIFICATE", b"\x30\x03\x02\x01\x01"), None, "PEM block 1 (CERTIFICATE) is corrupt or truncated"),
    ("garbage-only-text", b"hello, this is not a certificate\n", None, "no certificate found"),
    ("garbage-only-binary", bytes(range(1, 200)), None, "no certificate found"),
    ("base64-of-garbage", b64(b"just some text"), None, "no certificate found"),
    ("private-key-pem", factory.key_pem(LEAF.key), None, "this is a private key, not a certificate: pass the certificate or a PFX"),
    ("private-key-encrypted-pem", factory.key_pem(LEAF.key, b"x"), None, "this is a private key, not a certificate"),
    ("private-key-pkcs1-pem", LEAF.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                                     serialization.NoEncryption()), None, "this is a private key, not a certificate"),
    ("private-key-der", factory.key_der(LEAF.key), None, "this is a private key, not a certificate"),
    ("private-key-encrypted-der", factory.key_der(LEAF.key, b"x"), None, "this is a private key, not a certificate"),
    ("private-key-base64-der", b64(factory.key_der(LEAF.key)), None, "this is a private key, not a certificate"),
    ("csr-pem", pem_of("CERTIFICATE REQUEST", csr_der()), None, "this is a certificate signing request (CSR), not a certificate"),
    ("csr-der", csr_der(), None, "this is a certificate signing request (CSR), not a certificate"),
    ("crl-der", crl_der(), None, "this is a certificate revocation list (CRL), not a certificate"),
    ("public-key-pem", LEAF.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), None,
     "this is a public key, not a certificate"),
    ("pkcs7-enveloped-data", bytes.fromhex("300f06092a864886f70d010703a0020500"), None, "this is a PKCS#7/CMS message that is not a certificate bundle"),
    ("unknown-pem-label", pem_of("SOMETHING ELSE", b"\x30\x00"), None, "holds only SOMETHING ELSE blocks"),
    ("pem-bundle-encrypted-key-wrong-password", factory.pem(LEAF.cert) + factory.key_pem(LEAF.key, b"k"), "bad",
     "the private key in the PEM data cannot be read with the password given"),
    ("pem-bundle-garbage-key-with-password", factory.pem(LEAF.cert) + pem_of("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), "pw",
     "the private key in the PEM data cannot be read with the password given"),
]


@pytest.mark.parametrize("data, password, message", [pytest.param(*row[1:], id=row[0]) for row in ERRORS])
def test_load_bundle_gives_one_clear_error(data, password, message):
    with pytest.raises(CertopsError) as caught:
        load_bundle(data, password)
    assert message in str(caught.value)


@pytest.mark.parametrize("password", ["Sup3r-Secret-Pfx", None])
def test_pfx_password_never_appears_in_errors(password):
    with pytest.raises(CertopsError) as caught:
        load_bundle(factory.make_pfx(LEAF, password="Other-Secret-Pfx"), password)
    assert "Secret" not in str(caught.value)


def test_load_bundle_rejects_a_password_that_is_not_text():
    with pytest.raises(CertopsError, match="the password must be a string, got int"):
        load_bundle(factory.make_pfx(LEAF), 1234)


def test_load_bundle_rejects_input_that_is_not_bytes():
    with pytest.raises(CertopsError, match="expected certificate data as bytes or text, got int"):
        load_bundle(42)


def test_load_bundle_accepts_text():
    assert load_bundle(factory.pem(LEAF.cert).decode()).source_format == "pem"


def test_read_certificate_file_returns_the_bytes(tmp_path):
    path = tmp_path / "adfs signing (2026).cer"
    path.write_bytes(factory.der(LEAF.cert))
    assert read_certificate_file(str(path)) == factory.der(LEAF.cert)


@pytest.mark.parametrize("name, content, message", [
    ("empty.cer", b"", "is empty: give the path of a certificate file"),
    ("blank.pem", b"\n\n", "is empty"),
    ("missing.pfx", None, "does not exist: check the path"),
])
def test_read_certificate_file_names_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CertopsError, match=message):
        read_certificate_file(str(path))


def test_read_certificate_file_refuses_a_directory(tmp_path):
    with pytest.raises(CertopsError, match="is a directory: give the path of a certificate file"):
        read_certificate_file(str(tmp_path))


def test_read_certificate_file_reports_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.pfx"
    path.write_bytes(b"x")

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")
    # The tests run as root, for whom chmod 000 changes nothing: refuse the open itself.
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(CertopsError, match="cannot read .*locked.pfx: Permission denied; run as a user that can read the file"):
        read_certificate_file(str(path))
