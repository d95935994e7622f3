# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the exchange_auth role's integration tests: the lab organisation in each MEAC scenario, the playbook,
and reads of the lab's audit and Exchange state."""
from __future__ import annotations

import copy
import datetime
import os

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from certops_lab.pytest_plugin import TOPOLOGY_DIR
# What every product's integration tests read the same way: the audit's writes, the messages a user sees, a run's dump.
from wfm_sharepoint_lab import dump, failure_messages, mutating  # noqa: F401  pylint: disable=unused-import

HOSTS = ("ex01", "ex02", "ex03")
ROLE_TASK = "certops.microsoft.exchange_auth : "
PLAN_TASK = ROLE_TASK + "Plan (controller only; refuses before any change, with every reason)"
SUMMARY_TASK = ROLE_TASK + "Summary"
PLAYBOOK = """---
- name: Exchange Server Auth certificate
  hosts: "{{ certops_test_hosts | default(exchange_auth_group | default('exchange')) }}"
  gather_facts: false
  any_errors_fatal: true
  roles:
    - role: certops.microsoft.exchange_auth
"""
# The lab tenant: certops' own app registration (client credentials) and the dedicated Exchange hybrid application.
TENANT_ID = "7d5e4c4a-0c7e-4f55-9b0b-3f1c1e1a2b3c"
CLIENT_ID = "3a1f2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
READ_ONLY_CLIENT_ID = "9e8d7c6b-5a49-4382-8171-605f4e3d2c1b"
HYBRID_APP_ID = "5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e"
HYBRID_OBJECT_ID = "c0ffee00-1234-4abc-9def-0123456789ab"
ENTRA = {"tenant_id": TENANT_ID, "initial_domain": "lab.onmicrosoft.com",
         "apps": [{"client_id": CLIENT_ID, "display_name": "certops-exchange", "roles": ["Application.ReadWrite.All"]},
                  {"client_id": READ_ONLY_CLIENT_ID, "display_name": "certops-read-only", "roles": ["Application.Read.All"]}],
         "applications": [{"id": HYBRID_OBJECT_ID, "app_id": HYBRID_APP_ID, "display_name": "ExchangeServerApp"}]}
# pywinrm gives up on a held reply after connection timeout + 10 s.
SHORT_TIMEOUT = {"ansible_winrm_connection_timeout": 5}


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def base_topology() -> dict:
    with open(os.path.join(TOPOLOGY_DIR, "exchange.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["clock"] = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return data


def certificate_entry(data: dict, certificate_id: str) -> dict:
    return next(entry for host in data["hosts"].values() for entry in host.get("certificates", []) if entry.get("id") == certificate_id)


def topology(current_days=None, current_on=None, hybrid=None, servers=None) -> dict:
    """The shipped organisation, the current Auth certificate expiring in ``current_days`` (200 by default)."""
    data = base_topology()
    exchange = data["products"]["exchange"]
    if current_days is not None:
        certificate_entry(data, "auth-current")["not_after"] = f"{current_days:+d}d"
    if current_on is not None:
        exchange["auth_config"]["current_on"] = list(current_on)
    if hybrid is not None:
        exchange["hybrid"] = {"application_id": HYBRID_APP_ID, **hybrid}
        data["products"]["entra"] = copy.deepcopy(ENTRA)
    if servers:
        exchange["servers"] += servers
    return data


def playbook(directory) -> str:
    path = os.path.join(str(directory), "exchange_auth.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(PLAYBOOK)
    return path


def organisation(lab):
    return lab.instance.runtime.estate.products["exchange"]


def auth(lab) -> dict:
    """AuthConfig as Get-AuthConfig shows it now (the servicelet applied)."""
    estate = lab.instance.runtime.estate
    view = organisation(lab).auth_view(estate, estate.clock)
    return {"current": view.current, "next": view.next, "next_effective": view.next_effective, "previous": view.previous}


def holders(lab, thumbprint: str) -> list:
    estate = lab.instance.runtime.estate
    return [host for host in HOSTS if estate.hosts[host].store("LocalMachine", "My").get(thumbprint) is not None]


def transports(lab) -> dict:
    return {server.host: server.transport_certificate for server in organisation(lab).servers if server.host}


def restarts(lab) -> dict:
    return {server.host: server.restarts for server in organisation(lab).servers if server.host}


def calls_per_host(records) -> dict:
    counts = dict.fromkeys(HOSTS, 0)
    for record in records:
        counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def scripts_run(records) -> list:
    return [(record["host"], record["script"]) for record in records]


def plan_documents(run) -> list:
    """Every plan document the run made (round 1, and round 2 after a certificate was created)."""
    documents = []
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"] == PLAN_TASK:
                documents += [result["plan"] for result in task["hosts"].values() if "plan" in result]
    return documents


def summary(run) -> list:
    """The run's closing lines: the Summary task's, or in check mode (which stops at the plan) the plan's."""
    return next(iter((run.results(SUMMARY_TASK) or run.results(ROLE_TASK + "Show the plan")).values()))["msg"]


def graph_credential(lab, directory, client_id: str = CLIENT_ID) -> dict:
    """A certificate registered on the lab's app registration and its key (PEM) on the controller: the role's Graph variables."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "certops exchange graph client")])
    start = utc_now() - datetime.timedelta(days=1)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=90)).sign(key, hashes.SHA256()))
    lab.add_app_credential(client_id, certificate=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    path = os.path.join(str(directory), f"graph-client-{client_id[:8]}.pem")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
                     + certificate.public_bytes(serialization.Encoding.PEM))
    return {"exchange_auth_graph_certificate_path": path, "exchange_auth_graph_client_id": client_id}


def hybrid_vars(lab, credential: dict, **overrides) -> dict:
    """The role's variables for the lab tenant: its Graph endpoint and authority, the CA, the hybrid application, the credential."""
    values = {"exchange_auth_hybrid_application_id": HYBRID_APP_ID, "exchange_auth_graph_tenant_id": TENANT_ID,
              "exchange_auth_graph_authority_host": lab.graph_url, "exchange_auth_graph_endpoint": lab.graph_url,
              "exchange_auth_graph_ca_path": lab.ca_path, "exchange_auth_graph_timeout": 8, **credential}
    values.update(overrides)
    return values


def application_keys(lab) -> list:
    """The thumbprints of the hybrid application's keyCredentials, in order."""
    from certops_lab.products.exchange_hybrid import hybrid_application, key_thumbprint  # pylint: disable=import-outside-toplevel
    return [key_thumbprint(item) for item in hybrid_application(lab.instance.runtime.estate)["keyCredentials"]]


class Rotation:
    """A lab organisation and the role's playbook, run with the given role variables."""

    def __init__(self, lab, directory):
        self.lab = lab
        self.playbook = playbook(directory)

    def run(self, *args, check: bool = False, **variables):
        return self.lab.run_playbook(self.playbook, *args, check=check, diff=check, extra_vars=copy.deepcopy(variables) or None)

    def advance(self, offset: str) -> None:
        self.lab.clock.advance(offset)
