# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inputs and bad estates, refused by the d365_service_fabric role before any change, with a clear message."""
from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from d365_service_fabric_lab import cluster, dump, failure_messages, mutating, rotate, topology

PASSWORD = "D365-Pfx-Secret-9a1f!"


def certificate(days: int = 365):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sql.d365.lab.test")])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    return built, key


def write_pfx(path) -> str:
    built, key = certificate(days=800)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"new", key, built, None, serialization.BestAvailableEncryption(PASSWORD.encode())))
    return str(path)


def expired_pem(path) -> str:
    built, _key = certificate(days=30)
    path.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    return str(path)


def information(lab):
    return cluster(lab).config["properties"]["security"]["CertificateInformation"]


def thumbprint_of(lab, role: str, which: str = "config_template") -> str:
    return cluster(lab).d365[which][role]


def leftover_secondary(lab, _tmp):
    information(lab)["ClusterCertificate"]["ThumbprintSecondary"] = thumbprint_of(lab, "client", "old_config_template")
    return {}


def missing_on_one_node(lab, _tmp):
    lab.instance.runtime.estate.hosts["mr01"].store("LocalMachine", "My").remove(thumbprint_of(lab, "data_encryption"))
    return {}


def unreadable_key(lab, _tmp):
    entry = lab.instance.runtime.estate.hosts["aos02"].store("LocalMachine", "My").get(thumbprint_of(lab, "data_signing"))
    entry.key_readers = [reader for reader in entry.key_readers if "svc-AXSF" not in reader]
    return {}


def old_code_version(lab, _tmp):
    cluster(lab).code_version = "7.1.503.9590"
    return {}


# (name, change to the lab or its files -> extra role variables, what the refusal says)
CASES = [
    ("no_backup_confirmation", lambda lab, tmp: {"d365_service_fabric_backup_confirmed": False}, "backup is not confirmed"),
    ("service_fabric_7_1", old_code_version, "must not be carried out on 7.0.x or 7.1.x"),
    ("leftover_secondary_thumbprint", leftover_secondary, "still has a ThumbprintSecondary"),
    ("certificate_missing_on_one_node", missing_on_one_node, "is not in LocalMachine\\My with its private key on mr01"),
    ("service_account_cannot_read_key", unreadable_key, "cannot read the private key of the new data signing certificate"),
    ("cleanup_before_rotation_complete", lambda lab, tmp: {"d365_service_fabric_cleanup": True}, "cleanup before the rotation is complete"),
    ("unknown_group", lambda lab, tmp: {"d365_service_fabric_group": "sf_nodes"}, "inventory group 'sf_nodes'"),
    ("unknown_certificate_role", lambda lab, tmp: {"d365_service_fabric_certificates": {"sessionauth": "AB" * 20}}, "names sessionauth"),
    ("malformed_thumbprint", lambda lab, tmp: {"d365_service_fabric_certificates": {"client": "12:34"}}, "certificates.client: thumbprint"),
    ("pfx_without_placement", lambda lab, tmp: {"d365_service_fabric_pfx_files": {"client": write_pfx(tmp / "c.pfx")},
                                                "d365_service_fabric_pfx_password": PASSWORD}, "place_certificates is false"),
    ("pfx_file_missing", lambda lab, tmp: {"d365_service_fabric_pfx_files": {"client": str(tmp / "absent.pfx")},
                                           "d365_service_fabric_place_certificates": True}, "pfx_files.client"),
    ("pfx_wrong_password", lambda lab, tmp: {"d365_service_fabric_pfx_files": {"client": write_pfx(tmp / "c.pfx")},
                                             "d365_service_fabric_pfx_password": "wrong", "d365_service_fabric_place_certificates": True},
     "pfx_files.client"),
    ("config_template_unreadable", lambda lab, tmp: {"d365_service_fabric_config_template": str(tmp / "nope.xml")}, "cannot be read"),
    ("config_template_with_dtd", lambda lab, tmp: {"d365_service_fabric_config_template": str(
        (tmp / "ct.xml").write_text('<?xml version="1.0"?><!DOCTYPE Config [<!ENTITY a "a">]><Config><Certificates/></Config>') and tmp / "ct.xml")},
     "declares a DTD"),
    ("localagent_3_2_2_without_config_json", lambda lab, tmp: {"d365_service_fabric_agent_share_config_path": ""},
     "also needs config.json on the agent share updated"),
    ("certificate_expiring_too_soon", lambda lab, tmp: {"d365_service_fabric_min_days_remaining": 1000}, "less than d365_service_fabric_min_days_remaining"),
    ("watch_interval_zero", lambda lab, tmp: {"d365_service_fabric_watch_interval_seconds": 0}, "must be positive"),
    ("same_certificate_for_two_roles", lambda lab, tmp: {"d365_service_fabric_certificates": {"data_signing": thumbprint_of(lab, "data_encryption")}},
     "are the same"),
    ("config_template_names_other_encipherment", lambda lab, tmp: {"d365_service_fabric_certificates": {
        "encipherment": thumbprint_of(lab, "encipherment", "old_config_template")}}, "Configure-CredentialsJson.ps1 encrypts with the one it names"),
    ("expired_sql_server_certificate", lambda lab, tmp: {"d365_service_fabric_other_certificates": [expired_pem(tmp / "sql.pem")]}, "has expired"),
    ("missing_required_path", lambda lab, tmp: {"d365_service_fabric_localagent_cli_path": "C:\\Wrong"}, "LocalAgentCLI.exe"),
]


@pytest.mark.parametrize("change,expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused_before_any_change(lab_factory, tmp_path, change, expected):
    lab = lab_factory(topology())
    extra = change(lab, tmp_path)
    run = rotate(lab, **extra)
    assert run.returncode != 0, dump(run)
    message = failure_messages(run)
    assert expected in message, message
    assert "Traceback" not in run.stdout + run.stderr and PASSWORD not in run.stdout + run.stderr
    assert mutating(lab.audit()) == []
    assert lab.violations() == []


def test_common_name_cluster_refuses_a_server_certificate_it_would_not_pick_up(lab_factory):
    lab = lab_factory(topology("d365_service_fabric_cn.yml"))
    run = rotate(lab, d365_service_fabric_certificates={"server": thumbprint_of(lab, "client", "old_config_template")},
                 d365_service_fabric_agent_share_config_path="")
    assert run.returncode != 0 and "does not have a common name the cluster accepts" in failure_messages(run)
    assert mutating(lab.audit()) == []
