# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the wfm_sharepoint role's integration tests: new certificates as PFX files, the lab
estate at the real time, the role's variables, and reads of the lab's audit and product state."""
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

from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script, shipped_script_names
from certops_lab.pytest_plugin import REPO_ROOT, TOPOLOGY_DIR

ROTATE = os.path.join(REPO_ROOT, "playbooks", "rotate.yml")
# Distinctive, so that a leak is found by a plain substring search of every output.
PFX_PASSWORD = "Wfm-Pfx-Secret-4c8e1b!"
SERVICE_URI = "https://wfm.lab.test:12290/"
SERVICE_ACCOUNT = "LAB\\svc-wfm"
HOSTS = ("wfm01", "sp01", "sp02")
ROLE_TASK = "certops.microsoft.wfm_sharepoint : "   # how the JSON callback names the role's tasks
PLAN_TASK = "Plan the rotation (controller only; refuses before any change, with every reason)"
KEY_USAGE_FLAGS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                   "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def key_usage(names) -> x509.KeyUsage:
    return x509.KeyUsage(**{flag: flag in names for flag in KEY_USAGE_FLAGS})


def new_certificate(subject: str = "wfm.lab.test", days: int = 365, starts_in_days: int = -1, key_size: int = 2048,
                    usages=("digital_signature",), algorithm=None):
    """A self-signed RSA certificate and its key, valid from now + starts_in_days for days days."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = utc_now() + datetime.timedelta(days=starts_in_days)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + datetime.timedelta(days=days)).add_extension(key_usage(usages), critical=True))
    return builder.sign(key, algorithm or hashes.SHA256()), key


def write_pfx(path, with_key: bool = True, password: str = PFX_PASSWORD, resign=None, **options) -> str:
    """Write a PFX of a new certificate (see new_certificate; ``resign(certificate, key)`` re-signs it); return its thumbprint."""
    certificate, key = new_certificate(**options)
    if resign is not None:
        certificate = resign(certificate, key)
    encryption = serialization.BestAvailableEncryption(password.encode())
    data = pkcs12.serialize_key_and_certificates(b"wfm outbound", key if with_key else None, certificate, None, encryption)
    with open(path, "wb") as handle:
        handle.write(data)
    return hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # nosec B324 - a thumbprint


def topology(name: str = "wfm_sharepoint.yml") -> dict:
    """A shipped topology with the lab clock at the real time (the role checks validity on the controller)."""
    with open(os.path.join(TOPOLOGY_DIR, name), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["clock"] = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return data


def role_vars(pfx_path: str = "", **overrides) -> dict:
    values = {"certops_rotate_wfm_sharepoint": True, "wfm_sharepoint_service_uri": SERVICE_URI, "wfm_sharepoint_service_account": SERVICE_ACCOUNT}
    if pfx_path:
        values.update(wfm_sharepoint_pfx_path=str(pfx_path), wfm_sharepoint_pfx_password=PFX_PASSWORD)
    values.update(overrides)
    return values


def farms(lab) -> dict:
    """The lab's Workflow Manager and SharePoint farms as data (what the products really hold)."""
    products = lab.instance.runtime.estate.products
    return {"wfm": products["wfm"]["wfm"].to_dict(), "sp": products["sharepoint"]["sp"].to_dict()}


def issuer_thumbprints(lab) -> list:
    sharepoint = lab.instance.runtime.estate.products["sharepoint"]["sp"]
    return sorted(issuer.thumbprint for issuer in sharepoint.issuers)


def root_thumbprints(lab) -> list:
    sharepoint = lab.instance.runtime.estate.products["sharepoint"]["sp"]
    return sorted(root.thumbprint for root in sharepoint.root_authorities)


def store_thumbprints(lab, host: str = "wfm01") -> list:
    return sorted(lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").entries)


def mutating(records) -> list:
    return [record for record in records if record["mutating"]]


def calls_per_host(records) -> dict:
    counts = dict.fromkeys(HOSTS, 0)
    for record in records:
        counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def shipped_script_digests() -> set:
    """The audit's digest (first 16 hex digits of the SHA-256, see certops_lab.audit) of every certops script as sent."""
    return {hashlib.sha256(load_script(name).encode("utf-8")).hexdigest()[:16] for name in shipped_script_names()}


def failure_messages(run) -> str:
    """Every msg of a failed task result in the run, joined (what the user reads)."""
    messages = []
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if (result.get("failed") or result.get("unreachable")) and not result.get("ignore_errors"):
                    message = result.get("msg", "")
                    # playbooks/rotate.yml's last task fails with the estate plan: a list of lines.
                    messages.append("\n".join(message) if isinstance(message, list) else str(message))
    return "\n".join(messages) or run.stdout[-2000:] + run.stderr[-2000:]


def plan_document(run) -> dict:
    """The plan document the role's plan task returned."""
    return next(iter(run.results(ROLE_TASK + PLAN_TASK).values()))["plan"]


def dump(run) -> str:
    return json.dumps(run.json, indent=1)[-6000:] if run.json else run.stdout[-4000:] + run.stderr[-4000:]
