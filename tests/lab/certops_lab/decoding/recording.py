# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record what a real ansible-playbook sends over WinRM, per scenario, for golden decode tests.

A scenario is a small play plus what the decoder must find in it, written from Ansible's
documented behaviour (``declared``: ordered, each entry a subset of the decoded call), not from
the decoder's output. ``CaptureRuntime`` keeps every ExecRequest and answers with plausible
results so action plugins proceed (win_copy's query/single exchange, fetch's stat + chunks);
the lab's own WS-Man server (HTTP Basic on 127.0.0.1) carries the traffic.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Optional

import yaml

from certops_lab.contracts import ExecRequest, ExecResult, InternalAction, ModuleCall, RawCommand
from certops_lab.decoding import DecodeError, decode_exec
from certops_lab.wsman import LabServer

COPY_CONTENT = b"certops lab: a small file for win_copy\r\n"
FETCH_CONTENT = b"certops lab: a small file to fetch\r\n"
FETCH_SOURCE = "C:\\lab\\fetch-me.txt"
TEMP_DIR = "C:\\Users\\lab\\AppData\\Local\\Temp"
BECOME_PASSWORD = "Lab-Become-Pass-1"
PFX_PASSWORD = "Lab-Pfx-Pass-1"
RECORDED_HOST, USER, PASSWORD = "recorded", "lab", "lab-password"
MARKER_SCRIPT = ("# certops-script: test_marker\n[CmdletBinding()]\nparam([string]$Name, [int]$Count)\n"
                 "$Ansible.Changed = $false\n@{ name = $Name; count = $Count }\n")
PARAMETERS = {"Name": "lab's value", "Count": 2}


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def module(name: str, args: Optional[dict] = None, **flags) -> dict:
    return {"type": "module", "name": name, "args": args or {}, **flags}


def internal(kind: str, params: Optional[dict] = None, **extra) -> dict:
    return {"type": "internal", "kind": kind, "params": params or {}, **extra}


@dataclass
class Scenario:
    name: str
    tasks: list
    declared: list
    gather_facts: bool = False
    cli_args: list = field(default_factory=list)


def _copy_scenario() -> Scenario:
    dest = "C:\\lab\\copied.txt"
    return Scenario("win_copy", [{"ansible.windows.win_copy": {"src": "{{ copy_source }}", "dest": dest}}], [
        module("ansible.windows.win_copy", {"_copy_mode": "query", "files": [{"dest": "copied.txt", "checksum": sha1(COPY_CONTENT)}]}),
        internal("mkdtemp"),
        internal("put_file", data={"sha1": sha1(COPY_CONTENT), "size": len(COPY_CONTENT)}),
        module("ansible.windows.win_copy", {"_copy_mode": "single", "dest": dest, "_original_basename": "copy-source.txt"}),
        internal("cleanup"),
    ])


