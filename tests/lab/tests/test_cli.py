# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m certops_lab``: up/down in the background, control commands, clear user errors."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

LAB_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMALL = os.path.join(LAB_ROOT, "topologies", "small.yml")


def lab_cli(*args, check=True):
    env = dict(os.environ, PYTHONPATH=LAB_ROOT)
    completed = subprocess.run([sys.executable, "-m", "certops_lab", *args], capture_output=True, text=True, env=env, timeout=180, check=False)
    if check and completed.returncode != 0:
        raise AssertionError(f"{args} failed ({completed.returncode}): {completed.stdout}{completed.stderr}")
    return completed


def started_lab(directory):
    state_dir = str(directory / "state")
    lab_cli("up", SMALL, "--state-dir", state_dir)
    return state_dir


def stopped(state_dir: str) -> None:
    if os.path.exists(os.path.join(state_dir, "control.json")):
        lab_cli("down", "--state-dir", state_dir, check=False)


@pytest.fixture(name="running_lab")
def running_lab_fixture(tmp_path):
    state_dir = started_lab(tmp_path)
    yield state_dir
    stopped(state_dir)


@pytest.fixture(name="shared_lab", scope="module")
def shared_lab_fixture(tmp_path_factory):
    """One lab for the tests that change nothing in it."""
    state_dir = started_lab(tmp_path_factory.mktemp("shared"))
    yield state_dir
    stopped(state_dir)


def test_up_writes_inventory_ca_pid_and_a_private_control_file(shared_lab):
    inventory = yaml.safe_load(open(os.path.join(shared_lab, "inventory.yml"), encoding="utf-8"))
    hosts = inventory["all"]["children"]["windows"]["hosts"]
    assert sorted(hosts) == ["basic01", "https01", "ntlm01"]
    assert hosts["https01"]["ansible_winrm_ca_trust_path"] == os.path.join(shared_lab, "lab-ca.pem")
    assert open(os.path.join(shared_lab, "lab-ca.pem"), encoding="ascii").read().startswith("-----BEGIN CERTIFICATE-----")
    pid = int(open(os.path.join(shared_lab, "pid"), encoding="ascii").read())
    os.kill(pid, 0)
    assert stat.S_IMODE(os.stat(os.path.join(shared_lab, "control.json")).st_mode) == 0o600


def test_clock_commands_show_set_and_advance(running_lab):
    assert lab_cli("clock", "show", "--state-dir", running_lab).stdout.strip() == "2026-01-01T00:00:00Z"
    assert lab_cli("clock", "advance", "+3d", "--state-dir", running_lab).stdout.strip() == "2026-01-04T00:00:00Z"
    assert lab_cli("clock", "set", "2026-06-01T12:00:00Z", "--state-dir", running_lab).stdout.strip() == "2026-06-01T12:00:00Z"


def test_fault_commands_add_list_and_clear(running_lab):
    added = json.loads(lab_cli("fault", "add", "basic01", "--at-call", "2", "--kind", "http500", "--state-dir", running_lab).stdout)
    assert (added["host"], added["at_call"], added["kind"]) == ("basic01", 2, "http500")
    assert [item["kind"] for item in json.loads(lab_cli("fault", "list", "--state-dir", running_lab).stdout)] == ["http500"]
    assert lab_cli("fault", "clear", "--state-dir", running_lab).stdout.strip() == "1"
    assert json.loads(lab_cli("fault", "list", "--state-dir", running_lab).stdout) == []


def test_state_prints_host_json_and_audit_and_violations_start_empty(shared_lab):
    state = json.loads(lab_cli("state", "basic01", "--state-dir", shared_lab).stdout)
    assert [entry["subject"] for entry in state["stores"]["LocalMachine\\My"]["entries"]] == ["CN=basic01.lab.test"]
    assert lab_cli("audit", "--state-dir", shared_lab).stdout == ""
    assert json.loads(lab_cli("calls", "--state-dir", shared_lab).stdout) == {}
    assert lab_cli("violations", "--state-dir", shared_lab).stdout == ""


