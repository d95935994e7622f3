# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""inventory_report action: the report files on the controller, written atomically, only when they differ.

The action runs for real on recorded certificate_inventory results; its connection and
_execute_module are mocks that must never be used, since the action works on the controller alone.
"""
from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.certops.microsoft.plugins.action import inventory_report
from ansible_collections.certops.microsoft.tests.unit.plugins.action.trust_harness import doc_spec_mismatches
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils.action_harness import make_action

CERTIFICATE = {"store_location": "LocalMachine", "store_name": "My", "subject": "CN=web | 01", "thumbprint": "AB" * 20,
               "not_after": "2027-06-11T12:00:00Z", "days_remaining": 200, "key_exportable": False, "violations": []}
RESULTS = {
    "web01": {"changed": False, "certificates": [CERTIFICATE], "count": 1},
    "web02": {"failed": True, "msg": "certops script windows_certificate_inventory failed on the target: boom"},
}
FILES = ["certificates.json", "certificates.md"]


class RegisteredVariables:
    """What HostVars.raw_get gives the action: each host's variables as stored."""

    def __init__(self, variables: dict):
        self.variables = variables

    def raw_get(self, host: str) -> dict:
        return self.variables[host]


def run(args: dict, check_mode: bool = False, task_vars: dict | None = None) -> dict:
    """The task result of one run; the host's connection and module execution stay untouched."""
    action = make_action(inventory_report.ActionModule, args, reply={}, check_mode=check_mode, name="certops.microsoft.inventory_report")
    result = action.run(task_vars=dict(task_vars or {}, inventory_hostname="web01"))
    action._execute_module.assert_not_called()
    assert not action._connection.method_calls
    return result


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_both_reports_into_a_directory_it_creates(tmp_path):
    dest = tmp_path / "new dir" / "reports"
    result = run({"results": RESULTS, "dest": str(dest)})
    assert result["changed"] is True and "failed" not in result
    assert (result["hosts"], result["not_inventoried"], result["certificate_count"]) == (["web01"], ["web02"], 1)
    assert result["files"] == [str(dest / name) for name in FILES]
    assert sorted(os.listdir(dest)) == FILES  # no temporary file left behind
    assert [mode(dest / name) for name in FILES] == [0o644, 0o644] and mode(dest) == 0o755
    assert "CN=web \\| 01" in (dest / "certificates.md").read_text(encoding="utf-8")
    assert "Not inventoried (failed or unreachable): web02" in (dest / "certificates.md").read_text(encoding="utf-8")


def test_a_second_run_with_the_same_results_changes_nothing(tmp_path):
    run({"results": RESULTS, "dest": str(tmp_path)})
    before = {name: os.stat(tmp_path / name).st_ino for name in FILES}
    assert run({"results": RESULTS, "dest": str(tmp_path)})["changed"] is False
    assert {name: os.stat(tmp_path / name).st_ino for name in FILES} == before


def test_a_report_with_another_mode_is_rewritten_as_0644(tmp_path):
    run({"results": RESULTS, "dest": str(tmp_path)})
    os.chmod(tmp_path / "certificates.md", 0o600)
    assert run({"results": RESULTS, "dest": str(tmp_path)})["changed"] is True
    assert mode(tmp_path / "certificates.md") == 0o644


def test_new_results_replace_the_report(tmp_path):
    run({"results": RESULTS, "dest": str(tmp_path)})
    result = run({"results": dict(RESULTS, web02=RESULTS["web01"]), "dest": str(tmp_path)})
    assert result["changed"] is True and result["not_inventoried"] == []
    assert "| web02 |" in (tmp_path / "certificates.md").read_text(encoding="utf-8")


def test_check_mode_writes_nothing_and_says_whether_the_reports_would_change(tmp_path):
    dest = tmp_path / "reports"
    assert run({"results": RESULTS, "dest": str(dest)}, check_mode=True)["changed"] is True
    assert not dest.exists()
    run({"results": RESULTS, "dest": str(dest)})
    assert run({"results": RESULTS, "dest": str(dest)}, check_mode=True)["changed"] is False


def test_formats_choose_the_files(tmp_path):
    result = run({"results": RESULTS, "dest": str(tmp_path), "formats": ["json"]})
    assert result["files"] == [str(tmp_path / "certificates.json")] and os.listdir(tmp_path) == ["certificates.json"]


def test_a_relative_dest_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run({"results": RESULTS, "dest": "certops-report"})
    assert sorted(os.listdir(tmp_path / "certops-report")) == FILES


def test_a_failed_write_keeps_the_previous_report_whole(tmp_path, monkeypatch):
    run({"results": RESULTS, "dest": str(tmp_path)})
    previous = (tmp_path / "certificates.json").read_bytes()

    def refuse(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inventory_report.os, "replace", refuse)
    result = run({"results": dict(RESULTS, web02=RESULTS["web01"]), "dest": str(tmp_path)})
    assert result["failed"] is True
    assert result["msg"] == f"cannot write {tmp_path / 'certificates.json'}: Permission denied; run as a user that may write there or choose another dest"
    assert (tmp_path / "certificates.json").read_bytes() == previous and sorted(os.listdir(tmp_path)) == FILES


def test_a_dest_that_is_a_file_fails_with_the_reason(tmp_path):
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = run({"results": RESULTS, "dest": str(tmp_path / "taken")})
    assert result["failed"] is True and result["msg"].startswith(f"cannot create the report directory {tmp_path / 'taken'}: ")


@pytest.mark.parametrize("args, message", [
    ({}, "one of the following is required: results, results_from"),
    ({"results": RESULTS, "results_from": "inventory"}, "parameters are mutually exclusive: results|results_from"),
    ({"results": ["web01"]}, "results"),
    ({"results": RESULTS, "formats": ["html"]}, "formats"),
    ({"results": RESULTS, "colour": "blue"}, "unsupported option"),
])
def test_wrong_arguments_fail_before_anything_is_written(tmp_path, args, message):
    result = run(dict(args, dest=str(tmp_path / "reports")))
    assert result["failed"] is True and message in result["msg"]
    assert not (tmp_path / "reports").exists()


def test_docs_match_the_argument_spec():
    assert doc_spec_mismatches("inventory_report") == []


def test_results_from_reads_every_play_hosts_registered_result(tmp_path):
    variables = {"web01": {"inventory": RESULTS["web01"], "other": 1}, "web02": {"inventory": RESULTS["web02"]}, "web03": {}}
    task_vars = {"hostvars": RegisteredVariables(variables), "ansible_play_hosts_all": ["web01", "web02", "web03"]}
    result = run({"results_from": "inventory", "dest": str(tmp_path)}, task_vars=task_vars)
    assert (result["hosts"], result["not_inventoried"], result["certificate_count"]) == (["web01"], ["web02", "web03"], 1)
    assert json.loads((tmp_path / "certificates.json").read_text(encoding="utf-8"))["hosts"]["web01"][0]["thumbprint"] == "AB" * 20


def test_results_from_writes_the_same_reports_as_results(tmp_path):
    task_vars = {"hostvars": RegisteredVariables({host: {"inventory": result} for host, result in RESULTS.items()}),
                 "ansible_play_hosts_all": list(RESULTS)}
    run({"results_from": "inventory", "dest": str(tmp_path / "from")}, task_vars=task_vars)
    run({"results": RESULTS, "dest": str(tmp_path / "given")})
    assert [(tmp_path / "from" / name).read_bytes() for name in FILES] == [(tmp_path / "given" / name).read_bytes() for name in FILES]
