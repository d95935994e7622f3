# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generate the demo certificate set for playbooks/certificate_report.yml.

Usage: demo_certificates.py OUTPUT_DIR [--now 2026-01-15T00:00:00Z]

Writes OUTPUT_DIR/certificates/ (healthy, expiring in 10 days, expired, RSA 1024, SHA-1 signed,
a password-protected PFX and an AD FS token-signing certificate) and OUTPUT_DIR/demo-vars.json
(mode 0600), the extra vars for the playbook: the folder, the PFX password and two pasted
thumbprints, one of them copied with the invisible U+200E the Windows certificate dialog adds.
Run the report with `ansible-playbook playbooks/certificate_report.yml -e @OUTPUT_DIR/demo-vars.json`.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)
# The slack that keeps "10 days left" at 10 whole days while the playbook runs a little later.
SLACK = datetime.timedelta(hours=6)
SHA256_WITH_RSA = bytes.fromhex("2a864886f70d01010b")  # 1.2.840.113549.1.1.11
SHA1_WITH_RSA = bytes.fromhex("2a864886f70d010105")  # 1.2.840.113549.1.1.5


def utc_now(text=None):
    """The demo's clock: --now when given, else the wall clock, always UTC."""
    if text is None:
        return datetime.datetime.now(datetime.timezone.utc)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def name(common_name):
    """A Contoso distinguished name."""
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso Ltd"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def rsa_key(bits=2048):
    """A fresh RSA key of the size asked for."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def builder_for(subject, issuer, key, not_before, not_after):
    """A certificate builder with the fields every demo certificate shares (names as x509.Name)."""
    builder = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
    return builder.serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)


def server_extensions(builder, dns_name):
    """SAN, digital signature + key encipherment, Server Authentication: a TLS server certificate."""
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
    builder = builder.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
    return builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)


def demo_ca(now):
    """The demo issuing CA: (certificate, key)."""
    key = rsa_key(2048)
    ca_name = name("Contoso Demo Issuing CA")
    builder = builder_for(ca_name, ca_name, key, now - 400 * DAY, now + 3650 * DAY)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    return builder.sign(key, hashes.SHA256()), key


def server_certificate(ca, dns_name, window, bits=2048):
    """A TLS server certificate issued by the demo CA for (not_before, not_after); returns (cert, key)."""
    ca_cert, ca_key = ca
    key = rsa_key(bits)
    builder = server_extensions(builder_for(name(dns_name), ca_cert.subject, key, *window), dns_name)
    return builder.sign(ca_key, hashes.SHA256()), key


def der_length(size):
    """DER length octets."""
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def der_read(data, offset=0):
    """(start of content, end of element) of the DER element at offset."""
    first = data[offset + 1]
    if first < 0x80:
        return offset + 2, offset + 2 + first
    count = first & 0x7F
    size = int.from_bytes(data[offset + 2:offset + 2 + count], "big")
    return offset + 2 + count, offset + 2 + count + size


def sha1_signed(certificate, issuer_key):
    """Re-sign a SHA-256 RSA certificate with SHA-1.

    cryptography refuses to create SHA-1 signatures, yet estates still hold such certificates;
    swapping the algorithm OID (same length) in the signed part and signing it again gives one.
    """
    tbs = certificate.tbs_certificate_bytes.replace(SHA256_WITH_RSA, SHA1_WITH_RSA)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # nosec B303 - the point of the demo
    whole = certificate.public_bytes(serialization.Encoding.DER)
    tbs_end = der_read(whole, der_read(whole)[0])[1]
    algorithm = whole[tbs_end:der_read(whole, tbs_end)[1]].replace(SHA256_WITH_RSA, SHA1_WITH_RSA)
    bit_string = b"\x03" + der_length(len(signature) + 1) + b"\x00" + signature
    body = tbs + algorithm + bit_string
    return x509.load_der_x509_certificate(b"\x30" + der_length(len(body)) + body)


def token_signing_certificate(now):
    """What AD FS auto-rollover makes: self-signed, 'CN=ADFS Signing - <federation service>'."""
    key = rsa_key(2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ADFS Signing - sts.contoso.com")])
    builder = builder_for(subject, subject, key, now - 340 * DAY, now + 25 * DAY + SLACK)
    builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=False)
    return builder.sign(key, hashes.SHA256())


def pem(certificate):
    """PEM bytes of a certificate."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def der(certificate):
    """DER bytes of a certificate."""
    return certificate.public_bytes(serialization.Encoding.DER)


