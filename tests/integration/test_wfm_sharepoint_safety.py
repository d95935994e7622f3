# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wfm_sharepoint role keeps values out of script text, secrets out of every output, and
handles the double hop, pasted thumbprints and installed certificates."""
from __future__ import annotations

import base64
import glob
import json
import os

import pytest

from wfm_sharepoint_lab import (PFX_PASSWORD, ROTATE, dump, failure_messages, farms, issuer_thumbprints, mutating, role_vars,
                                shipped_script_digests, topology, write_pfx)

HOSTILE = "Trust'; $(Remove-Item C:\\ -Recurse) `whoami` \"quoted\"\nsecond line"


def script_digest(record: dict) -> str:
    return record["parameters"]["script"].rsplit(" ", 1)[-1].rstrip(">")


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology())
    lab.pfx_path = str(tmp_path / "new.pfx")
    lab.new_thumbprint = write_pfx(lab.pfx_path)
    return lab


def test_hostile_issuer_names_reach_powershell_only_as_parameters(estate):
    run = estate.run_playbook(ROTATE, extra_vars=role_vars(estate.pfx_path, wfm_sharepoint_issuer_name=HOSTILE,
                                                           wfm_sharepoint_root_authority_name=HOSTILE))
    assert run.returncode == 0, dump(run)
    scripts = [record for record in estate.audit() if record["script"]]
    created = [record for record in mutating(scripts) if record["script"].startswith("sp_trusted")]
    assert [record["parameters"]["parameters"]["Name"] for record in created] == [HOSTILE, HOSTILE]
    assert {script_digest(record) for record in scripts} <= shipped_script_digests()
    sharepoint = estate.instance.runtime.estate.products["sharepoint"]["sp"]
    assert HOSTILE in [issuer.name for issuer in sharepoint.issuers] and estate.violations() == []


def test_hostile_service_uri_reaches_powershell_only_as_a_parameter(estate):
    run = estate.run_playbook(ROTATE, extra_vars=role_vars(estate.pfx_path, wfm_sharepoint_service_uri=HOSTILE))
    assert run.returncode != 0 and "did not answer at the service URI" in failure_messages(run)
    reads = [record for record in estate.audit() if record["script"] == "wfm_host_get" and record["parameters"]["parameters"].get("ServiceUri")]
    assert [record["parameters"]["parameters"]["ServiceUri"] for record in reads] == [HOSTILE]
    assert {script_digest(record) for record in reads} <= shipped_script_digests()
    assert mutating(estate.audit()) == []


def test_pfx_password_appears_in_no_output_audit_or_state(estate):
    run = estate.run_playbook(ROTATE, "-vvv", extra_vars=role_vars(estate.pfx_path, wfm_sharepoint_cleanup=True))
    assert run.returncode == 0, dump(run)
    assert PFX_PASSWORD not in run.stdout and PFX_PASSWORD not in run.stderr
    files = [path for path in glob.glob(os.path.join(estate.state_dir, "**"), recursive=True) if os.path.isfile(path)]
    assert any(path.endswith("audit.jsonl") for path in files)
    assert [path for path in files if PFX_PASSWORD.encode() in open(path, "rb").read()] == []
    assert PFX_PASSWORD not in json.dumps(estate.audit()) + json.dumps([estate.state(host) for host in ("wfm01", "sp01", "sp02")])


def test_a_pfx_given_as_base64_content_rotates_and_its_content_and_password_appear_nowhere(estate):
    with open(estate.pfx_path, "rb") as handle:
        content = base64.b64encode(handle.read()).decode("ascii")
    variables = {key: value for key, value in role_vars(estate.pfx_path).items() if key != "wfm_sharepoint_pfx_path"}
    run = estate.run_playbook(ROTATE, "-vvv", extra_vars=dict(variables, wfm_sharepoint_pfx_content=content))
    assert run.returncode == 0, dump(run)
    assert farms(estate)["wfm"]["current"] == estate.new_thumbprint and estate.violations() == []
    shown = run.stdout + run.stderr + json.dumps(estate.audit())
    assert content[:64] not in shown and PFX_PASSWORD not in shown


def test_stop_after_stage_installs_and_a_pasted_thumbprint_of_it_is_cleaned_and_rotated(estate):
    staged = estate.run_playbook(ROTATE, extra_vars=role_vars(estate.pfx_path, wfm_sharepoint_stop_after="stage"))
    assert staged.returncode == 0, dump(staged)
    assert farms(estate)["wfm"]["current"] != estate.new_thumbprint and estate.new_thumbprint not in issuer_thumbprints(estate)
    thumbprint = estate.new_thumbprint
    pasted = "\u200e" + " ".join(thumbprint[index:index + 2] for index in range(0, 40, 2)).lower()
    run = estate.run_playbook(ROTATE, extra_vars=role_vars(wfm_sharepoint_thumbprint=pasted))
    assert run.returncode == 0, dump(run)
    assert farms(estate)["wfm"]["current"] == thumbprint and thumbprint in issuer_thumbprints(estate)
    assert estate.violations() == []


@pytest.fixture(name="farm_account_estate")
def farm_account_estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology("wfm_sharepoint_farm_account.yml"))
    lab.pfx_path = str(tmp_path / "new.pfx")
    lab.new_thumbprint = write_pfx(lab.pfx_path)
    return lab


def test_double_hop_is_refused_with_the_fix_and_become_as_the_farm_account_rotates(farm_account_estate):
    lab = farm_account_estate
    refused = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path))
    assert refused.returncode != 0
    assert "Cannot access the local farm" in failure_messages(refused) and "wfm_sharepoint_sharepoint_become_user" in failure_messages(refused)
    assert mutating(lab.audit()) == []
    become = {"wfm_sharepoint_sharepoint_become_user": "LAB\\sp-farm", "ansible_become_password": "Farm-Passw0rd!"}
    run = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path, **become))
    assert run.returncode == 0, dump(run)
    assert farms(lab)["wfm"]["current"] == lab.new_thumbprint and lab.violations() == []