def test_state_survives_down_and_up(running_lab):
    lab_cli("clock", "advance", "+10d", "--state-dir", running_lab)
    lab_cli("fault", "add", "ntlm01", "--at-call", "4", "--kind", "drop", "--state-dir", running_lab)
    ports = json.load(open(os.path.join(running_lab, "ports.json"), encoding="utf-8"))
    lab_cli("down", "--state-dir", running_lab)
    assert not os.path.exists(os.path.join(running_lab, "control.json"))
    lab_cli("up", SMALL, "--state-dir", running_lab)
    assert lab_cli("clock", "show", "--state-dir", running_lab).stdout.strip() == "2026-01-11T00:00:00Z"
    assert json.loads(lab_cli("fault", "list", "--state-dir", running_lab).stdout)[0]["host"] == "ntlm01"
    assert json.load(open(os.path.join(running_lab, "ports.json"), encoding="utf-8")) == ports


@pytest.mark.parametrize("args,message", [
    (["fault", "add", "nosuchhost", "--at-call", "1", "--kind", "drop"], "unknown host 'nosuchhost'"),
    (["fault", "add", "basic01", "--at-call", "0", "--kind", "drop"], "--at-call must be 1 or more"),
    (["fault", "add", "basic01", "--at-call", "1", "--kind", "slow"], "a slow fault needs --seconds"),
    (["clock", "advance", "soon"], "'soon' is not an offset"),
    (["clock", "set", "yesterday"], "'yesterday' is not an ISO 8601 time"),
    (["state", "nosuchhost"], "unknown host 'nosuchhost'"),
    (["up", SMALL], "a lab is already running"),
])
def test_user_errors_on_a_running_lab_are_one_clear_line(shared_lab, args, message):
    completed = lab_cli(*args, "--state-dir", shared_lab, check=False)
    assert completed.returncode == 2
    assert message in completed.stderr and "Traceback" not in completed.stderr


def test_commands_without_a_running_lab_say_how_to_start_one(tmp_path):
    completed = lab_cli("audit", "--state-dir", str(tmp_path), check=False)
    assert completed.returncode == 2 and "no lab is running with state dir" in completed.stderr


def test_up_with_an_invalid_topology_fails_before_starting(tmp_path):
    topology = tmp_path / "bad.yml"
    topology.write_text("hosts:\n  wfm01:\n    transport: kerberos\n", encoding="utf-8")
    completed = lab_cli("up", str(topology), "--state-dir", str(tmp_path / "state"), check=False)
    assert completed.returncode == 2
    assert "hosts.wfm01.transport: 'kerberos' is not one of basic, https, ntlm" in completed.stderr
    assert not os.path.exists(tmp_path / "state" / "pid")


def test_issue_writes_a_private_pfx_from_the_lab_ca_with_the_password_from_the_environment(tmp_path):
    pfx = tmp_path / "new.pfx"
    env = dict(os.environ, PYTHONPATH=LAB_ROOT, NEW_PFX_SECRET="Issue-Secret-1")
    completed = subprocess.run([sys.executable, "-m", "certops_lab", "issue", "--state-dir", str(tmp_path / "state"), "--subject", "CN=wfm.lab.test",
                                "--pfx", str(pfx), "--password-env", "NEW_PFX_SECRET"], capture_output=True, text=True, env=env, check=True)
    key, certificate, dummy = pkcs12.load_key_and_certificates(pfx.read_bytes(), b"Issue-Secret-1")
    assert key is not None and completed.stdout.strip() == certificate.fingerprint(hashes.SHA1()).hex().upper()
    assert stat.S_IMODE(os.stat(pfx).st_mode) == 0o600
    assert "Issue-Secret-1" not in completed.stdout + completed.stderr
    assert certificate.issuer.rfc4514_string() != certificate.subject.rfc4514_string()


def test_issue_without_a_password_is_a_user_error(tmp_path):
    completed = lab_cli("issue", "--state-dir", str(tmp_path / "state"), "--subject", "CN=x", "--pfx", str(tmp_path / "x.pfx"),
                        "--password-env", "CERTOPS_NO_SUCH_VARIABLE", check=False)
    assert completed.returncode == 2 and "a PFX password is required" in completed.stderr
