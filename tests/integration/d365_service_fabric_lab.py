# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the d365_service_fabric role's integration tests: the lab cluster, the role's variables,
the playbook, the person's LCS step, and reads of the lab's audit and cluster model."""
from __future__ import annotations

import json
import os

import yaml

from certops_lab.products.service_fabric import lcs_update_settings
from certops_lab.pytest_plugin import TOPOLOGY_DIR

HOSTS = ("orch01", "orch02", "aos01", "aos02", "mr01", "bi01")
ROLE_TASK = "certops.microsoft.d365_service_fabric : "
PLAN_TASK = "Plan the rotation (controller only; refuses before any change, with every reason)"
PLAYBOOK = """---
- name: Rotate the certificates of the D365 on-premises cluster
  hosts: sf_node
  gather_facts: false
  any_errors_fatal: true
  roles:
    - role: certops.microsoft.d365_service_fabric
"""


def topology(name: str = "d365_service_fabric.yml", **section) -> dict:
    with open(os.path.join(TOPOLOGY_DIR, name), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["products"]["service_fabric"].update(section)
    return data


def playbook(directory) -> str:
    path = os.path.join(str(directory), "d365_service_fabric.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(PLAYBOOK)
    return path


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
              "d365_service_fabric_service_accounts": ["LAB\\svc-AXSF$"], "d365_service_fabric_watch_interval_seconds": 0.05,
              "d365_service_fabric_watch_timeout_seconds": 60}
    values.update(overrides)
    return values


def rotate(lab, directory, check: bool = False, **overrides):
    return lab.run_playbook(playbook(directory), check=check, diff=check, extra_vars=role_vars(lab, **overrides))


def new_thumbprints(lab) -> dict:
    return dict(cluster(lab).d365["config_template"])


def do_lcs_update_settings(lab, document: dict) -> None:
    """What the person does at the manual gate: the values the plan printed, entered in LCS."""
    gate = document["manual_gates"][0]
    by_field = {"Client certificate thumbprint": "client", "Data encryption certificate thumbprint": "data_encryption",
                "Data signing certificate thumbprint": "data_signing", "Data encipherment certificate thumbprint": "encipherment"}
    with lab.instance.runtime.lock:
        lcs_update_settings(lab.instance.runtime.estate, {by_field[name]: value for name, value in gate["values"].items()})


def mutating(records) -> list:
    return [record for record in records if record["mutating"]]


def calls_per_host(records) -> dict:
    counts = dict.fromkeys(HOSTS, 0)
    for record in records:
        counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def plan_document(run) -> dict:
    return next(iter(run.results(ROLE_TASK + PLAN_TASK).values()))["plan"]


def summary_lines(run) -> list:
    return next(iter(run.results(ROLE_TASK + "Summary").values()))["msg"]


def failure_messages(run) -> str:
    messages = []
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if (result.get("failed") or result.get("unreachable")) and not result.get("ignore_errors"):
                    messages.append(str(result.get("msg", "")))
    return "\n".join(messages) or run.stdout[-2000:] + run.stderr[-2000:]


def dump(run) -> str:
    return json.dumps(run.json, indent=1)[-6000:] if run.json else run.stdout[-4000:] + run.stderr[-4000:]
