# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures: start a lab in the test process, run real ``ansible-playbook`` against it.

Load with ``pytest_plugins = ["certops_lab.pytest_plugin"]`` in a conftest.py. Then::

    def test_ping(lab_factory):
        lab = lab_factory("small.yml")                   # a file in tests/lab/topologies, a path or a dict
        run = lab.run_playbook(PLAYBOOK, check=True)
        assert run.returncode == 0 and run.json["stats"]["basic01"]["failures"] == 0
        lab.state("basic01"); lab.audit(); lab.violations(); lab.add_fault("basic01", 3, "drop"); lab.clock.advance("+3d")

With an Entra tenant in the topology: ``lab.graph_url``, ``lab.add_graph_fault(at_call, kind, seconds)``,
``lab.graph_calls()``, ``lab.add_app_credential(client_id, certificate=PEM or secret=...)``, ``lab.signin_probe(domain)``.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from typing import Optional, Union

import pytest
import yaml

from certops_lab.lab import LabInstance
from certops_lab.topology import load_topology

LAB_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPOLOGY_DIR = os.path.join(LAB_ROOT, "topologies")
REPO_ROOT = os.path.dirname(os.path.dirname(LAB_ROOT))
CALLBACK_DIR = os.path.join(LAB_ROOT, "callback_plugins")


def resolve_topology(source: Union[str, dict], transports=None) -> dict:
    """Topology data from a shipped name, a path or a dict; ``transports`` overrides each host's
    transport (one name for every host, or a mapping host -> transport)."""
    if isinstance(source, dict):
        data = copy.deepcopy(source)
    else:
        path = source if os.path.exists(source) else os.path.join(TOPOLOGY_DIR, source)
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    if transports:
        hosts = data.setdefault("hosts", {}) or {}
        for name in hosts:
            wanted = transports if isinstance(transports, str) else transports.get(name)
            if wanted:
                hosts[name] = dict(hosts[name] or {}, transport=wanted)
    return data


def ansible_environment(workdir: str, extra: Optional[dict] = None) -> dict:
    """The environment of a test's ansible-playbook run: this checkout's collections, no proxies,
    the lab's JSON stdout callback, and temp/home dirs private to the test."""
    env = dict(os.environ)
    default_paths = os.pathsep.join([os.path.join(REPO_ROOT, ".build", "collections"), os.path.join(REPO_ROOT, ".collections")])
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.environ.get("ANSIBLE_COLLECTIONS_PATH", default_paths),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_STDOUT_CALLBACK": "certops_lab_json", "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR, "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-tmp"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"), "ANSIBLE_DEPRECATION_WARNINGS": "False",
    })
    env.pop("ANSIBLE_CONFIG", None)
    env.update(extra or {})
    return env


class PlaybookRun(subprocess.CompletedProcess):
    """A finished ansible-playbook run; ``json`` is the JSON callback's document (None if unparsable)."""

    def __init__(self, completed: subprocess.CompletedProcess):
        super().__init__(completed.args, completed.returncode, completed.stdout, completed.stderr)
        try:
            self.json = json.loads(completed.stdout)
        except ValueError:
            self.json = None

    @property
    def stats(self) -> dict:
        return (self.json or {}).get("stats", {})

    def results(self, task_name: str) -> dict:
        """Per-host results of the task named ``task_name`` (the last one with that name)."""
        found = {}
        for play in (self.json or {}).get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name:
                    found = task["hosts"]
        return found


def build_playbook_command(inventory: str, playbook: str, args, check: bool, diff: bool, extra_vars: Optional[dict]) -> list:
    executable = shutil.which("ansible-playbook")
    if executable is None:
        raise RuntimeError("ansible-playbook is not on PATH: put the venv's bin directory first in PATH")
    command = [executable, "-i", inventory, os.path.abspath(playbook), *args]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    return command


class LabClockView:
    """The lab clock as tests move it: moving it runs the product timers (AD FS rollover, Entra polling) in between."""

    def __init__(self, instance: LabInstance):
        self.instance = instance

    def now(self):
        return self.instance.runtime.clock.now()

    def set(self, value):
        return self.instance.move_clock(lambda: self.instance.runtime.clock.set(value))

    def advance(self, offset):
        return self.instance.move_clock(lambda: self.instance.runtime.clock.advance(offset))


class Lab:
    """Handle of a lab started for one test."""

    def __init__(self, instance: LabInstance):
        self.instance = instance
        self.inventory_path = instance.inventory_path
        self.state_dir = instance.state_dir
        self.ca_path = instance.ca_path

    @property
    def clock(self) -> LabClockView:
        return LabClockView(self.instance)

    @property
    def ports(self) -> dict:
        return dict(self.instance.ports)

    def state(self, host: str) -> dict:
        return self.instance.host_state(host)

    def audit(self) -> list:
        return self.instance.runtime.audit.records()

    def violations(self) -> list:
        return self.instance.violations()

    def add_fault(self, host: str, at_call: int, kind: str, seconds: float = 0.0, message: str = "") -> dict:
        return self.instance.fault_add(host, at_call, kind, seconds, message)

    def call_count(self, host: str) -> int:
        return self.instance.call_counts().get(host, 0)

    # --- the loopback Entra (topologies with products: entra:) ------------------------------------
    @property
    def graph_url(self) -> str:
        return self.instance.graph.base_url

    def add_graph_fault(self, at_call: int, kind: str, seconds: float = 1.0) -> dict:
        return self.instance.graph_fault_add(at_call, kind, seconds)

    def graph_calls(self) -> int:
        return self.instance.graph_calls()

    def add_app_credential(self, client_id: str, certificate: str = "", secret: str = "") -> dict:
        return self.instance.entra_add_app_credential(client_id, certificate, secret)

    def signin_probe(self, domain: str) -> dict:
        return self.instance.signin_probe(domain)

    def run_playbook(self, playbook: str, *args, check: bool = False, diff: bool = False, extra_vars: Optional[dict] = None,
                     env: Optional[dict] = None, timeout: float = 900) -> PlaybookRun:
        command = build_playbook_command(self.inventory_path, playbook, args, check, diff, extra_vars)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                                   env=ansible_environment(self.state_dir, env), cwd=self.state_dir)
        return PlaybookRun(completed)

    def stop(self) -> None:
        self.instance.stop()


@pytest.fixture
def lab_factory(tmp_path):
    """``lab_factory(topology, transports=None, state_dir=None) -> Lab``; every lab stops at teardown."""
    started = []

    def start(topology: Union[str, dict], transports=None, state_dir: Optional[str] = None) -> Lab:
        directory = state_dir or str(tmp_path / f"lab{len(started)}")
        instance = LabInstance(load_topology(resolve_topology(topology, transports)), directory)
        started.append(instance)
        return Lab(instance.start())

    yield start
    for instance in started:
        instance.stop()
