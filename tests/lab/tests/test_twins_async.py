# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of ``async:`` tasks: the started reply per ansible-core version and the async_status twin."""
from __future__ import annotations

import pytest

from certops_lab import twins
from certops_lab.contracts import CallContext, ModuleCall
from twins_lab import new_host, run


def _start(estate, host, version="2.21.5", module="ansible.windows.win_ping", args=None):
    call = ModuleCall(module, args or {"data": "later"}, async_jid="j123", ansible_version=version)
    return twins.run_module(estate, host, call, CallContext(host.name, now=estate.clock))


@pytest.mark.parametrize("version, started, finished, watchdog", [
    ("2.21.5", True, False, True), ("2.19.0", True, False, True), ("2.18.3", 1, 0, False), ("2.16.19", 1, 0, False),
])
def test_async_start_reply_matches_the_ansible_core_version(version, started, finished, watchdog):
    estate, host = new_host()
    reply = _start(estate, host, version)
    assert (reply["started"], reply["finished"]) == (started, finished)
    assert type(reply["started"]) is type(started)
    assert ("ansible_async_watchdog_pid" in reply) is watchdog
    assert reply["ansible_job_id"].startswith("j123.") and reply["_ansible_suppress_tmpdir_delete"] is True
    assert reply["results_file"] == f"C:\\Users\\ansible\\.ansible_async\\{reply['ansible_job_id']}"


def test_async_status_returns_the_finished_module_result():
    estate, host = new_host()
    job = _start(estate, host)["ansible_job_id"]
    status = run(estate, host, "ansible.legacy.async_status", {"jid": job, "_async_dir": "%USERPROFILE%\\.ansible_async"})
    assert status["finished"] == 1 and status["ping"] == "later" and status["ansible_job_id"] == job


def test_async_jobs_get_distinct_ids():
    estate, host = new_host()
    assert _start(estate, host)["ansible_job_id"] != _start(estate, host)["ansible_job_id"]


def test_async_status_cleanup_erases_the_results_file():
    estate, host = new_host()
    reply = _start(estate, host)
    erased = run(estate, host, "ansible.windows.async_status", {"jid": reply["ansible_job_id"], "mode": "cleanup"})
    assert erased["erased"] == reply["results_file"] and not host.files.exists(reply["results_file"])


def test_async_status_of_unknown_job_fails():
    estate, host = new_host()
    result = run(estate, host, "ansible.windows.async_status", {"jid": "j9.1"})
    assert result["failed"] and result["msg"] == "could not find job at 'C:\\Users\\ansible\\.ansible_async'"


def test_async_failure_is_reported_by_async_status():
    estate, host = new_host()
    job = _start(estate, host, args={"data": "crash"})["ansible_job_id"]
    status = run(estate, host, "ansible.windows.async_status", {"jid": job})
    assert status["failed"] is True and status["finished"] == 1
