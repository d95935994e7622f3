# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rehearsal on a twin (docs/rehearsal.md): playbooks/export_topology.yml on `make demo`'s estate writes a topology; a
second lab started from it gives the same estate report (same certificates, roles, findings and deadlines, thumbprints
mapped through source_thumbprint); tools/rehearse.sh rotates every product on the twin with 0 invariant violations; the
lab installs and runs from its wheel."""
from __future__ import annotations

import datetime
import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

from certops_lab.pytest_plugin import REPO_ROOT, ansible_environment
from certops_lab.rehearsal import write_twin_variables
from wfm_sharepoint_lab import dump, mutating

sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import demo_estate  # noqa: E402  pylint: disable=wrong-import-position

EXPORT = os.path.join(REPO_ROOT, "playbooks", "export_topology.yml")
REPORT = os.path.join(REPO_ROOT, "playbooks", "report.yml")
AS_OF = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
SECRET_KEYS = ("adfs_entra_signing_pfx_password", "adfs_entra_graph_client_secret", "wfm_sharepoint_pfx_password")


def started(topology: dict, state_dir: str):
    from certops_lab.lab import LabInstance   # pylint: disable=import-outside-toplevel
    from certops_lab.pytest_plugin import Lab  # pylint: disable=import-outside-toplevel
    from certops_lab.topology import load_topology   # pylint: disable=import-outside-toplevel
    return Lab(LabInstance(load_topology(topology), state_dir).start())


def in_process(lab):
    return lambda _state_dir, operation, **arguments: lab.instance.operations()[operation](**arguments)


def write_json(path: str, data: dict) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


@pytest.fixture(name="exported", scope="module")
def exported_fixture(tmp_path_factory):
    """The demo estate, exported once (check mode: the export only reads the hosts; its files are still written)."""
    work = tmp_path_factory.mktemp("export")
    lab = started(demo_estate.estate_topology(), str(work / "lab"))
    lab.variables = demo_estate.rotation_variables(lab.state_dir, str(work), lambda operation, **arguments: lab.instance.operations()[operation](**arguments))
    lab.variables_file = write_json(str(work / "vars.json"), lab.variables)
    lab.topology, lab.report = str(work / "twin.yml"), str(work / "report")
    lab.export_vars = {"certops_report_dir": lab.report, "certops_as_of": AS_OF, "certops_topology": lab.topology, "certops_topology_clock": "as_of"}
    lab.run = lab.run_playbook(EXPORT, check=True, extra_vars={**lab.variables, **lab.export_vars})
    yield lab
    lab.stop()


def thumbprints_back(text: str, state_dir: str) -> str:
    """The twin's thumbprints in ``text`` replaced by the real ones they stand for."""
    with open(os.path.join(state_dir, "twin-thumbprints.json"), encoding="utf-8") as handle:
        for real, twin in json.load(handle).items():
            text = text.replace(twin, real)
    return text


def comparable(report_dir: str, state_dir: str = "") -> dict:
    """The report's rows in a stable order (the report sorts by thumbprint, which differs on the twin)."""
    with open(os.path.join(report_dir, "estate.json"), encoding="utf-8") as handle:
        text = handle.read()
    document = json.loads(thumbprints_back(text, state_dir) if state_dir else text)
    in_any_order = {key: sorted(document[key], key=lambda row: json.dumps(row, sort_keys=True)) for key in ("certificates", "deadlines")}
    return {**in_any_order, **{key: document[key] for key in ("totals", "unread", "earliest_deadline")}}


def test_the_export_writes_the_topology_and_changes_nothing_on_the_hosts(exported):
    assert exported.run.returncode == 0, dump(exported.run)
    topology = yaml.safe_load(open(exported.topology, encoding="utf-8"))
    assert set(topology["products"]) == {"adfs", "entra", "exchange", "wfm", "sharepoint", "service_fabric"}
    assert all(entry.get("source_thumbprint") or entry.get("copy_of") for host in topology["hosts"].values() for entry in host.get("certificates", []))
    assert mutating(exported.audit()) == [] and exported.violations() == []


