# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adfs_entra role's preflight refuses bad inputs before any change, each with its message, never with a traceback.

One lab (CA-issued farm, AutoCertificateRollover off) serves every case: a refused run changes nothing, which the audit of
each run proves (no mutating WinRM call, no Graph write).
"""
from __future__ import annotations

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from adfs_entra_lab import (PFX_PASSWORD, READ_ONLY_CLIENT_ID, dump, failure_messages, graph_credential, mutating, new_certificate, rotate,
                            thumbprint, topology, write_pfx)


@pytest.fixture(name="shared_lab", scope="module")
def shared_lab_fixture(tmp_path_factory):
    directory = tmp_path_factory.mktemp("adfs_entra_preflight")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology("adfs_entra_ca.yml"))), str(directory / "lab")).start())
    lab.files = directory
    lab.credential = graph_credential(lab, directory)
    lab.read_only = graph_credential(lab, directory / "..", client_id=READ_ONLY_CLIENT_ID)
    lab.unreadable = install_without_service_account_access(lab)
    yield lab
    lab.stop()


def install_without_service_account_access(lab) -> str:
    """A token-signing certificate on both nodes whose key only the administrators read (as an import without the grant leaves it)."""
    certificate, key = new_certificate("ADFS Signing unreadable - sts.lab.test")
    with lab.instance.runtime.lock:
        for host in ("adfs01", "adfs02"):
            lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My").add(certificate, key, key_readers=["BUILTIN\\Administrators"])
    return thumbprint(certificate)


def pfx(lab, name: str, **options) -> dict:
    path = str(lab.files / f"{name}.pfx")
    write_pfx(path, **options)
    return {"adfs_entra_signing_pfx_path": path, "adfs_entra_signing_pfx_password": PFX_PASSWORD}


CA = {"adfs_entra_mode": "ca", "adfs_entra_relying_parties_ready": True}
# id -> (a function of the lab giving the role variables, expected words of the message)
CASES = {
    "wrong_domain": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_domains": ["nowhere.test"]}, "names nowhere.test, which is not a domain of this tenant"),
    "managed_domain": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_domains": ["fabrikam.test"]}, "names fabrikam.test, which is Managed"),
    "malformed_domain": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_domains": ["not a domain"]}, "'not a domain' is not a domain name"),
    "no_digital_signature": (lambda lab: {**CA, **pfx(lab, "nosig", usages=("key_encipherment",))}, "needs the digitalSignature key usage"),
    "key_adfs_cannot_read": (lambda lab: {**CA, "adfs_entra_signing_thumbprint": lab.unreadable}, "has a private key that LAB\\gmsa-adfs$ cannot read"),
    "graph_app_without_permission": (lambda lab: {**CA, **pfx(lab, "ok"), **lab.read_only}, "not Domain-InternalFederation.ReadWrite.All"),
    "secondary_as_primary": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_primary": "adfs02"}, "adfs02 is a secondary node"),
    "primary_not_in_group": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_primary": "adfs09"},
                             "adfs_entra_primary is 'adfs09', which is not in the AD FS group"),
    "wrong_pfx_password": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_signing_pfx_password": "not-it"}, "the PFX password is wrong"),
    "expired": (lambda lab: {**CA, **pfx(lab, "expired", days=10, starts_in_days=-20)}, "the certificate expired on"),
    "weak_key": (lambda lab: {**CA, **pfx(lab, "weak", key_size=1024)}, "RSA key of 1024 bits is below the minimum of 2048"),
    "too_short": (lambda lab: {**CA, **pfx(lab, "short", days=30)}, "fewer than the required 60"),
    "pfx_without_key": (lambda lab: {**CA, **pfx(lab, "nokey", with_key=False)}, "no private key was found with the certificate"),
    "missing_pfx": (lambda lab: {**CA, "adfs_entra_signing_pfx_path": "/nonexistent/signing.pfx"}, "/nonexistent/signing.pfx does not exist"),
    "pfx_and_thumbprint": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_signing_thumbprint": lab.unreadable}, "give only one of them"),
    "malformed_thumbprint": (lambda lab: {**CA, "adfs_entra_signing_thumbprint": "XY" + "0" * 38}, "is not a hexadecimal digit"),
    "ca_without_certificate": (lambda lab: dict(CA), "adfs_entra_mode=ca rotates to CA-issued certificates"),
    "auto_on_a_manual_farm": (lambda lab: {}, "AutoCertificateRollover False, so adfs_entra_mode=auto"),
    "certificate_in_auto_mode": (lambda lab: {**pfx(lab, "ok")}, "a new certificate is given (adfs_entra_signing_*) but adfs_entra_mode is auto"),
    "urgent_without_emergency_flag": (lambda lab: {"adfs_entra_mode": "emergency", "adfs_entra_compromised_thumbprint": "A" * 40},
                                      "runs only when adfs_entra_emergency=true"),
    "wrong_client_secret": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_graph_certificate_path": "", "adfs_entra_graph_client_secret": "Nope-Secret-1"},
                            "AADSTS7000215: Invalid client secret provided"),
    "unknown_tenant": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_graph_tenant_id": "00000000-0000-0000-0000-000000000001"},
                       "does not know tenant 00000000-0000-0000-0000-000000000001"),
    "untrusted_graph_tls": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_graph_ca_path": ""}, "is not trusted"),
    "http_authority": (lambda lab: {**CA, **pfx(lab, "ok"), "adfs_entra_graph_authority_host": "http://127.0.0.1"}, "give an https:// URL"),
    "negative_margin": (lambda lab: {"adfs_entra_promotion_margin_days": -1}, "adfs_entra_promotion_margin_days must be 0 or more"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(shared_lab, case):
    variables, words = CASES[case]
    audited = len(shared_lab.audit())
    run = rotate(shared_lab, shared_lab.credential, **variables(shared_lab))
    assert run.returncode != 0, dump(run)
    message = failure_messages(run)
    assert words in message, message
    assert "Traceback" not in run.stdout + run.stderr
    assert mutating(shared_lab.audit()[audited:]) == []
    print(f"\n{case}: {message.splitlines()[0][:200]}")


def test_every_reason_is_listed_at_once(shared_lab):
    run = rotate(shared_lab, shared_lab.credential, **CA, adfs_entra_domains=["not a domain"], adfs_entra_graph_authority_host="http://x",
                 adfs_entra_promotion_margin_days=-2)
    message = failure_messages(run)
    assert message.count("preflight:") == 4 and message.endswith("Nothing was changed."), message
