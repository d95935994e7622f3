# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the Workflow Manager rotation's plan and rotation against a one-task win_ping play on
the same four lab hosts (two Workflow Manager hosts, two SharePoint servers), and the WinRM
executions per host each makes, read from the lab's audit.

    PATH=.venv/bin:$PATH python tests/bench/engine_bench.py [--runs 5] [--repo PATH]

``--repo`` measures another checkout of this collection (e.g. a `git worktree` of an older commit)
with its own lab and role, so that before and after are measured side by side on one machine in
one session. Wall times are medians over ``--runs`` runs; each rotation runs on a fresh lab. It is
a script, not a test: figures are printed (JSON), not asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from lab_scale import write_playbook  # noqa: E402  pylint: disable=wrong-import-position
from certops_lab.pytest_plugin import ansible_environment  # noqa: E402  pylint: disable=wrong-import-position

PFX_PASSWORD_ENV = "CERTOPS_BENCH_PFX_PASSWORD"
HOSTS = ("wfm01", "wfm02", "sp01", "sp02")


def four_host_topology(path: str) -> str:
    """The two-farm topology of the tests without its second farm: wfm01, wfm02, sp01, sp02."""
    with open(os.path.join(REPO, "tests", "lab", "topologies", "wfm_sharepoint_two_farms.yml"), encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    del data["hosts"]["sp11"]
    data["products"]["sharepoint"] = data["products"]["sharepoint"][:1]
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)
    return path


class Checkout:
    """One checkout of the collection: its lab, its playbooks, its collection path."""

    def __init__(self, repo: str, workdir: str):
        self.repo = os.path.abspath(repo)
        self.workdir = workdir
        link = os.path.join(workdir, "collections", "ansible_collections", "certops")
        os.makedirs(link, exist_ok=True)
        os.symlink(self.repo, os.path.join(link, "microsoft"))
        self.collections = os.pathsep.join([os.path.join(workdir, "collections"), os.path.join(REPO, ".collections")])

    def lab(self, *args) -> str:
        env = dict(os.environ, PYTHONPATH=os.path.join(self.repo, "tests", "lab"))
        return subprocess.run([sys.executable, "-m", "certops_lab", *args], check=True, capture_output=True, text=True, env=env,
                              cwd=self.repo).stdout

    def playbook(self, inventory: str, playbook: str, *args, extra_vars=None) -> dict:
        env = ansible_environment(self.workdir, {"ANSIBLE_COLLECTIONS_PATH": self.collections})
        command = ["ansible-playbook", "-i", inventory, playbook, *args]
        command += ["-e", json.dumps(extra_vars)] if extra_vars else []
        started = time.monotonic()
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.repo, check=False)
        return {"rc": completed.returncode, "wall_s": time.monotonic() - started, "tail": completed.stdout[-800:] if completed.returncode else ""}

    def calls(self, state_dir: str) -> dict:
        return json.loads(self.lab("calls", "--state-dir", state_dir))

    def start(self, name: str) -> tuple:
        state_dir = os.path.join(self.workdir, name)
        inventory = self.lab("up", four_host_topology(os.path.join(self.workdir, "four.yml")), "--state-dir", state_dir).strip()
        return state_dir, inventory


def role_vars(pfx: str) -> dict:
    return {"wfm_sharepoint_pfx_path": pfx, "wfm_sharepoint_pfx_password": os.environ[PFX_PASSWORD_ENV],
            "wfm_sharepoint_service_uri": "https://wfm.lab.test:12290/", "wfm_sharepoint_service_account": "LAB\\svc-wfm"}


def new_pfx(checkout: Checkout, state_dir: str) -> str:
    path = os.path.join(state_dir, "new.pfx")
    checkout.lab("issue", "--state-dir", state_dir, "--subject", "CN=wfm.lab.test", "--pfx", path, "--password-env", PFX_PASSWORD_ENV)
    return path


def delta(after: dict, before: dict) -> dict:
    return {host: after.get(host, 0) - before.get(host, 0) for host in HOSTS}


def ping_and_plan(checkout: Checkout, runs: int) -> dict:
    """win_ping and the plan (check mode) on one lab, ``runs`` times each; the calls of one plan."""
    state_dir, inventory = checkout.start("lab-plan")
    try:
        ping = write_playbook(os.path.join(checkout.workdir, "ping.yml"), "ansible.windows.win_ping", 1)
        pings = [checkout.playbook(inventory, ping)["wall_s"] for _ in range(runs)]
        rotate, variables = os.path.join(checkout.repo, "playbooks", "rotate.yml"), role_vars(new_pfx(checkout, state_dir))
        before = checkout.calls(state_dir)
        plans = [checkout.playbook(inventory, rotate, "--check", extra_vars=variables) for _ in range(runs)]
        calls = {host: count // runs for host, count in delta(checkout.calls(state_dir), before).items()}
    finally:
        checkout.lab("down", "--state-dir", state_dir)
    assert all(plan["rc"] == 0 for plan in plans), plans[0]["tail"]
    return {"win_ping_s": statistics.median(pings), "plan_s": statistics.median(plan["wall_s"] for plan in plans), "plan_calls": calls}


def rotation(checkout: Checkout, number: int) -> tuple:
    """(wall seconds, calls per host) of one rotation on a fresh lab."""
    state_dir, inventory = checkout.start(f"lab-rotation-{number}")
    try:
        variables = role_vars(new_pfx(checkout, state_dir))
        before = checkout.calls(state_dir)
        run = checkout.playbook(inventory, os.path.join(checkout.repo, "playbooks", "rotate.yml"), extra_vars=variables)
        calls = delta(checkout.calls(state_dir), before)
    finally:
        checkout.lab("down", "--state-dir", state_dir)
    assert run["rc"] == 0, run["tail"]
    return run["wall_s"], calls


def measure(repo: str, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="certops-engine-bench-") as workdir:
        checkout = Checkout(repo, workdir)
        result = ping_and_plan(checkout, runs)
        rotations = [rotation(checkout, number) for number in range(max(1, runs // 2 + 1))]
    result.update(rotation_s=statistics.median(wall for wall, _ in rotations), rotation_calls=rotations[0][1])
    result.update(plan_ratio=round(result["plan_s"] / result["win_ping_s"], 2), rotation_ratio=round(result["rotation_s"] / result["win_ping_s"], 2))
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in result.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repo", default=REPO, help="checkout of the collection to measure (default: this one)")
    args = parser.parse_args()
    os.environ.setdefault(PFX_PASSWORD_ENV, "Bench-Pfx-Passw0rd")
    print(json.dumps({"repo": os.path.abspath(args.repo), "runs": args.runs, **measure(args.repo, args.runs)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
