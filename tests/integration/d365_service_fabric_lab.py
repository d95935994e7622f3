# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the d365_service_fabric role's integration tests: the lab cluster, the role's variables,
the playbook, the person's LCS step, and reads of the lab's audit and cluster model."""
from __future__ import annotations

import base64
import collections
import os

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certops_lab.products.service_fabric import lcs_update_settings
from certops_lab.pytest_plugin import resolve_topology
# The worked example's helpers over a run and the audit: the same for every product.
from wfm_sharepoint_lab import dump, failure_messages, mutating  # noqa: F401  pylint: disable=unused-import

HOSTS = ("orch01", "orch02", "aos01", "aos02", "mr01", "bi01")
ROLE_TASK = "certops.microsoft.d365_service_fabric : "
PLAN_TASK = "Plan the rotation (controller only; refuses before any change, with every reason)"
APPLY_TASK = "Apply the steps of this wave on this node"
# Distinctive, so that a leak is found by a plain substring search of every output and file.
PFX_PASSWORD = "D365-Place-Secret-5c7e!"
SERVICE_ACCOUNT = "LAB\\svc-AXSF$"
PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_playbooks", "d365_service_fabric_rotate.yml")


def topology(name: str = "d365_service_fabric.yml", **section) -> dict:
    """A shipped D365 topology with ``section`` keys of its service_fabric product overridden."""
    data = resolve_topology(name)
    data["products"]["service_fabric"].update(section)
    return data


def cluster(lab):
    return lab.instance.runtime.estate.products["service_fabric"]["d365"]


def role_vars(lab, **overrides) -> dict:
    d365 = cluster(lab).d365
    values = {"d365_service_fabric_infrastructure_path": d365["infrastructure_path"],
              "d365_service_fabric_old_infrastructure_path": d365["old_infrastructure_path"],
              "d365_service_fabric_localagent_config_path": d365["localagent_config_path"],
              "d365_service_fabric_localagent_cli_path": d365["localagent_cli_path"],
              "d365_service_fabric_agent_share_config_path": d365["agent_share_config_path"],
              "d365_service_fabric_sql_server": "sql.d365.lab.test", "d365_service_fabric_backup_confirmed": True,
              "d365_service_fabric_service_accounts": [SERVICE_ACCOUNT], "d365_service_fabric_watch_interval_seconds": 0.05,
              "d365_service_fabric_watch_timeout_seconds": 60}
    values.update(overrides)
    return values


def rotate(lab, check: bool = False, **overrides):
    """The role over every node at once (one fork per node), the role variables as extra vars."""
    return lab.run_playbook(PLAYBOOK, "--forks", str(len(HOSTS)), check=check, diff=check, extra_vars=role_vars(lab, **overrides))


def new_thumbprints(lab) -> dict:
    return dict(cluster(lab).d365["config_template"])


def new_certificates_as_pfx_files(lab, directory) -> dict:
    """The new certificates as PFX files on the controller and gone from every node (the Infrastructure scripts did not
    place them): the role variables that have the role place them."""
    estate, files = lab.instance.runtime.estate, {}
    with lab.instance.runtime.lock:
        for role, thumbprint in new_thumbprints(lab).items():
            entry = estate.hosts[HOSTS[0]].store("LocalMachine", "My").get(thumbprint)
            key = serialization.load_pem_private_key(entry.private_key.encode("ascii"), password=None)
            data = pkcs12.serialize_key_and_certificates(role.encode(), key, x509.load_der_x509_certificate(entry.der), None,
                                                         serialization.BestAvailableEncryption(PFX_PASSWORD.encode()))
            files[role] = os.path.join(str(directory), f"{role}.pfx")
            with open(files[role], "wb") as handle:
                handle.write(data)
            for host in HOSTS:
                estate.hosts[host].store("LocalMachine", "My").remove(thumbprint)
    return {"d365_service_fabric_pfx_files": files, "d365_service_fabric_pfx_password": PFX_PASSWORD,
            "d365_service_fabric_place_certificates": True}


def secrets_of(options: dict) -> list:
    """The secrets a run with ``options`` carries: the PFX password and each PFX as the base64 a step sends."""
    found = [options.get("d365_service_fabric_pfx_password") or PFX_PASSWORD]
    for path in (options.get("d365_service_fabric_pfx_files") or {}).values():
        with open(path, "rb") as handle:
            found.append(base64.b64encode(handle.read()).decode("ascii")[:80])
    return found


def do_lcs_update_settings(lab, document: dict) -> None:
    """What the person does at the manual gate: the values the plan printed, entered in LCS."""
    gate = document["manual_gates"][0]
    by_field = {"Client certificate thumbprint": "client", "Data encryption certificate thumbprint": "data_encryption",
                "Data signing certificate thumbprint": "data_signing", "Data encipherment certificate thumbprint": "encipherment"}
    with lab.instance.runtime.lock:
        lcs_update_settings(lab.instance.runtime.estate, {by_field[name]: value for name, value in gate["values"].items()})


def calls_per_host(records) -> dict:
    """WinRM executions per node in these audit records (every node listed, 0 when it had none)."""
    return {**dict.fromkeys(HOSTS, 0), **collections.Counter(record["host"] for record in records)}


def plan_document(run) -> dict:
    return next(iter(run.results(ROLE_TASK + PLAN_TASK).values()))["plan"]


def summary_lines(run) -> list:
    """The run's closing lines: the Summary task's, or in check mode (which stops at the plan) the plan's."""
    return next(iter((run.results(ROLE_TASK + "Summary") or run.results(ROLE_TASK + "Show the plan")).values()))["msg"]


def watch_progress(run) -> dict:
    """{host: [what each watch read of a cluster upgrade returned]} in this run (the apply results' progress)."""
    found = {}
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"] == ROLE_TASK + APPLY_TASK:
                for host, result in task["hosts"].items():
                    found.setdefault(host, []).extend(result.get("progress") or [])
    return found


def planned_executions(run, cleanup: bool = False) -> dict:
    """What a run may cost per node: one read, one execution per step it applied there, its watch reads, one verify."""
    document, progress = plan_document(run), watch_progress(run)
    steps = document["steps"] + (document["cleanup"] if cleanup else [])
    counts = dict.fromkeys(HOSTS, 1)
    for step in steps:
        counts[step["host"]] += 1
    for host in HOSTS:
        counts[host] += len(progress.get(host, [])) + (1 if host in document["expected"] else 0)
    return counts
