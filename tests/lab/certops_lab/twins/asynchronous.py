# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``async:`` tasks: the started reply of ansible-core's async_wrapper.ps1, and the async_status twin.

The lab runs the module at once and leaves its result in ``<async dir>\\<jid>.<pid>`` (the powershell
shell plugin's default async dir is ``%USERPROFILE%\\.ansible_async``); async_status reads it back
the way async_status.ps1 does. Without the started reply Ansible says "No job id was returned".
"""
from __future__ import annotations

import json

from certops_lab.twins.paths import expand_paths
from certops_lab.twins.registry import ModuleFailure, module_twin

FIRST_PID = 4100


def async_dir(host) -> str:
    return f"{host.profile_dir}\\.ansible_async"


def _new_local_jid(host, jid: str) -> str:
    """``<AsyncJid>.<pid>``, the pid unique per host."""
    existing = host.files.children(async_dir(host)) if host.files.is_dir(async_dir(host)) else []
    return f"{jid}.{FIRST_PID + len(existing)}"


def uses_boolean_flags(ansible_version) -> bool:
    """ansible-core 2.19 rewrote async_wrapper.ps1: true/false and a watchdog pid instead of 1/0."""
    parts = str(ansible_version or "2.21").split(".")
    return (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0) >= (2, 19)


def started_reply(estate, host, call, result: dict) -> dict:
    """Store the finished module result as the job's results file and answer as async_wrapper.ps1."""
    local_jid = _new_local_jid(host, call.async_jid)
    results_file = f"{async_dir(host)}\\{local_jid}"
    host.files.write(results_file, json.dumps(result, default=str).encode("utf-8"), estate.clock.timestamp())
    modern = uses_boolean_flags(call.ansible_version)
    reply = {"started": True if modern else 1, "finished": False if modern else 0, "results_file": results_file,
             "ansible_job_id": local_jid, "_ansible_suppress_tmpdir_delete": True}
    if modern:
        reply["ansible_async_watchdog_pid"] = int(local_jid.rsplit(".", 1)[1]) + 1
    return reply


@module_twin("ansible.windows.async_status")
def async_status(_estate, host, args, _ctx) -> dict:
    args = expand_paths(host, args, ("_async_dir",))
    jid, mode = args.get("jid"), args.get("mode") or "status"
    if not jid:
        raise ModuleFailure("Get-AnsibleParam: Missing required argument: jid")
    directory = args.get("_async_dir") or async_dir(host)
    log_path = f"{directory}\\{jid}"
    if not host.files.is_file(log_path):
        raise ModuleFailure(f"could not find job at '{directory}'", ansible_job_id=jid, started=1, finished=1)
    if mode == "cleanup":
        host.files.remove(log_path)
        return {"changed": False, "ansible_job_id": jid, "erased": log_path}
    data = json.loads(host.files.read(log_path).decode("utf-8"))
    if "started" not in data:
        data.update(finished=1, ansible_job_id=jid)
    return data