def test_a_twin_started_from_the_export_reproduces_the_estate_report(exported, tmp_path):
    twin = started(yaml.safe_load(open(exported.topology, encoding="utf-8")), str(tmp_path / "twin"))
    try:
        variables = str(tmp_path / "twin-vars.json")
        write_twin_variables(twin.state_dir, exported.variables_file, variables, in_process(twin))
        run = twin.run_playbook(REPORT, "-e", f"@{variables}", check=True,
                                extra_vars={"certops_report_dir": str(tmp_path / "report"), "certops_as_of": AS_OF})
        assert run.returncode == 0, dump(run)
        assert comparable(str(tmp_path / "report"), twin.state_dir) == comparable(exported.report)
    finally:
        twin.stop()


def test_a_second_export_with_the_same_as_of_changes_nothing(exported):
    before = open(exported.topology, encoding="utf-8").read()
    run = exported.run_playbook(EXPORT, check=True, extra_vars={**exported.variables, **exported.export_vars})
    assert run.returncode == 0 and run.stats["localhost"]["changed"] == 0, dump(run)
    assert open(exported.topology, encoding="utf-8").read() == before


def test_the_topology_holds_no_secret_key_or_password(exported):
    text = open(exported.topology, encoding="utf-8").read()
    secrets = [exported.variables[key] for key in SECRET_KEYS] + ["Lab-Passw0rd!", "PRIVATE KEY", "password:", "ansible_"]
    assert [secret for secret in secrets if secret in text] == []


def test_the_export_module_in_check_mode_writes_nothing(exported, tmp_path):
    playbook = tmp_path / "check.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - certops.microsoft.lab_topology:\n"
                        f"        results: {{}}\n        dest: {tmp_path / 'twin.yml'}\n")
    run = exported.run_playbook(str(playbook), check=True)
    assert run.returncode == 0 and run.stats["localhost"]["changed"] == 1, dump(run)
    assert not os.path.exists(tmp_path / "twin.yml")


def test_rehearse_rotates_every_product_on_the_twin_without_a_violation(exported, tmp_path):
    env = ansible_environment(str(tmp_path), {"REHEARSAL_DIR": str(tmp_path / "rehearsal"), "PYTHONPATH": os.path.join(REPO_ROOT, "tests", "lab")})
    env.pop("ANSIBLE_STDOUT_CALLBACK")
    done = subprocess.run([os.path.join(REPO_ROOT, "tools", "rehearse.sh"), exported.topology, exported.variables_file], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert "certops estate plan: 4 product(s)" in done.stdout and "== Invariant violations: 0" in done.stdout
    assert "Rehearsal passed" in done.stdout and not glob.glob(str(tmp_path / "rehearsal" / "state" / "control*"))


def test_the_lab_runs_from_its_wheel(tmp_path):
    subprocess.run([os.path.join(REPO_ROOT, "tools", "build-lab-wheel.sh"), sys.executable, str(tmp_path / "dist")], check=True, capture_output=True)
    wheel = glob.glob(str(tmp_path / "dist" / "certops_lab-*.whl"))[0]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(tmp_path / "site"), wheel], check=True)
    env = ansible_environment(str(tmp_path), {"PYTHONPATH": str(tmp_path / "site")})
    lab = [str(tmp_path / "site" / "bin" / "certops-lab")]
    topology = os.path.join(REPO_ROOT, "tests", "lab", "topologies", "small.yml")
    inventory = subprocess.run(lab + ["up", topology, "--state-dir", str(tmp_path / "state")], env=env, capture_output=True, text=True,
                               check=True, cwd=str(tmp_path)).stdout.strip()
    try:
        ping = subprocess.run(["ansible", "-i", inventory, "all", "-m", "ansible.windows.win_ping"], env={**env, "ANSIBLE_STDOUT_CALLBACK": "default"},
                              capture_output=True, text=True, check=False, cwd=str(tmp_path))
        assert ping.returncode == 0 and ping.stdout.count("SUCCESS") == 3, ping.stdout + ping.stderr
    finally:
        subprocess.run(lab + ["down", "--state-dir", str(tmp_path / "state")], env=env, check=True, capture_output=True)
