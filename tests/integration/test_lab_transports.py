# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real ansible-playbook against the lab over HTTP Basic, HTTPS (validated) and NTLM (encrypted)."""
from __future__ import annotations

import glob
import json
import os

import pytest

from certops_lab.pfxfiles import PFX_PASSWORD, write_pfx

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_playbooks")
HOSTS = ("basic01", "https01", "ntlm01")


def playbook(name: str) -> str:
    return os.path.join(PLAYBOOKS, name)


def stored_thumbprints(lab, host: str) -> str:
    return json.dumps(lab.state(host)).upper()


@pytest.fixture(name="small_lab")
def small_lab_fixture(lab_factory, tmp_path):
    lab = lab_factory("small.yml")
    lab.pfx_path = str(tmp_path / "lab import.pfx")
    lab.thumbprint = write_pfx(lab.pfx_path)
    return lab


def import_vars(lab) -> dict:
    return {"lab_pfx_path": lab.pfx_path, "lab_pfx_password": PFX_PASSWORD}


def test_win_ping_and_setup_work_over_every_transport(small_lab):
    run = small_lab.run_playbook(playbook("ping_and_facts.yml"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert {host: (run.stats[host]["failures"], run.stats[host]["unreachable"]) for host in HOSTS} == {host: (0, 0) for host in HOSTS}
    assert all(run.results("Ping")[host]["ping"] == "pong" for host in HOSTS)


def test_pfx_import_works_over_every_transport_and_is_idempotent(small_lab):
    first = small_lab.run_playbook(playbook("pfx_import.yml"), extra_vars=import_vars(small_lab))
    assert first.returncode == 0, first.stdout + first.stderr
    assert all(first.results("Import the PFX")[host]["changed"] for host in HOSTS)
    assert all(small_lab.thumbprint in stored_thumbprints(small_lab, host) for host in HOSTS)
    second = small_lab.run_playbook(playbook("pfx_import.yml"), extra_vars=import_vars(small_lab))
    assert second.returncode == 0, second.stdout + second.stderr
    assert [second.stats[host]["changed"] for host in HOSTS] == [0, 0, 0]


def test_check_mode_changes_nothing(small_lab):
    staged = small_lab.run_playbook(playbook("pfx_import.yml"), extra_vars=dict(import_vars(small_lab), lab_skip_import=True))
    assert staged.returncode == 0, staged.stdout + staged.stderr
    before, audited = {host: small_lab.state(host) for host in HOSTS}, len(small_lab.audit())
    run = small_lab.run_playbook(playbook("pfx_import.yml"), check=True, diff=True, extra_vars=import_vars(small_lab))
    assert run.returncode == 0, run.stdout + run.stderr
    assert all(run.results("Import the PFX")[host]["changed"] for host in HOSTS)
    assert {host: small_lab.state(host) for host in HOSTS} == before
    checked = small_lab.audit()[audited:]
    assert len(checked) >= 6 and all(record["check_mode"] and not record["mutating"] for record in checked)


def test_pfx_password_appears_in_no_output_audit_line_or_state_file(small_lab):
    run = small_lab.run_playbook(playbook("pfx_import.yml"), "-vvv", extra_vars=import_vars(small_lab))
    assert run.returncode == 0, run.stdout + run.stderr
    state_files = [path for path in glob.glob(os.path.join(small_lab.state_dir, "**"), recursive=True) if os.path.isfile(path)]
    assert any(path.endswith("audit.jsonl") for path in state_files) and any(path.endswith("state.json") for path in state_files)
    leaks = [path for path in state_files if PFX_PASSWORD.encode() in open(path, "rb").read()]
    assert not leaks
    assert PFX_PASSWORD not in run.stdout and PFX_PASSWORD not in run.stderr
    assert all(PFX_PASSWORD not in json.dumps(small_lab.state(host)) for host in HOSTS)
    imports = [record for record in small_lab.audit() if record["module"] == "ansible.windows.win_certificate_store"]
    assert len(imports) == 3 and all(record["parameters"]["password"] == "********" for record in imports)


def test_raw_answers_known_commands_and_fails_unknown_ones(small_lab):
    run = small_lab.run_playbook(playbook("raw.yml"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert all(run.stats[host]["failures"] == 0 and run.stats[host]["ignored"] == 1 for host in HOSTS)
