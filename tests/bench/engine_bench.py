# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the Workflow Manager rotation's plan and rotation against a one-task win_ping play on
the same four lab hosts (two Workflow Manager hosts, two SharePoint servers), and the WinRM
executions per host each makes, read from the lab's audit.

    PATH=.venv/bin:$PATH python tests/bench/engine_bench.py [--runs 5] [--repo PATH]

``--repo`` measures another checkout of this collection (e.g. a `git worktree` of an older commit)
with its own lab and role, so that before and after are measured side by side on one machine in
one session. Each plan or rotation run is paired with a win_ping run made just before it on the same
lab (so both see the same load); the figures are medians over ``--runs`` pairs of the wall-time
ratio and of the controller CPU ratio (ansible-playbook and its workers), the CPU ratio being the
steadier one on a shared machine. Each rotation runs on a fresh lab. It is a script, not a test:
figures are printed (JSON), not asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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
    """wfm01, wfm02 (one Workflow Manager farm), sp01, sp02 (one SharePoint farm), written with only the
    topology keys every version of the lab reads, so that an older checkout measures the same estate."""
    certificate = {"subject": "CN=wfm.lab.test", "not_before": "-345d", "not_after": "+20d", "acl": ["LAB\\svc-wfm"]}
    data = {"clock": "now", "defaults": {"username": "labadmin", "password": "Lab-Passw0rd!", "transport": "basic"},
            "hosts": {"wfm01": {"roles": ["wfm"], "certificates": [dict(certificate, id="wfm-outbound")]},
                      "wfm02": {"roles": ["wfm"], "certificates": [dict(certificate, id="wfm-outbound-02")]},
                      "sp01": {"roles": ["sharepoint"]}, "sp02": {"roles": ["sharepoint"]}},
            "products": {"wfm": [{"name": "wfm", "service_uri": "https://wfm.lab.test:12290/", "hosts": ["wfm01", "wfm02"],
                                  "service_account": "LAB\\svc-wfm", "outbound_certificate": "cert:wfm-outbound"}],
                         "sharepoint": [{"name": "sp", "hosts": ["sp01", "sp02"], "workflow_farm": "wfm"}]}}
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
        started, cpu = time.monotonic(), children_cpu()
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.repo, check=False)
        return {"rc": completed.returncode, "wall_s": time.monotonic() - started, "cpu_s": children_cpu() - cpu,
                "tail": completed.stdout[-800:] if completed.returncode else ""}

    def calls(self, state_dir: str) -> dict:
        return json.loads(self.lab("calls", "--state-dir", state_dir))

    def start(self, name: str) -> tuple:
        state_dir = os.path.join(self.workdir, name)
        inventory = self.lab("up", four_host_topology(os.path.join(self.workdir, "four.yml")), "--state-dir", state_dir).strip()
        return state_dir, inventory


def children_cpu() -> float:
    """CPU seconds of finished child processes (ansible-playbook and its workers): steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def paired(ping: dict, run: dict) -> dict:
    """One measurement with the win_ping run made right before it, so that both saw the same load."""
    assert run["rc"] == 0, run["tail"]
    return {"wall_ratio": run["wall_s"] / ping["wall_s"], "cpu_ratio": run["cpu_s"] / ping["cpu_s"], "wall_s": run["wall_s"],
            "ping_wall_s": ping["wall_s"]}


def role_vars(pfx: str) -> dict:
    return {"certops_rotate_wfm_sharepoint": True, "wfm_sharepoint_pfx_path": pfx, "wfm_sharepoint_pfx_password": os.environ[PFX_PASSWORD_ENV],
            "wfm_sharepoint_service_uri": "https://wfm.lab.test:12290/", "wfm_sharepoint_service_account": "LAB\\svc-wfm"}


def new_pfx(checkout: Checkout, state_dir: str) -> str:
    path = os.path.join(state_dir, "new.pfx")
    checkout.lab("issue", "--state-dir", state_dir, "--subject", "CN=wfm.lab.test", "--pfx", path, "--password-env", PFX_PASSWORD_ENV)
    return path


def delta(after: dict, before: dict) -> dict:
    return {host: after.get(host, 0) - before.get(host, 0) for host in HOSTS}


def ping_and_plan(checkout: Checkout, runs: int) -> tuple:
    """``runs`` pairs (win_ping, then the plan in check mode) on one lab; the calls of one plan."""
    state_dir, inventory = checkout.start("lab-plan")
    try:
        ping = write_playbook(os.path.join(checkout.workdir, "ping.yml"), "ansible.windows.win_ping", 1)
        rotate, variables = os.path.join(checkout.repo, "playbooks", "rotate.yml"), role_vars(new_pfx(checkout, state_dir))
        pairs, calls = [], {}
        for _run in range(runs):
            baseline, before = checkout.playbook(inventory, ping), checkout.calls(state_dir)
            pairs.append(paired(baseline, checkout.playbook(inventory, rotate, "--check", extra_vars=variables)))
            calls = delta(checkout.calls(state_dir), before)
    finally:
        checkout.lab("down", "--state-dir", state_dir)
    return pairs, calls


def rotation(checkout: Checkout, number: int) -> tuple:
    """(win_ping then the rotation on a fresh lab, calls per host of the rotation)."""
    state_dir, inventory = checkout.start(f"lab-rotation-{number}")
    try:
        variables = role_vars(new_pfx(checkout, state_dir))
        baseline = checkout.playbook(inventory, write_playbook(os.path.join(checkout.workdir, "ping.yml"), "ansible.windows.win_ping", 1))
        before = checkout.calls(state_dir)
        run = checkout.playbook(inventory, os.path.join(checkout.repo, "playbooks", "rotate.yml"), extra_vars=variables)
        calls = delta(checkout.calls(state_dir), before)
    finally:
        checkout.lab("down", "--state-dir", state_dir)
    return paired(baseline, run), calls


def medians(pairs: list) -> dict:
    return {key: round(statistics.median(pair[key] for pair in pairs), 2) for key in pairs[0]}


def measure(repo: str, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="certops-engine-bench-") as workdir:
        checkout = Checkout(repo, workdir)
        plans, plan_calls = ping_and_plan(checkout, runs)
        rotations = [rotation(checkout, number) for number in range(runs)]
    return {"plan": {**medians(plans), "calls": plan_calls}, "rotation": {**medians([pair for pair, _calls in rotations]), "calls": rotations[0][1]}}


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
