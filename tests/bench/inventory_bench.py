# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: playbooks/inventory.yml on many lab hosts against a one-task win_ping play on the
same hosts, and the WinRM executions per host each makes, from the lab's call counters.

    PATH=.venv/bin:$PATH python tests/bench/inventory_bench.py [--hosts 200] [--forks 20] [--runs 1] [--baseline-rev REV] [--breakdown]

Every host of the estate holds three certificates (two in My, one in CA). The plays run in
turns (win_ping, inventory, then the others asked for) ``--runs`` times on one lab; the figures
are medians. ``--baseline-rev`` also runs the inventory playbook as it was at that git revision
(with its templates; the collection's code is this checkout's), so that before and after are
measured side by side. ``--breakdown`` adds the inventory's parts as plays of their own: the
inventory script through certops.microsoft.win_read_script (what the action uses) and through
ansible.windows.win_powershell (what it used before), each without the action around it, and the
certificate_inventory task without the report, so that the difference to win_ping can be put
down to the script's transport, the action's parsing and the report. The reports go to the
bench's temporary directory. It is a script, not a test: figures are printed (JSON), not asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lab_scale import REPO, lab_cli, process_cpu_seconds, run_playbook, scale_topology, write_playbook  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(REPO, "playbooks", "inventory.yml")
CERTIFICATES = [
    {"subject": "CN=server.bench.test", "dns_names": ["server.bench.test"], "key_type": "ecdsa", "key_size": 256},
    {"subject": "CN=expiring.bench.test", "not_after": "+10d", "key_type": "ecdsa", "key_size": 256},
    {"subject": "CN=Bench Issuing CA", "store_name": "CA", "private_key": False, "key_type": "ecdsa", "key_size": 256},
]


def estate_topology(path: str, hosts: int) -> str:
    """lab_scale's topology of identical hosts, each with CERTIFICATES (ECDSA: quick to issue at lab start)."""
    scale_topology(path, hosts)
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["host_series"][0]["certificates"] = CERTIFICATES
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    return path


def baseline_playbook(workdir: str, revision: str) -> str:
    """playbooks/inventory.yml and playbooks/templates/ as they were at revision, copied into workdir."""
    listed = subprocess.run(["git", "-C", REPO, "ls-tree", "-r", "--name-only", revision, "playbooks/inventory.yml", "playbooks/templates"],
                            check=True, capture_output=True, text=True).stdout.split()
    for name in listed:
        os.makedirs(os.path.dirname(os.path.join(workdir, name)), exist_ok=True)
        with open(os.path.join(workdir, name), "wb") as handle:
            handle.write(subprocess.run(["git", "-C", REPO, "show", f"{revision}:{name}"], check=True, capture_output=True).stdout)
    return os.path.join(workdir, "playbooks", "inventory.yml")


def call_counts(state_dir: str) -> dict:
    return json.loads(lab_cli("calls", "--state-dir", state_dir))


def executions_per_host(before: dict, after: dict) -> list:
    """The distinct numbers of module executions the hosts received between two call counts."""
    return sorted({after[host] - before.get(host, 0) for host in after})


def measured_run(lab: dict, playbook: str, extra_args=()) -> dict:
    """One playbook run with its wall and CPU figures and the executions per host it caused."""
    before, lab_before = call_counts(lab["state_dir"]), process_cpu_seconds(lab["pid"])
    run = run_playbook(lab["inventory"], playbook, lab["forks"], lab["workdir"], extra_args)
    run["lab_cpu_s"] = round(process_cpu_seconds(lab["pid"]) - lab_before, 2)
    run["executions_per_host"] = executions_per_host(before, call_counts(lab["state_dir"]))
    return run


def median_run(runs: list) -> dict:
    """The medians of the figures of several runs of one play, with every run's wall time and outcome."""
    summary = {key: round(statistics.median(run[key] for run in runs), 2) for key in ("wall_s", "controller_cpu_s", "lab_cpu_s")}
    summary.update(walls_s=[run["wall_s"] for run in runs], rc=[run["rc"] for run in runs],
                   executions_per_host=sorted({count for run in runs for count in run["executions_per_host"]}),
                   failed_hosts=sorted({host for run in runs for host in run["failed_hosts"]}))
    return summary


