# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent oracle: our certificate reading against OpenSSL's on every cryptography vector.

Each certificate, PKCS#7 and PKCS#12 file of the `cryptography-vectors` package (and the keys,
CRLs, requests and OCSP messages next to them) is read by the `openssl` command line and by
`inspect_data`. Thumbprint, notBefore and notAfter of every certificate must agree; a file
OpenSSL cannot read must give our CertopsError; nothing may raise anything else. The counts go
to tests/output/oracle-counts.json.
"""
from __future__ import annotations

import datetime
import json
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

from oracle_compare import (AGREE, CLEAN_ERROR, CRASH, DISAGREE, ONLY_CERTOPS, ONLY_OPENSSL, examine_all, classify,
                            outcome_counts)
from oracle_openssl import UNREADABLE_DATE, CertFacts, Reading, openssl_date_to_iso, openssl_reading, openssl_version
from oracle_vectors import vector_files

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COUNTS_FILE = os.path.join(REPO, "tests", "output", "oracle-counts.json")

# Files OpenSSL reads and we refuse, each with the reason the refusal is right. Keep it small:
# every entry must still be needed (test_every_exception_is_still_needed).
NOT_DER = "not valid DER; OpenSSL's decoder is lenient, cryptography's (our parser) follows X.690 DER, as Windows CryptoAPI does: "
DSA_INHERITED = ("DSA parameter inheritance (RFC 3279 2.3.2, an EE key without p/q/g that borrows its CA's): cryptography cannot "
                 "parse such a key; DSA is obsolete and no Microsoft server workload signs with it")
ONLY_OPENSSL_EXCEPTIONS = {
    "x509/badasn1time.pem": "notAfter is not a valid ASN.1 UTCTime; OpenSSL loads the certificate lazily and itself prints 'Bad time value', "
                            "so there is no date to agree on",
    "x509/custom/invalid_version.pem": "certificate version 7 (RFC 5280 allows v1-v3); OpenSSL does not check it",
    "x509/custom/dsa_null_alg_params.pem": NOT_DER + "DSA signature AlgorithmIdentifier with NULL parameters (RFC 3279 2.2.2: MUST omit)",
    "x509/custom/ecdsa_null_alg.pem": NOT_DER + "ECDSA signature AlgorithmIdentifier with NULL parameters (RFC 5758 3.2: MUST omit)",
    "x509/ed25519/ed25519-rfc8410.pem": NOT_DER + "the RFC 8410 example encodes an extension's critical=FALSE, a DEFAULT value DER forbids",
    "x509/PKITS_data/certs/DSAParametersInheritedCACert.crt": DSA_INHERITED,
    "x509/PKITS_data/certs/ValidDSAParameterInheritanceTest5EE.crt": DSA_INHERITED,
    "x509/PKITS_data/pkcs12/DSAParametersInheritedCACert.p12": DSA_INHERITED,
    "x509/PKITS_data/pkcs12/ValidDSAParameterInheritanceTest5EE.p12": DSA_INHERITED,
}


@pytest.fixture(name="verdicts", scope="module")
def fixture_verdicts():
    """Every vector examined once, in parallel; counts and wall time written for the report."""
    verdicts, seconds, cpu_seconds = examine_all(vector_files())
    summary = {
        "counts": outcome_counts(verdicts),
        "files": len(verdicts),
        "wall_seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "cpus": os.cpu_count(),
        "openssl": openssl_version(),
        "only_one_reads": {v.path: f"{v.outcome}: {v.detail}" for v in verdicts if v.outcome in (ONLY_OPENSSL, ONLY_CERTOPS)},
    }
    os.makedirs(os.path.dirname(COUNTS_FILE), exist_ok=True)
    with open(COUNTS_FILE, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, sort_keys=True)
    return verdicts


def failures(verdicts, outcome):
    """'path: detail' lines of the verdicts with one outcome."""
    return [f"{v.path}: {v.detail}" for v in verdicts if v.outcome == outcome]


def test_no_vector_disagrees_with_openssl(verdicts):
    assert failures(verdicts, DISAGREE) == []


def test_no_vector_crashes_the_reader(verdicts):
    assert failures(verdicts, CRASH) == []


def test_every_vector_openssl_reads_is_read(verdicts):
    refused = [f"{v.path}: {v.detail}" for v in verdicts if v.outcome == ONLY_OPENSSL and v.path not in ONLY_OPENSSL_EXCEPTIONS]
    assert refused == []


def test_every_exception_is_still_needed(verdicts):
    outcome_of = {v.path: v.outcome for v in verdicts}
    assert {path: outcome_of.get(path) for path in ONLY_OPENSSL_EXCEPTIONS} == dict.fromkeys(ONLY_OPENSSL_EXCEPTIONS, ONLY_OPENSSL)


@pytest.mark.parametrize("folder", ["x509/PKITS_data/certs/", "x509/PKITS_data/pkcs12/"])
def test_every_pkits_certificate_agrees(verdicts, folder):
    """The oracle is not vacuous: the 405 NIST PKITS certificates and their PFX copies agree, bar the listed DSA ones."""
    pkits = [v for v in verdicts if v.path.startswith(folder)]
    assert len(pkits) == 405
    assert [v.path for v in pkits if v.outcome != AGREE and v.path not in ONLY_OPENSSL_EXCEPTIONS] == []


def test_oracle_counts_are_written_and_printed(verdicts, capsys):
    with open(COUNTS_FILE, encoding="utf-8") as handle:
        summary = json.load(handle)
    assert sum(summary["counts"].values()) == summary["files"] == len(verdicts)
    with capsys.disabled():
        print(f"\noracle: {summary['counts']} over {summary['files']} files in {summary['wall_seconds']}s"
              f" ({summary['cpu_seconds']} CPU-s on {summary['cpus']} CPUs; {summary['openssl']})")
        for path, reason in sorted(summary["only_one_reads"].items()):
            print(f"  {path}: {reason}")


FACTS = (CertFacts("AA" * 20, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),)
OTHER_FACTS = (CertFacts("BB" * 20, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),)
SHIFTED_FACTS = (CertFacts("AA" * 20, "2020-01-01T00:00:01Z", "2030-01-01T00:00:00Z"),)


@pytest.mark.parametrize(("reading", "ours", "outcome"), [
    (Reading(FACTS, "x509"), FACTS, AGREE),
    (Reading(FACTS, "x509"), OTHER_FACTS, DISAGREE),
    (Reading(FACTS, "x509"), SHIFTED_FACTS, DISAGREE),
    (Reading(FACTS, "x509"), FACTS + OTHER_FACTS, DISAGREE),
    (Reading(FACTS, "x509", complete=False), FACTS + OTHER_FACTS, AGREE),
    (Reading(FACTS, "x509", complete=False), OTHER_FACTS, DISAGREE),
    (None, CertopsError("not a certificate"), CLEAN_ERROR),
    (Reading(FACTS, "x509"), CertopsError("not a certificate"), ONLY_OPENSSL),
    (None, FACTS, ONLY_CERTOPS),
])
def test_classify_compares_both_readings(reading, ours, outcome):
    assert classify(reading, ours)[0] == outcome


@pytest.mark.parametrize(("text", "iso"), [
    ("Jan  1 01:00:00 2017 GMT", "2017-01-01T01:00:00Z"),
    ("Dec 31 23:59:59 9999 GMT", "9999-12-31T23:59:59Z"),
    ("Feb 29 12:30:05.25 2024 GMT", "2024-02-29T12:30:05Z"),
    ("Bad time value", UNREADABLE_DATE + "Bad time value"),
])
def test_openssl_date_to_iso(text, iso):
    assert openssl_date_to_iso(text) == iso


def generated_certificate():
    """A self-signed EC certificate made now, with a known validity window."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oracle plumbing")])
    start = datetime.datetime(2024, 2, 29, 6, 7, 8, tzinfo=datetime.timezone.utc)
    end = datetime.datetime(2034, 2, 28, 6, 7, 8, tzinfo=datetime.timezone.utc)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(("suffix", "encoding"), [("pem", serialization.Encoding.PEM), ("der", serialization.Encoding.DER)])
def test_openssl_reading_matches_the_certificate_it_was_given(tmp_path, suffix, encoding):
    cert = generated_certificate()
    path = tmp_path / f"cert.{suffix}"
    path.write_bytes(cert.public_bytes(encoding))
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # nosec B303 - a thumbprint is SHA-1 by definition
    expected = CertFacts(thumbprint, "2024-02-29T06:07:08Z", "2034-02-28T06:07:08Z")
    assert openssl_reading(str(path)).certificates == (expected,)


def test_openssl_reading_is_none_for_a_file_openssl_refuses(tmp_path):
    path = tmp_path / "garbage.der"
    path.write_bytes(b"\x30\x03\x02\x01\x00")
    assert openssl_reading(str(path)) is None
