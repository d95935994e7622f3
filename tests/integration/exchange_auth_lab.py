# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the exchange_auth role's integration tests: the lab organisation in each MEAC scenario, the playbook,
and reads of the lab's audit and Exchange state."""
from __future__ import annotations

import copy
import datetime
import json
import os

import yaml

from certops_lab.pytest_plugin import TOPOLOGY_DIR

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
        exchange["hybrid"] = hybrid
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


def mutating(records) -> list:
    return [record for record in records if record["mutating"]]


def calls_per_host(records) -> dict:
    counts = dict.fromkeys(HOSTS, 0)
    for record in records:
        counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def scripts_run(records) -> list:
    return [(record["host"], record["script"]) for record in records]


def failure_messages(run) -> str:
    """Every msg of a failed task result in the run, joined (what the user reads)."""
    messages = []
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            for result in task["hosts"].values():
                if (result.get("failed") or result.get("unreachable")) and not result.get("ignore_errors"):
                    messages.append(str(result.get("msg", "")))
    return "\n".join(messages) or run.stdout[-2000:] + run.stderr[-2000:]


def plan_documents(run) -> list:
    """Every plan document the run made (round 1, and round 2 after a certificate was created)."""
    documents = []
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"] == PLAN_TASK:
                documents += [result["plan"] for result in task["hosts"].values() if "plan" in result]
    return documents


def summary(run) -> list:
    return next(iter(run.results(SUMMARY_TASK).values()))["msg"]


def dump(run) -> str:
    return json.dumps(run.json, indent=1)[-6000:] if run.json else run.stdout[-4000:] + run.stderr[-4000:]


class Rotation:
    """A lab organisation and the role's playbook, run with the given role variables."""

    def __init__(self, lab, directory):
        self.lab = lab
        self.playbook = playbook(directory)

    def run(self, *args, check: bool = False, **variables):
        return self.lab.run_playbook(self.playbook, *args, check=check, diff=check, extra_vars=copy.deepcopy(variables) or None)

    def advance(self, offset: str) -> None:
        self.lab.clock.advance(offset)
