# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m certops_lab`` with an Entra tenant: the loopback Entra starts with ``up``, Graph faults, sign-in probe,
app credentials (a secret only from the environment), and the clock running AD FS's rollover and Entra's polling."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from adfs_entra_labdata import CLIENT, certificate_pem, client_certificate

LAB_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUTO = os.path.join(LAB_ROOT, "topologies", "adfs_entra_auto.yml")
SECRET = "Cli-Graph-Secret-31f~"


def lab_cli(*args, env=None, check=True):
    environment = dict(os.environ, PYTHONPATH=LAB_ROOT, **(env or {}))
    completed = subprocess.run([sys.executable, "-m", "certops_lab", *args], capture_output=True, text=True, env=environment, timeout=180,
                               check=False)
    if check and completed.returncode != 0:
        raise AssertionError(f"{args} failed ({completed.returncode}): {completed.stdout}{completed.stderr}")
    return completed


@pytest.fixture(name="lab", scope="module")
def lab_fixture(tmp_path_factory):
    state_dir = str(tmp_path_factory.mktemp("entra_cli") / "state")
    lab_cli("up", AUTO, "--state-dir", state_dir)
    yield state_dir
    lab_cli("down", "--state-dir", state_dir, check=False)


def test_up_serves_the_loopback_entra_and_publishes_it_in_the_inventory(lab):
    variables = yaml.safe_load(open(os.path.join(lab, "inventory.yml"), encoding="utf-8"))["all"]["vars"]
    port = json.load(open(os.path.join(lab, "graph.json"), encoding="utf-8"))["port"]
    assert variables["certops_lab_graph_endpoint"] == f"https://127.0.0.1:{port}"
    assert variables["certops_lab_adfs_metadata_urls"]["fs"].endswith("/federationmetadata/fs/2007-06/FederationMetadata.xml")


def test_graph_faults_are_planned_listed_and_cleared(lab):
    added = json.loads(lab_cli("graph", "fault", "--at-call", "3", "--kind", "throttle", "--seconds", "2", "--state-dir", lab).stdout)
    assert added == {"at_call": 3, "kind": "throttle", "seconds": 2.0, "fired": False}
    assert len(json.loads(lab_cli("graph", "list", "--state-dir", lab).stdout)) == 1
    assert lab_cli("graph", "clear", "--state-dir", lab).stdout.strip() == "1"
    assert lab_cli("graph", "calls", "--state-dir", lab).stdout.strip() == "0"


def test_a_bad_graph_fault_is_a_user_error(lab):
    refused = lab_cli("graph", "fault", "--state-dir", lab, check=False)
    assert refused.returncode == 2 and refused.stderr.startswith("error: graph fault needs --at-call N and --kind")


def test_credentials_are_registered_and_a_secret_never_reaches_the_state(lab, tmp_path):
    path = tmp_path / "graph.pem"
    path.write_text(certificate_pem(client_certificate()[0]), encoding="ascii")
    assert json.loads(lab_cli("entra", "credential", str(path), "--client-id", CLIENT, "--state-dir", lab).stdout)["certificates"] == 1
    added = json.loads(lab_cli("entra", "credential", "--client-id", CLIENT, "--state-dir", lab, env={"CERTOPS_LAB_GRAPH_SECRET": SECRET}).stdout)
    assert added["secrets"] == 1
    state = lab_cli("entra", "state", "--state-dir", lab).stdout
    assert SECRET not in state and "********" in state
    lab_cli("down", "--state-dir", lab)
    assert not any(SECRET.encode() in open(os.path.join(root, name), "rb").read() for root, _dirs, names in os.walk(lab) for name in names)
    lab_cli("up", AUTO, "--state-dir", lab)


def test_moving_the_clock_past_promotion_without_a_push_fails_sign_ins(lab):
    assert json.loads(lab_cli("entra", "probe", "lab.test", "--state-dir", lab).stdout)["accepted"] is True
    lab_cli("clock", "advance", "+4d", "--state-dir", lab)
    probe = json.loads(lab_cli("entra", "probe", "lab.test", "--state-dir", lab).stdout)
    assert probe["accepted"] is False
    violations = [json.loads(line) for line in lab_cli("violations", "--state-dir", lab).stdout.splitlines()]
    assert violations and violations[0]["host"] == "clock"