def pfx(certificate, key, ca_cert, password):
    """A PKCS#12 with key, certificate and CA, AES-256 protected like current Windows exports."""
    encryption = serialization.BestAvailableEncryption(password.encode())
    return pkcs12.serialize_key_and_certificates(b"sts.contoso.com", key, certificate, [ca_cert], encryption)


def demo_files(now, password):
    """{file name: bytes} of the whole demo set, and the certificates pasted thumbprints refer to."""
    ca = demo_ca(now)
    healthy = server_certificate(ca, "web.contoso.com", (now - 30 * DAY, now + 335 * DAY + SLACK))[0]
    expiring = server_certificate(ca, "mail.contoso.com", (now - 355 * DAY, now + 10 * DAY + SLACK))[0]
    expired = server_certificate(ca, "legacy.contoso.com", (now - 400 * DAY, now - 35 * DAY + SLACK))[0]
    weak = server_certificate(ca, "intranet.contoso.com", (now - 30 * DAY, now + 335 * DAY + SLACK), bits=1024)[0]
    sha1 = server_certificate(ca, "old-app.contoso.com", (now - 30 * DAY, now + 335 * DAY + SLACK))[0]
    service, service_key = server_certificate(ca, "sts.contoso.com", (now - 60 * DAY, now + 305 * DAY + SLACK))
    signing = token_signing_certificate(now)
    files = {
        "healthy-web.contoso.com.pem": pem(healthy),
        "expiring-mail.contoso.com.pem": pem(expiring),
        "expired-legacy.contoso.com.cer": der(expired),
        "weak-rsa1024-intranet.contoso.com.pem": pem(weak),
        "sha1-old-app.contoso.com.pem": pem(sha1_signed(sha1, ca[1])),
        "service-communications-sts.contoso.com.pfx": pfx(service, service_key, ca[0], password),
        "adfs-token-signing.cer": der(signing),
    }
    return files, {"healthy": healthy, "token_signing": signing}


def pasted_thumbprints(certificates):
    """Thumbprints as administrators paste them: one from the Windows dialog, one with colons."""
    healthy = certificates["healthy"].fingerprint(hashes.SHA1()).hex()  # nosec B303 - thumbprints are SHA-1
    signing = certificates["token_signing"].fingerprint(hashes.SHA1()).hex().upper()  # nosec B303
    from_dialog = "\u200e" + " ".join(healthy[i:i + 2] for i in range(0, 40, 2))
    return [from_dialog, ":".join(signing[i:i + 2] for i in range(0, 40, 2))]


def write_private(path, data):
    """Write a file only its owner can read (the vars file holds the PFX password)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def write_demo_set(output_dir, now):
    """Write the certificates and demo-vars.json; return the vars (password included)."""
    password = secrets.token_urlsafe(18)
    files, certificates = demo_files(now, password)
    cert_dir = os.path.join(os.path.abspath(output_dir), "certificates")
    os.makedirs(cert_dir, exist_ok=True)
    for file_name, data in files.items():
        write_private(os.path.join(cert_dir, file_name), data)
    demo_vars = {
        "certificate_report_dir": cert_dir,
        "certificate_report_passwords": {"service-communications-sts.contoso.com.pfx": password},
        "certificate_report_thumbprints": pasted_thumbprints(certificates),
        "certificate_report_output": os.path.join(os.path.abspath(output_dir), "certificate-report.json"),
    }
    write_private(os.path.join(output_dir, "demo-vars.json"), json.dumps(demo_vars, indent=2).encode())
    return demo_vars


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir")
    parser.add_argument("--now", help="UTC time the set is made relative to, e.g. 2026-01-15T00:00:00Z")
    args = parser.parse_args(argv)
    demo_vars = write_demo_set(args.output_dir, utc_now(args.now))
    names = sorted(os.listdir(demo_vars["certificate_report_dir"]))
    print(f"wrote {len(names)} certificates to {demo_vars['certificate_report_dir']}: {', '.join(names)}")
    print(f"extra vars (PFX password inside, mode 0600): {os.path.join(args.output_dir, 'demo-vars.json')}")


if __name__ == "__main__":
    main()
