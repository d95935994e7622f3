# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rotation as an AWX job runs it: ansible-runner, check mode, survey answers as strings, the PFX as base64 from the
certops PFX credential type's injector; the plan reaches the job's artifacts, and a bad PFX is refused before any change."""
from __future__ import annotations

import base64
import os

import ansible_runner
import yaml

from certops_lab.pytest_plugin import REPO_ROOT
from wfm_sharepoint_lab import PFX_PASSWORD, ROTATE, mutating, role_vars, topology, write_pfx

CREDENTIAL_TYPE = os.path.join(REPO_ROOT, "extensions", "awx", "credential_types", "certops_pfx.yml")


def injected(pfx_content: str) -> dict:
    """What AWX's injector puts in the extra vars (the credential type's own templates, rendered by hand)."""
    with open(CREDENTIAL_TYPE, encoding="utf-8") as handle:
        templates = yaml.safe_load(handle)["injectors"]["extra_vars"]
    values = {"{{ pfx_content }}": pfx_content, "{{ pfx_password }}": PFX_PASSWORD}
    return {name: values[template] for name, template in templates.items()}


def survey_answers() -> dict:
    """A survey hands every answer over as text."""
    return {**{name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in role_vars().items()},
            "wfm_sharepoint_min_days_remaining": "30", "wfm_sharepoint_key_exportable": "false"}


def run_job(lab, tmp_path, extravars: dict):
    (tmp_path / "job").mkdir()
    return ansible_runner.run(private_data_dir=str(tmp_path / "job"), playbook=ROTATE, inventory=lab.inventory_path, extravars=extravars,
                              cmdline="--check --diff", quiet=True, envvars={"ANSIBLE_HOST_KEY_CHECKING": "False"})


def job_stats(runner) -> dict:
    return next(event["event_data"].get("artifact_data", {}) for event in runner.events if event["event"] == "playbook_on_stats")


def test_a_check_mode_job_with_string_survey_values_and_a_base64_pfx_plans_and_changes_nothing(lab_factory, tmp_path):
    lab = lab_factory(topology())
    path = tmp_path / "new.pfx"
    write_pfx(path)
    runner = run_job(lab, tmp_path, {**survey_answers(), **injected(base64.b64encode(path.read_bytes()).decode("ascii"))})
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    assert mutating(lab.audit()) == []
    plan = job_stats(runner)["certops_plans"]["wfm_sharepoint"]
    assert plan["status"] == "ready" and plan["steps"]
    assert PFX_PASSWORD not in runner.stdout.read()


def test_a_pfx_credential_that_is_not_base64_is_refused_before_any_change(lab_factory, tmp_path):
    lab = lab_factory(topology())
    runner = run_job(lab, tmp_path, {**survey_answers(), **injected("this is not base64!")})
    output = runner.stdout.read()
    assert runner.status == "failed" and "wfm_sharepoint_pfx_content" in output and "Nothing was changed" in output
    assert lab.audit() == [] or mutating(lab.audit()) == []
