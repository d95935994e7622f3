# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure the lab at scale: module executions per second, lab CPU against controller CPU, and
a 200-host win_ping run next to ansible.builtin.ping against 200 local hosts.

    PATH=.venv/bin:$PATH python tests/bench/lab_scale.py [--hosts 200] [--tasks 5] [--forks 20 50]

The lab runs as its own process (``python -m certops_lab up``), so its CPU time is read from
/proc/<pid>/stat; the controller's CPU is ansible-playbook's and its workers' (RUSAGE_CHILDREN).
Prints one JSON document.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(REPO, "tests", "lab")
sys.path.insert(0, LAB)

from certops_lab.pytest_plugin import ansible_environment  # noqa: E402  pylint: disable=wrong-import-position


def lab_cli(*args) -> str:
    env = dict(os.environ, PYTHONPATH=LAB)
    return subprocess.run([sys.executable, "-m", "certops_lab", *args], check=True, capture_output=True, text=True, env=env).stdout


def process_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_playbook(path: str, module: str, tasks: int) -> str:
    play = {"name": "Bench", "hosts": "all", "gather_facts": False,
            "tasks": [{"name": f"Ping {number}", module: {}} for number in range(1, tasks + 1)]}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump([play], handle, sort_keys=False)
    return path


def run_playbook(inventory: str, playbook: str, forks: int, workdir: str, extra_args=()) -> dict:
    """Wall and controller CPU seconds of one ansible-playbook run (``extra_args`` added to its
    command line, e.g. ``-e`` variables), and its stats."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(["ansible-playbook", "-i", inventory, "-f", str(forks), *extra_args, playbook], capture_output=True, text=True,
                               env=ansible_environment(workdir), check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = json.loads(completed.stdout)["stats"] if completed.stdout.strip().startswith("{") else {}
    return {"rc": completed.returncode, "wall_s": round(wall, 2),
            "controller_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
            "failed_hosts": sorted(host for host, item in stats.items() if item["failures"] or item["unreachable"]),
            "stderr_tail": completed.stderr[-500:] if completed.returncode else ""}


def local_inventory(path: str, hosts: int) -> str:
    names = {f"node{number:03d}": None for number in range(1, hosts + 1)}
    data = {"all": {"hosts": names, "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    return path


def scale_topology(path: str, hosts: int) -> str:
    data = {"clock": "2026-01-01T00:00:00Z", "defaults": {"transport": "basic"}, "hosts": {},
            "host_series": [{"prefix": "node", "count": hosts, "roles": ["generic"]}]}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    return path


def measure_lab(workdir: str, hosts: int, tasks: int, forks_list: list) -> dict:
    state_dir = os.path.join(workdir, "lab")
    inventory = lab_cli("up", scale_topology(os.path.join(workdir, "scale.yml"), hosts), "--state-dir", state_dir).strip()
    pid = int(open(os.path.join(state_dir, "pid"), encoding="ascii").read())
    playbook = write_playbook(os.path.join(workdir, "win_ping.yml"), "ansible.windows.win_ping", tasks)
    runs = {}
    try:
        for forks in forks_list:
            lab_before = process_cpu_seconds(pid)
            run = run_playbook(inventory, playbook, forks, workdir)
            run["lab_cpu_s"] = round(process_cpu_seconds(pid) - lab_before, 2)
            run["module_executions_per_s"] = round(hosts * tasks / run["wall_s"], 1)
            run["lab_cpu_share_of_controller"] = round(run["lab_cpu_s"] / max(run["controller_cpu_s"], 1e-9), 3)
            runs[f"forks_{forks}"] = run
    finally:
        lab_cli("down", "--state-dir", state_dir)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=5, help="win_ping tasks per play (module executions = hosts x tasks)")
    parser.add_argument("--forks", type=int, nargs="+", default=[20, 50])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="certops-lab-bench-") as workdir:
        result = {"hosts": args.hosts, "tasks": args.tasks, "winrm_lab": measure_lab(workdir, args.hosts, args.tasks, args.forks)}
        local_playbook = write_playbook(os.path.join(workdir, "ping.yml"), "ansible.builtin.ping", args.tasks)
        local = local_inventory(os.path.join(workdir, "local.yml"), args.hosts)
        result["local_ping"] = {f"forks_{forks}": run_playbook(local, local_playbook, forks, workdir) for forks in args.forks}
    print(json.dumps(result, indent=2))
    return 0 if all(run["rc"] == 0 for group in ("winrm_lab", "local_ping") for run in result[group].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