SCENARIOS = (
    Scenario("win_ping", [{"ansible.windows.win_ping": {}}], [module("ansible.windows.win_ping", check_mode=False, no_log=False)]),
    Scenario("win_powershell_parameters", [{"ansible.windows.win_powershell": {"script": MARKER_SCRIPT, "parameters": PARAMETERS}}],
             [module("ansible.windows.win_powershell", {"script": MARKER_SCRIPT, "parameters": PARAMETERS})]),
    Scenario("check_mode_diff", [{"ansible.windows.win_file": {"path": "C:\\lab\\planned", "state": "directory"}}],
             [module("ansible.windows.win_file", {"path": "C:\\lab\\planned"}, check_mode=True, diff=True)], cli_args=["--check", "--diff"]),
    Scenario("no_log", [{"ansible.windows.win_powershell": {"script": MARKER_SCRIPT, "parameters": PARAMETERS}, "no_log": True}],
             [module("ansible.windows.win_powershell", {"parameters": PARAMETERS}, no_log=True)]),
    Scenario("become_runas", [{"ansible.windows.win_whoami": {}, "become": True, "become_method": "runas", "become_user": "labsvc",
                               "vars": {"ansible_become_password": BECOME_PASSWORD}}],
             [module("ansible.windows.win_whoami", become={"user": "labsvc"})]),
    Scenario("raw", [{"ansible.builtin.raw": "echo lab-raw"}], [{"type": "raw", "script": "echo lab-raw"}]),
    _copy_scenario(),
    Scenario("fetch", [{"ansible.builtin.fetch": {"src": FETCH_SOURCE, "dest": "{{ fetch_dest }}", "flat": True}}], [
        module("ansible.windows.win_stat", {"path": FETCH_SOURCE}),
        internal("fetch_file", {"Path": FETCH_SOURCE, "Offset": 0}),
    ]),
    Scenario("gather_facts", [], [module("ansible.windows.setup")], gather_facts=True),
    Scenario("win_certificate_store", [{"ansible.windows.win_certificate_store": {
        "path": "C:\\lab\\service.pfx", "password": PFX_PASSWORD, "state": "present", "key_exportable": False}, "no_log": True}],
        [module("ansible.windows.win_certificate_store", {"path": "C:\\lab\\service.pfx", "key_exportable": False}, no_log=True)]),
    Scenario("win_file", [{"ansible.windows.win_file": {"path": "C:\\lab\\dir", "state": "directory"}}],
             [module("ansible.windows.win_file", {"path": "C:\\lab\\dir", "state": "directory"}, check_mode=False, diff=False)]),
)
SCENARIOS_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


# --- what the decoder found, as JSON ----------------------------------------------------------
def _jsonable(value):
    if isinstance(value, bytes):
        return {"sha1": sha1(value), "size": len(value)}
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def describe(decoded) -> dict:
    """The decoded call as JSON (bytes as sha1 + size); ``type`` says which kind it is."""
    kinds = {ModuleCall: "module", InternalAction: "internal", RawCommand: "raw"}
    return {"type": kinds[type(decoded)], **_jsonable(dataclasses.asdict(decoded))}


def describe_request(request: ExecRequest) -> dict:
    try:
        return describe(decode_exec(request))
    except DecodeError as error:
        return {"type": "error", "message": str(error)}


