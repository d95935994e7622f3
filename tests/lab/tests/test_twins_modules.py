# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the win_ping, setup and win_service twins and of the shared Ansible.Basic behaviour."""
from __future__ import annotations

import pytest

from certops_lab.twins import module_twin
from certops_lab.twins.modules import selected_subsets
from twins_lab import new_host, run

SERVICE = "ansible.windows.win_service"


@module_twin("certops_lab_test.no_check_mode", supports_check_mode=False)
def _no_check_mode(_estate, _host, _args, _ctx):
    return {"changed": True, "diff": {"before": "a", "after": "b"}}


def test_win_ping_returns_data():
    estate, host = new_host()
    assert run(estate, host, "ansible.windows.win_ping", {"data": "hello"}) == {"changed": False, "ping": "hello"}
    assert run(estate, host, "win_ping", {})["ping"] == "pong"


def test_win_ping_crash_fails_as_unhandled_exception():
    estate, host = new_host()
    result = run(estate, host, "ansible.windows.win_ping", {"data": "crash"})
    assert result["failed"] is True and result["msg"] == "Unhandled exception while executing module: boom"


def test_module_without_check_mode_support_is_skipped_in_check_mode():
    estate, host = new_host()
    assert run(estate, host, "certops_lab_test.no_check_mode", {}, check=True) == {
        "changed": False, "skipped": True, "msg": "remote module (no_check_mode) does not support check mode"}


def test_diff_is_dropped_unless_asked():
    estate, host = new_host()
    assert "diff" not in run(estate, host, "certops_lab_test.no_check_mode", {})
    assert run(estate, host, "certops_lab_test.no_check_mode", {}, diff=True)["diff"] == {"before": "a", "after": "b"}


def test_unknown_module_fails_naming_the_module():
    estate, host = new_host()
    result = run(estate, host, "community.windows.win_iis_website", {})
    assert result["failed"] and "no twin of module community.windows.win_iis_website" in result["msg"]


@pytest.mark.parametrize("subset, present, absent", [
    (["all"], ["ansible_ip_addresses", "ansible_hostname", "ansible_powershell_version"], []),
    (["!all"], ["ansible_hostname", "ansible_distribution", "ansible_date_time"], ["ansible_ip_addresses"]),
    (["!all", "network"], ["ansible_ip_addresses", "ansible_windows_domain"], []),
    (["!all", "!min"], [], ["ansible_hostname", "ansible_date_time"]),
    ("!all,all_ipv4_addresses", ["ansible_ip_addresses"], []),
])
def test_setup_honours_gather_subset(subset, present, absent):
    estate, host = new_host("wfm01.lab.test")
    facts = run(estate, host, "ansible.legacy.setup", {"gather_subset": subset})["ansible_facts"]
    assert all(name in facts for name in present) and not any(name in facts for name in absent)
    assert facts["module_setup"] is True


def test_setup_describes_the_host():
    estate, host = new_host("wfm01.lab.test")
    host.facts.domain = "contoso.test"
    facts = run(estate, host, "ansible.windows.setup", {})["ansible_facts"]
    assert facts["ansible_hostname"] == "WFM01" and facts["ansible_fqdn"] == "WFM01.contoso.test"
    assert facts["ansible_os_family"] == "Windows" and facts["ansible_architecture"] == "64-bit"
    assert facts["ansible_date_time"]["iso8601"] == "2026-01-01T00:00:00Z"


def test_setup_warns_on_invalid_subset():
    estate, host = new_host()
    assert run(estate, host, "ansible.windows.setup", {"gather_subset": ["bogus"]})["warnings"] == [
        "invalid value bogus specified in gather_subset"]


def test_selected_subsets_excludes_then_adds():
    subsets, warnings = selected_subsets(["!hardware", "memory"])
    assert "memory" in subsets and "bios" not in subsets and "platform" in subsets and not warnings


def _service_host():
    estate, host = new_host()
    host.add_service("WorkflowServiceBackend", display_name="Workflow Manager Backend", start_mode="auto")
    return estate, host


def test_win_service_restart_counts_restarts_and_reports_running():
    estate, host = _service_host()
    result = run(estate, host, SERVICE, {"name": "workflowservicebackend", "state": "restarted"})
    assert result["changed"] is True and result["state"] == "running" and result["name"] == "WorkflowServiceBackend"
    assert host.service("WorkflowServiceBackend").restarts == 1


def test_win_service_restart_in_check_mode_changes_nothing():
    estate, host = _service_host()
    before = estate.to_dict()
    assert run(estate, host, SERVICE, {"name": "WorkflowServiceBackend", "state": "restarted"}, check=True)["changed"] is True
    assert estate.to_dict() == before


@pytest.mark.parametrize("args, changed, state, start_mode", [
    ({"state": "stopped"}, True, "stopped", "auto"),
    ({"state": "started"}, False, "running", "auto"),
    ({"start_mode": "delayed"}, True, "running", "delayed"),
    ({"start_mode": "auto"}, False, "running", "auto"),
])
def test_win_service_sets_state_and_start_mode(args, changed, state, start_mode):
    estate, host = _service_host()
    result = run(estate, host, SERVICE, {"name": "WorkflowServiceBackend", **args})
    assert (result["changed"], result["state"], result["start_mode"]) == (changed, state, start_mode)
    assert run(estate, host, SERVICE, {"name": "WorkflowServiceBackend", **args})["changed"] is False


def test_win_service_diff_shows_before_and_after():
    estate, host = _service_host()
    diff = run(estate, host, SERVICE, {"name": "WorkflowServiceBackend", "state": "stopped"}, diff=True)["diff"]
    assert (diff["before"]["state"], diff["after"]["state"]) == ("running", "stopped")


def test_win_service_missing_service():
    estate, host = new_host()
    assert run(estate, host, SERVICE, {"name": "Nope"}) == {"changed": False, "exists": False}
    assert run(estate, host, SERVICE, {"name": "Nope", "state": "started"})["msg"] == \
        "Service 'Nope' is not installed, need to set 'path' to create a new service"


@pytest.mark.parametrize("args, message", [
    ({"state": "paused"}, "failed to pause service WorkflowServiceBackend: The service does not support pausing"),
    ({"username": "LAB\\svc"}, "does not model option(s) username"),
    ({"state": "sleeping"}, "value of state must be one of"),
])
def test_win_service_refuses_what_it_does_not_model(args, message):
    estate, host = _service_host()
    assert message in run(estate, host, SERVICE, {"name": "WorkflowServiceBackend", **args})["msg"]


@pytest.mark.parametrize("module, args, unknown", [
    ("ansible.windows.win_ping", {"dta": "x"}, "dta"),
    ("ansible.windows.win_certificate_store", {"path": "C:\\x", "pasword": "x", "exportable": True}, "exportable, pasword"),
    ("ansible.windows.win_powershell", {"script": "x", "paramters": {}}, "paramters"),
])
def test_unknown_option_fails_as_ansible_basic_does(module, args, unknown):
    estate, host = new_host()
    result = run(estate, host, module, args)
    assert result["failed"] is True
    assert result["msg"].startswith(f"Unsupported parameters for ({module}) module: {unknown}. Supported parameters include: ")


def test_legacy_modules_accept_extra_options():
    estate, host = new_host()
    assert "failed" not in run(estate, host, "ansible.windows.win_stat", {"path": "C:\\", "follow": False, "get_md5": False})