def task_playbook(path: str, task: dict) -> str:
    """A play of one task on every host."""
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([{"name": "Bench", "hosts": "all", "gather_facts": False, "tasks": [task]}], handle, sort_keys=False)
    return path


def breakdown_plays(workdir: str) -> dict:
    """The inventory's parts: its script through win_powershell alone, and its first task alone."""
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader()  # the collection loader, to assemble the script as the action ships it
    from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script  # pylint: disable=import-outside-toplevel

    with open(PLAYBOOK, encoding="utf-8") as handle:
        inventory_task = yaml.safe_load(handle)[0]["tasks"][0]
    arguments = {"script": load_script("windows_certificate_inventory"),
                 "parameters": {"StoreLocation": ["LocalMachine"], "StoreName": ["My", "Root", "CA"]}}
    return {"win_powershell_script_only": (task_playbook(os.path.join(workdir, "script.yml"), {"ansible.windows.win_powershell": arguments}), ()),
            "read_runner_script_only": (task_playbook(os.path.join(workdir, "runner.yml"), {"certops.microsoft.win_read_script": arguments}), ()),
            "certificate_inventory_only": (task_playbook(os.path.join(workdir, "read.yml"), inventory_task), ())}


def plays(workdir: str, revision: str | None, breakdown: bool) -> dict:
    """name -> (playbook, extra ansible-playbook arguments) of every play the bench times."""
    report = ["-e", json.dumps({"certops_report_dir": os.path.join(workdir, "report")})]
    found = {"win_ping": (write_playbook(os.path.join(workdir, "win_ping.yml"), "ansible.windows.win_ping", 1), ()),
             "inventory": (PLAYBOOK, report)}
    if breakdown:
        found.update(breakdown_plays(workdir))
    if revision:
        baseline = ["-e", json.dumps({"certops_report_dir": os.path.join(workdir, "baseline-report")})]
        found[f"inventory@{revision}"] = (baseline_playbook(os.path.join(workdir, "baseline"), revision), baseline)
    return found


def measure(workdir: str, args) -> dict:
    """Every play --runs times in turns on one lab; medians and ratios to win_ping."""
    state_dir = os.path.join(workdir, "lab")
    inventory = lab_cli("up", estate_topology(os.path.join(workdir, "estate.yml"), args.hosts), "--state-dir", state_dir).strip()
    with open(os.path.join(state_dir, "pid"), encoding="ascii") as handle:
        lab = {"state_dir": state_dir, "inventory": inventory, "pid": int(handle.read()), "forks": args.forks, "workdir": workdir}
    named = plays(workdir, args.baseline_rev, args.breakdown)
    timed = {name: [] for name in named}
    try:
        for _round in range(args.runs):
            for name, (playbook, extra_args) in named.items():
                timed[name].append(measured_run(lab, playbook, extra_args))
    finally:
        lab_cli("down", "--state-dir", state_dir)
    summary = {name: median_run(runs) for name, runs in timed.items()}
    for row in summary.values():
        # On a machine shared with other jobs the CPU ratio moves less than the wall ratio.
        for figure in ("wall", "controller_cpu"):
            row[f"{figure}_over_win_ping"] = round(row[f"{figure}_s"] / summary["win_ping"][f"{figure}_s"], 3)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="runs of each play, in turns; figures are medians")
    parser.add_argument("--baseline-rev", help="also run playbooks/inventory.yml as it was at this git revision")
    parser.add_argument("--breakdown", action="store_true", help="also run the inventory's script alone and its first task alone")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="certops-inventory-bench-") as workdir:
        result = {"hosts": args.hosts, "forks": args.forks, "runs": args.runs, "plays": measure(workdir, args)}
    result.update(cpus=os.cpu_count(), load_average_1min={"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)})
    print(json.dumps(result, indent=2))
    return 0 if all(rc == 0 for row in result["plays"].values() for rc in row["rc"]) else 1


if __name__ == "__main__":
    sys.exit(main())