def is_subset(expected, actual) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and is_subset(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(map(is_subset, expected, actual))
    return expected == actual


def declared_problems(declared: list, described: list) -> list:
    """Why the decoded calls do not match the scenario's declared calls (empty when they do)."""
    if len(declared) != len(described):
        return [f"declared {len(declared)} calls, decoded {len(described)}: {[item.get('name') or item.get('kind') or item['type'] for item in described]}"]
    return [f"call {number}: expected {want}, decoded {got}" for number, (want, got) in enumerate(zip(declared, described), 1)
            if not is_subset(want, got)]


# --- the capturing runtime ------------------------------------------------------------------
def _module_result(call: ModuleCall) -> dict:
    mode = call.args.get("_copy_mode")
    if mode == "query":
        return {"changed": False, "files": call.args.get("files", []), "directories": [], "symlinks": []}
    if mode == "single":
        return {"changed": True, "dest": call.args.get("dest"), "checksum": sha1(COPY_CONTENT), "size": len(COPY_CONTENT)}
    if call.name == "ansible.windows.win_stat":
        return {"changed": False, "stat": {"exists": True, "isdir": False, "checksum": sha1(FETCH_CONTENT), "size": len(FETCH_CONTENT)}}
    if call.name == "ansible.windows.setup":
        return {"changed": False, "ansible_facts": {"ansible_os_family": "Windows", "ansible_system": "Win32NT", "ansible_hostname": "RECORDED"}}
    if call.name == "ansible.windows.win_powershell":
        return {"changed": False, "output": [], "result": {}, "host_out": "", "host_err": "", "error": [], "warning": [],
                "verbose": [], "debug": [], "information": []}
    return {"changed": False}


def _internal_stdout(action: InternalAction) -> bytes:
    params = action.params
    if action.kind == "mkdtemp":
        return f"{TEMP_DIR}\\{params.get('Name')}\r\n".encode()
    if action.kind == "expand_user":
        return ("C:\\Users\\lab" + str(params.get("Path", "~"))[1:] + "\r\n").encode()
    if action.kind == "put_file":
        return json.dumps({"sha1": sha1(action.data)}).encode()
    if action.kind == "fetch_file":
        offset, size = int(params.get("Offset", 0)), int(params.get("BufferSize", 524288))
        return base64.b64encode(FETCH_CONTENT[offset:offset + size])
    return b""


class CaptureRuntime:
    """Keeps every ExecRequest; answers modules with ``{"changed": false, ...}`` and plumbing plausibly."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()

    def take(self) -> list:
        with self.lock:
            taken, self.requests = self.requests, []
        return taken

    def execute(self, request: ExecRequest) -> ExecResult:
        with self.lock:
            self.requests.append(request)
        try:
            decoded = decode_exec(request)
        except DecodeError as error:
            return ExecResult(stderr=str(error).encode(), rc=1)
        if isinstance(decoded, ModuleCall):
            return ExecResult(stdout=json.dumps(_module_result(decoded)).encode())
        if isinstance(decoded, InternalAction):
            return ExecResult(stdout=_internal_stdout(decoded))
        return ExecResult(stdout=b"lab-raw\r\n")


# --- running ansible-playbook against the endpoint -------------------------------------------
def _inventory(port: int) -> dict:
    host = {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_connection": "winrm", "ansible_winrm_scheme": "http",
            "ansible_winrm_transport": "basic", "ansible_user": USER, "ansible_password": PASSWORD,
            "ansible_winrm_connection_timeout": 20}
    return {"all": {"hosts": {RECORDED_HOST: host}}}


def _playbook(scenario: Scenario, workdir: str) -> list:
    variables = {"copy_source": os.path.join(workdir, "copy-source.txt"), "fetch_dest": os.path.join(workdir, "fetched.txt")}
    return [{"name": scenario.name, "hosts": RECORDED_HOST, "gather_facts": scenario.gather_facts, "vars": variables,
             "tasks": scenario.tasks}]


def _environment(workdir: str) -> dict:
    environment = dict(os.environ, ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_HOST_KEY_CHECKING="False",
                       NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    environment.pop("ANSIBLE_CONFIG", None)
    return environment


def run_playbook(ansible_playbook: str, port: int, scenario: Scenario, workdir: str) -> subprocess.CompletedProcess:
    for name, content in (("copy-source.txt", COPY_CONTENT),):
        with open(os.path.join(workdir, name), "wb") as handle:
            handle.write(content)
    paths = {"inventory.yml": _inventory(port), f"{scenario.name}.yml": _playbook(scenario, workdir)}
    for name, data in paths.items():
        with open(os.path.join(workdir, name), "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle)
    command = [ansible_playbook, "-i", os.path.join(workdir, "inventory.yml"), os.path.join(workdir, f"{scenario.name}.yml")]
    return subprocess.run(command + scenario.cli_args, cwd=workdir, env=_environment(workdir), capture_output=True, text=True,
                          timeout=300, check=False)


@dataclass
class Recording:
    scenario: str
    requests: list
    described: list
    problems: list
    returncode: int
    output: str


def record_scenarios(ansible_playbook: str, scenarios=SCENARIOS) -> list:
    """Run each scenario's play once against a capturing endpoint; one Recording per scenario."""
    runtime, recordings = CaptureRuntime(), []
    server = LabServer(lambda _name: runtime)
    port = server.add_host(RECORDED_HOST, transport="basic", username=USER, password=PASSWORD)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="certops-record-") as workdir:
            recordings = [_record(ansible_playbook, port, scenario, runtime, workdir) for scenario in scenarios]
    finally:
        server.stop()
    return recordings


def _record(ansible_playbook: str, port: int, scenario: Scenario, runtime: CaptureRuntime, workdir: str) -> Recording:
    finished = run_playbook(ansible_playbook, port, scenario, workdir)
    requests = runtime.take()
    described = [describe_request(request) for request in requests]
    problems = declared_problems(scenario.declared, described)
    if finished.returncode != 0:
        problems.insert(0, f"ansible-playbook exited {finished.returncode}")
    return Recording(scenario.name, requests, described, problems, finished.returncode,
                     finished.stdout[-3000:] + finished.stderr[-3000:])
