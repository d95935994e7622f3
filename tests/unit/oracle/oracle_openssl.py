# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSSL's own reading of a certificate file: the independent side of the oracle.

Everything here goes through the `openssl` command line, never through `cryptography`, so that
a bug shared by our code and the Python bindings cannot hide itself. OpenSSL is asked to turn
the file into PEM certificates (x509, pkcs7, crl2pkcs7 or pkcs12, whichever reads it) and then
`openssl x509 -noout -fingerprint -sha1 -startdate -enddate` reads each certificate.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import subprocess

PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
OPENSSL_DATE = re.compile(r"^(?P<month>\w{3}) +(?P<day>\d+) (?P<clock>\d\d:\d\d:\d\d)(?:\.\d+)? (?P<year>\d+) GMT$")
# The passwords the vectors are documented with: cryptography's tests/hazmat/primitives/
# test_pkcs12.py uses b"cryptography" (cert-*/no-cert-key-* files), b"password" (*-pwd.p12) and
# None (*-no-pwd.p12, no-password.p12, java-truststore.p12); NIST PKITS protects every .p12 with
# "password". An empty string is how `openssl -passin` spells "no password".
DOCUMENTED_PASSWORDS = ("", "password", "cryptography")
# What OpenSSL prints instead of a date it cannot decode ("Bad time value") is kept, marked.
UNREADABLE_DATE = "openssl cannot read this date: "


@dataclasses.dataclass(frozen=True, order=True)
class CertFacts:
    """The three facts both readers must agree on, in our output format."""

    thumbprint: str
    not_before: str
    not_after: str


@dataclasses.dataclass(frozen=True)
class Reading:
    """What OpenSSL found in one file and which command (and password) found it."""

    certificates: tuple
    command: str
    password: str | None = None
    # False when OpenSSL read only the first certificate of a file that holds more.
    complete: bool = True


def run_openssl(args, stdin=b""):
    """Run openssl; return stdout on success, None when OpenSSL refuses the input."""
    done = subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=False, timeout=60)
    return done.stdout if done.returncode == 0 else None


def openssl_date_to_iso(text):
    """'Jan  1 00:00:00 2020 GMT' -> '2020-01-01T00:00:00Z' (fractions dropped, as Windows does)."""
    match = OPENSSL_DATE.match(text.strip())
    if match is None:
        return UNREADABLE_DATE + text.strip()
    stamp = datetime.datetime.strptime("{month} {day} {clock} {year}".format(**match.groupdict()), "%b %d %H:%M:%S %Y")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_x509_output(output):
    """Turn the `-fingerprint -sha1 -startdate -enddate` lines into CertFacts."""
    fields = dict(line.split("=", 1) for line in output.decode("ascii").splitlines() if "=" in line)
    # OpenSSL 1.1 prints "SHA1 Fingerprint", OpenSSL 3 "sha1 Fingerprint".
    fingerprint = {name.lower(): value for name, value in fields.items()}["sha1 fingerprint"]
    return CertFacts(
        thumbprint=fingerprint.replace(":", "").upper(),
        not_before=openssl_date_to_iso(fields["notBefore"]),
        not_after=openssl_date_to_iso(fields["notAfter"]),
    )


X509_FACTS = ["-noout", "-fingerprint", "-sha1", "-startdate", "-enddate"]


def certificate_facts(pem_block):
    """Facts of one PEM certificate as `openssl x509 -inform PEM` reads them."""
    output = run_openssl(["x509", "-inform", "PEM", *X509_FACTS], pem_block)
    if output is None:
        raise ValueError("openssl x509 rejected a certificate that openssl itself exported")
    return parse_x509_output(output)


def pem_blocks(output):
    """The PEM certificates in an OpenSSL export, or None when there are none."""
    blocks = PEM_CERTIFICATE.findall(output or b"")
    return blocks or None


def read_single(path, inform, complete=True):
    """`openssl x509 -in`: the first certificate of the file (the only one, in the common case)."""
    output = run_openssl(["x509", "-inform", inform, "-in", path, *X509_FACTS])
    return None if output is None else Reading((parse_x509_output(output),), f"x509 -inform {inform}", complete=complete)


def read_exported(blocks, command, password=None):
    """Reading of the certificates an OpenSSL export produced, one x509 call each."""
    if not blocks:
        return None
    return Reading(tuple(sorted(certificate_facts(block) for block in blocks)), command, password)


def read_pem_text(path, data):
    """A PEM file: x509 for one certificate, crl2pkcs7 for several, pkcs7 for a PEM PKCS#7 bundle.

    crl2pkcs7 gives up on a file when any PEM block in it is broken; x509 then still reads the
    first certificate, and the reading says it is incomplete.
    """
    markers = len(re.findall(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----", data))
    if markers == 0:
        return read_exported(pem_blocks(run_openssl(["pkcs7", "-inform", "PEM", "-print_certs", "-in", path])), "pkcs7 -inform PEM")
    if markers == 1:
        return read_single(path, "PEM")
    bundle = run_openssl(["crl2pkcs7", "-nocrl", "-certfile", path])
    reading = read_exported(pem_blocks(run_openssl(["pkcs7", "-print_certs"], bundle)) if bundle else None, "crl2pkcs7 | pkcs7 -print_certs")
    return reading or read_single(path, "PEM", complete=False)


def password_order(path):
    """The documented passwords, the one documented for the file's folder first (saves calls)."""
    first = "password" if "PKITS_data" in path else ""
    return (first, *[password for password in DOCUMENTED_PASSWORDS if password != first])


def read_pkcs12(path):
    """A PKCS#12 file with the first documented password OpenSSL accepts."""
    # OpenSSL 3 keeps RC2 and 3DES PKCS#12 in the legacy provider; -legacy adds it to the default
    # one, so modern AES files read too. An OpenSSL without the option gets a second round.
    for legacy in (["-legacy"], []):
        for password in password_order(path):
            output = run_openssl(["pkcs12", "-in", path, "-nokeys", "-passin", f"pass:{password}", *legacy])
            if output is not None:
                return read_exported(pem_blocks(output), " ".join(["pkcs12 -nokeys", *legacy]), password)
    return None


def read_binary(path):
    """A binary file: a DER certificate, a DER PKCS#7 bundle, or a PKCS#12 file."""
    if not path.endswith((".p12", ".pfx")):
        reading = read_single(path, "DER")
        reading = reading or read_exported(pem_blocks(run_openssl(["pkcs7", "-inform", "DER", "-print_certs", "-in", path])), "pkcs7 -inform DER")
        if reading:
            return reading
    return read_pkcs12(path)


def openssl_reading(path):
    """OpenSSL's reading of a file, or None when no OpenSSL command reads a certificate in it."""
    with open(path, "rb") as handle:
        data = handle.read()
    return read_pem_text(path, data) if b"-----BEGIN" in data else read_binary(path)


def openssl_version():
    """The `openssl version` line, recorded with the counts."""
    return (run_openssl(["version"]) or b"").decode().strip()
