# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the adfs_entra role's integration tests: the lab estates, the Graph app credentials, new
AD FS certificates as PFX files, the role's variables, and reads of the lab's audit and product state."""
from __future__ import annotations

import datetime
import hashlib
import json
import os

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from certops_lab.pytest_plugin import TOPOLOGY_DIR
from wfm_sharepoint_lab import failure_messages  # noqa: F401  pylint: disable=unused-import

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_playbooks", "adfs_entra_rotate.yml")
CLIENT_ID = "6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10"
READ_ONLY_CLIENT_ID = "0b9d3c2a-7e41-4c55-8f0e-2d6a1b3c4e5f"
TENANT_ID = "7d5e4c4a-0c7e-4f55-9b0b-3f1c1e1a2b3c"
DOMAINS = ("lab.test", "contoso.test")
NODES = ("adfs01", "adfs02")
SERVICE_ACCOUNT = "LAB\\gmsa-adfs$"
# Distinctive, so that a leak is found by a plain substring search of every output and file.
PFX_PASSWORD = "Adfs-Pfx-Secret-7f3a9c!"
GRAPH_PFX_PASSWORD = "Graph-Pfx-Secret-2b8d41!"
CLIENT_SECRET = "Graph-Client-Secret-c0ffee-91d2~"
ROLE_TASK = "certops.microsoft.adfs_entra : "
PLAN_TASK = "Plan the rotation (controller only; refuses before any change, with every reason)"
KEY_USAGE_FLAGS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                   "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def topology(name: str) -> dict:
    """A shipped topology with the lab clock at the real time (the role checks validity on the controller)."""
    with open(os.path.join(TOPOLOGY_DIR, name), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["clock"] = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return data


def new_certificate(subject: str, days: int = 730, starts_in_days: int = -1, key_size: int = 2048, usages=("digital_signature",), algorithm=None):
    """A self-signed RSA certificate and its key, valid from now + starts_in_days for days days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = utc_now() + datetime.timedelta(days=starts_in_days)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days)))
    if usages is not None:
        builder = builder.add_extension(x509.KeyUsage(**{flag: flag in usages for flag in KEY_USAGE_FLAGS}), critical=True)
    return builder.sign(key, algorithm or hashes.SHA256()), key


def thumbprint(certificate) -> str:
    return hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # nosec B324 - a thumbprint


def write_pfx(path, password: str = PFX_PASSWORD, with_key: bool = True, **options) -> str:
    """A PFX of a new certificate (see new_certificate); returns its thumbprint."""
    certificate, key = new_certificate(options.pop("subject", "ADFS Signing 2027 - sts.lab.test"), **options)
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    with open(path, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(b"adfs", key if with_key else None, certificate, None, encryption))
    return thumbprint(certificate)


def graph_credential(lab, directory, form: str = "pem", client_id: str = CLIENT_ID) -> dict:
    """A certificate registered on the lab's app and its key on the controller: PEM (key + certificate) or PFX; the role's variables."""
    certificate, key = new_certificate("certops graph client", days=90, usages=("digital_signature",))
    lab.add_app_credential(client_id, certificate=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    path = os.path.join(str(directory), f"graph-client.{form}")
    if form == "pfx":
        data = pkcs12.serialize_key_and_certificates(b"graph", key, certificate, None,
                                                     serialization.BestAvailableEncryption(GRAPH_PFX_PASSWORD.encode()))
    else:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        data += certificate.public_bytes(serialization.Encoding.PEM)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    extra = {"adfs_entra_graph_certificate_password": GRAPH_PFX_PASSWORD} if form == "pfx" else {}
    return {"adfs_entra_graph_certificate_path": path, "adfs_entra_graph_client_id": client_id, **extra}


def key_pem_body(path: str) -> str:
    """The base64 body of the PEM key in a graph credential file (what must never leak)."""
    with open(path, encoding="ascii") as handle:
        text = handle.read()
    return "".join(text.split("-----BEGIN PRIVATE KEY-----")[1].split("-----END PRIVATE KEY-----")[0].split())[40:120]


def role_vars(lab, credential: dict, **overrides) -> dict:
    """The role's variables for a lab: its Graph endpoint, authority, tenant and CA, the credential, the snapshot dir."""
    values = {"adfs_entra_graph_tenant_id": TENANT_ID, "adfs_entra_graph_authority_host": lab.graph_url, "adfs_entra_graph_endpoint": lab.graph_url,
              "adfs_entra_graph_ca_path": lab.ca_path, "adfs_entra_snapshot_dir": os.path.join(lab.state_dir, "..", "snapshots"),
              "adfs_entra_graph_timeout": 8, **credential}
    values.update(overrides)
    return values


def rotate(lab, credential: dict, *args, check: bool = False, **overrides):
    return lab.run_playbook(PLAYBOOK, *args, check=check, diff=check, extra_vars=role_vars(lab, credential, **overrides))


# --- what the lab holds ------------------------------------------------------------------------------------
def farm(lab):
    return lab.instance.runtime.estate.products["adfs"]["fs"]


def adfs_thumbprints(lab, kind: str = "Token-Signing") -> dict:
    """{thumbprint: is_primary} of one certificate type in the lab farm."""
    return {item.thumbprint: item.is_primary for item in farm(lab).of_type(kind)}


def primary_thumbprint(lab, kind: str = "Token-Signing") -> str:
    return farm(lab).primary_of(kind).thumbprint


def entra_holds(lab, domain: str) -> tuple:
    """(signing, next) thumbprints the lab tenant holds for a domain."""
    from certops_lab.products.entra import thumbprint_of_text  # pylint: disable=import-outside-toplevel
    federation = lab.instance.runtime.estate.products["entra"].domain(domain).federation
    return thumbprint_of_text(federation.signing_certificate), thumbprint_of_text(federation.next_signing_certificate)


def signins_work(lab) -> bool:
    return all(lab.signin_probe(domain)["accepted"] for domain in DOMAINS)


def mutating(records) -> list:
    return [record for record in records if record["mutating"]]


def calls_per_host(records) -> dict:
    counts = {}
    for record in records:
        key = record["host"] if record["host"] != "graph" or record["module"] != "oauth2.token" else "login"
        counts[key] = counts.get(key, 0) + 1
    return counts


def plan_document(run) -> dict:
    return next(iter(run.results(ROLE_TASK + PLAN_TASK).values()))["plan"]


def task_result(run, name: str) -> dict:
    return next(iter(run.results(ROLE_TASK + name).values()))


def dump(run) -> str:
    return json.dumps(run.json, indent=1)[-6000:] if run.json else run.stdout[-4000:] + run.stderr[-4000:]
