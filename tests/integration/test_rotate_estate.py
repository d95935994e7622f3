# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/rotate.yml across the four products on `make demo`'s estate (tools/demo_estate.py): one plan for the
estate in check mode, every product rotated in the cross-product order, a second run that changes nothing,
products enabled one by one, and no secret in the output."""
from __future__ import annotations

import json
import os
import sys

import pytest

from certops_lab.pytest_plugin import REPO_ROOT
from wfm_sharepoint_lab import dump, failure_messages, mutating

sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
import demo_estate  # noqa: E402  pylint: disable=wrong-import-position

ROTATE = os.path.join(REPO_ROOT, "playbooks", "rotate.yml")
ESTATE_PLAN_TASK = "Show every product's status, then the waits and manual gates of the estate by date"
PRODUCT_HOSTS = {"adfs_entra": {"adfs01", "adfs02"}, "exchange_auth": {"ex01", "ex02", "ex03"}, "wfm_sharepoint": {"wfm01", "sp01", "sp02"},
                 "d365_service_fabric": {"orch01", "orch02", "aos01", "aos02", "mr01", "bi01"}}
SECRET_KEYS = ("adfs_entra_signing_pfx_password", "adfs_entra_graph_client_secret", "wfm_sharepoint_pfx_password")


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(demo_estate.estate_topology())
    lab.variables = demo_estate.rotation_variables(lab.state_dir, str(tmp_path), in_process(lab))
    return lab


def in_process(lab):
    return lambda operation, **arguments: lab.instance.operations()[operation](**arguments)


def rotate(lab, check: bool = False, **overrides):
    return lab.run_playbook(ROTATE, "--forks", "8", check=check, diff=check, extra_vars={**lab.variables, **overrides})


def estate_plan(run) -> list:
    return run.results(ESTATE_PLAN_TASK)["localhost"]["msg"]


def hosts_called(records) -> set:
    return {record["host"] for record in records} - {"login", "graph"}


def test_the_estate_plan_in_check_mode_lists_every_product_in_order_and_changes_nothing(estate):
    before = len(estate.audit())
    run = rotate(estate, check=True)
    assert run.returncode == 0, dump(run)
    assert mutating(estate.audit()[before:]) == []
    lines = estate_plan(run)
    assert lines[0] == "certops estate plan: 4 product(s), in this order:"
    assert [line.split(":")[0].strip() for line in lines[1:5]] == ["1. adfs_entra", "2. exchange_auth", "3. wfm_sharepoint", "4. d365_service_fabric"]
    assert any("manual gate" in line and "Update Settings" in line for line in lines)


def test_the_rotation_runs_every_product_then_a_second_run_changes_nothing_and_no_secret_is_printed(estate):
    run = rotate(estate)
    assert run.returncode == 0, dump(run)
    assert {product for product, hosts in PRODUCT_HOSTS.items() if any(run.stats[host]["changed"] for host in hosts)} == set(PRODUCT_HOSTS)
    assert estate.violations() == []
    before = len(estate.audit())
    again = rotate(estate)
    assert again.returncode == 0, dump(again)
    assert mutating(estate.audit()[before:]) == [] and {host: stats["changed"] for host, stats in again.stats.items() if stats["changed"]} == {}
    assert any(line.startswith("  exchange_auth: wait until ") for line in estate_plan(again))
    for secret in (estate.variables[key] for key in SECRET_KEYS):
        assert secret not in run.stdout + run.stderr + again.stdout + again.stderr


def test_only_the_enabled_product_reads_or_changes_its_hosts_and_its_own_plan_ends_the_run(estate):
    before = len(estate.audit())
    run = rotate(estate, check=True, certops_rotate_adfs_entra=False, certops_rotate_exchange_auth=False, certops_rotate_d365_service_fabric=False)
    assert run.returncode == 0, dump(run)
    assert hosts_called(estate.audit()[before:]) == PRODUCT_HOSTS["wfm_sharepoint"]
    # One product that completed: the estate play would repeat its plan, so it does not run.
    assert not run.results(ESTATE_PLAN_TASK)
    printed = next(iter(run.results("certops.microsoft.wfm_sharepoint : Show the plan").values()))["msg"]
    assert printed[0].startswith("certops plan (wfm_sharepoint") and printed[-2].startswith("Check mode: nothing was changed")


def test_one_product_that_stops_still_fails_the_run_with_the_estate_plan_naming_it(estate):
    only_wfm = {"certops_rotate_adfs_entra": False, "certops_rotate_exchange_auth": False, "certops_rotate_d365_service_fabric": False}
    run = rotate(estate, check=True, wfm_sharepoint_pfx_password="not the password", **only_wfm)
    assert run.returncode != 0
    lines = estate_plan(run)
    assert lines[1].startswith(" 1. wfm_sharepoint: not planned") and lines[-1].startswith("Stopped: wfm_sharepoint.")


def test_no_product_enabled_fails_with_the_variables_to_set_before_any_read(estate):
    before = len(estate.audit())
    run = rotate(estate, check=True, **{f"certops_rotate_{product}": False for product in PRODUCT_HOSTS})
    assert run.returncode != 0
    assert "No product is enabled" in failure_messages(run) and "certops_rotate_wfm_sharepoint" in failure_messages(run)
    assert estate.audit()[before:] == []


def test_the_demo_variables_file_is_private(tmp_path):
    path = tmp_path / "vars.json"
    demo_estate.write_private(str(path), json.dumps({"secret": "x"}))
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_a_product_that_refuses_stops_alone_the_others_are_planned_and_the_run_fails_naming_it(estate):
    before = len(estate.audit())
    run = rotate(estate, check=True, wfm_sharepoint_pfx_password="not the password")
    assert run.returncode != 0
    assert "the password given does not open this PFX" in failure_messages(run) and "Stopped: wfm_sharepoint." in failure_messages(run)
    lines = estate_plan(run)
    assert lines[3].startswith(" 3. wfm_sharepoint: not planned") and lines[4].startswith(" 4. d365_service_fabric: 4 step(s)")
    assert mutating(estate.audit()[before:]) == []
