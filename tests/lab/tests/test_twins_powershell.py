# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the win_powershell twin: marker dispatch, check-mode rules, parameters, errors."""
from __future__ import annotations

import json

import pytest

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.twins import script_twin
from certops_lab.twins.powershell import ErrorInfo, convert_output, terminating_error_result
from certops_lab.twins.scripts import marker_of, supports_should_process
from twins_lab import leaf_certificate, new_host, run

PS = "ansible.windows.win_powershell"
PLAIN = "# certops-script: twin_test_counter\nparam($Step)\n$Ansible.Changed = $true\n"
SHOULD_PROCESS = "# certops-script: twin_test_counter\n[CmdletBinding(SupportsShouldProcess)]\nparam($Step)\n"
SEEN = []


@script_twin("twin_test_counter")
def counter(estate, _host, parameters, ctx):
    """Adds Step to a counter kept in estate.products; a read-only preview in check mode."""
    SEEN.append({"parameters": parameters, "check_mode": ctx.check_mode})
    if parameters.get("Step") == "boom":
        raise CmdletError("Cannot find an object with identity 'x'.")
    before = estate.products.get("twin_test_counter", 0)
    after = before + int(parameters.get("Step", 1))
    if not ctx.check_mode:
        estate.products["twin_test_counter"] = after
    return ScriptOutcome(output=[{"before": before, "after": after}], changed=after != before, result={"value": after},
                         diff={"before": {"value": before}, "after": {"value": after}},
                         warnings=["counter moved"] if after != before else [],
                         errors=["soft failure"] if parameters.get("Soft") else [])


def _ps(estate, host, script=PLAIN, check=False, diff=False, **args):
    return run(estate, host, PS, {"script": script, **args}, check=check, diff=diff)


@pytest.fixture(autouse=True)
def _clear_seen():
    SEEN.clear()


@pytest.mark.parametrize("script, name", [("# certops-script: a_b1\n", "a_b1"), ("x\n#certops-script:name\n", "name"),
                                          ("Write-Output 1", None)])
def test_marker_is_found_anywhere_in_the_script(script, name):
    assert marker_of(script) == name


@pytest.mark.parametrize("script, supported", [
    ("[CmdletBinding(SupportsShouldProcess)]\nparam()", True),
    ("[CmdletBinding(SupportsShouldProcess=$true)]\nparam()", True),
    ("[cmdletbinding(ConfirmImpact='High', SupportsShouldProcess)]", True),
    ("[CmdletBinding(SupportsShouldProcess=$false)]", False),
    ("[CmdletBinding()]\nparam()", False),
])
def test_should_process_declaration_is_recognised(script, supported):
    assert supports_should_process(script) is supported


def test_script_twin_receives_parameters_and_sets_result():
    estate, host = new_host()
    result = _ps(estate, host, parameters={"Step": 2})
    assert SEEN == [{"parameters": {"Step": 2}, "check_mode": False}]
    assert result["changed"] is True and result["result"] == {"value": 2} and result["output"] == [{"before": 0, "after": 2}]
    assert result["warning"] == ["counter moved"] and result["error"] == [] and "failed" not in result
    assert estate.products["twin_test_counter"] == 2


def test_check_mode_without_should_process_skips_and_reports_changed():
    estate, host = new_host()
    result = _ps(estate, host, check=True, parameters={"Step": 2})
    assert result["changed"] is True and result["msg"] == "skipped, running in check mode"
    assert SEEN == [] and "twin_test_counter" not in estate.products


def test_check_mode_with_should_process_runs_twin_in_check_mode():
    estate, host = new_host()
    before = estate.to_dict()
    result = _ps(estate, host, SHOULD_PROCESS, check=True, parameters={"Step": 3})
    assert SEEN == [{"parameters": {"Step": 3}, "check_mode": True}]
    assert result["changed"] is True and result["result"] == {"value": 3}
    assert estate.to_dict() == before


def test_second_run_with_zero_step_reports_no_change():
    estate, host = new_host()
    _ps(estate, host, parameters={"Step": 1})
    assert _ps(estate, host, parameters={"Step": 0})["changed"] is False


def test_diff_is_returned_only_when_asked():
    estate, host = new_host()
    assert "diff" not in _ps(estate, host, parameters={"Step": 1})
    assert _ps(estate, host, diff=True, parameters={"Step": 1})["diff"] == {"before": {"value": 1}, "after": {"value": 2}}


def test_cmdlet_error_fails_with_an_error_record():
    estate, host = new_host()
    result = _ps(estate, host, parameters={"Step": "boom"})
    assert result["failed"] is True and result["changed"] is True
    record = result["error"][0]
    assert record["exception"]["message"] == "Cannot find an object with identity 'x'."
    assert record["category_info"]["category"] == "OperationStopped"
    assert "msg" not in result   # the real module leaves the reason in `error`


def test_cmdlet_error_attributes_reach_the_error_record():
    error = CmdletError("Access is denied.")
    error.category, error.category_id, error.error_id = "PermissionDenied", 18, "AccessDenied,Set-Thing"

    def denied(_estate, _host, _parameters, _ctx):
        raise error
    script_twin("twin_test_denied")(denied)
    estate, host = new_host()
    record = _ps(estate, host, "# certops-script: twin_test_denied\n")["error"][0]
    assert record["category_info"]["category"] == "PermissionDenied" and record["fully_qualified_error_id"] == "AccessDenied,Set-Thing"


@pytest.mark.parametrize("error_action, failed", [("continue", False), ("stop", True)])
def test_non_terminating_errors_fail_only_with_error_action_stop(error_action, failed):
    estate, host = new_host()
    result = _ps(estate, host, parameters={"Step": 1, "Soft": True}, error_action=error_action)
    assert result["error"][0]["exception"]["message"] == "soft failure"
    assert result.get("failed", False) is failed


@pytest.mark.parametrize("script", ["# certops-script: no_such_twin\n", "Get-ChildItem Cert:\\"])
def test_unknown_script_fails_clearly(script):
    estate, host = new_host()
    result = _ps(estate, host, script)
    assert result["failed"] is True and "the lab cannot run this script" in result["msg"]
    assert result["error"][0]["exception"]["message"] == result["msg"]


def test_sensitive_parameters_reach_the_twin_but_not_the_result():
    estate, host = new_host()
    result = _ps(estate, host, parameters={"Step": 1},
                 sensitive_parameters=[{"name": "Secret", "value": "S3cret-value"},
                                       {"name": "Credential", "username": "LAB\\svc", "password": "Pa55-value"}])
    assert SEEN[0]["parameters"]["Secret"] == "S3cret-value"
    assert SEEN[0]["parameters"]["Credential"] == {"username": "LAB\\svc", "password": "Pa55-value"}
    assert "S3cret-value" not in json.dumps(result) and "Pa55-value" not in json.dumps(result)


def test_parameters_are_copied_so_twins_cannot_change_the_call():
    estate, host = new_host()
    parameters = {"Step": 1}
    _ps(estate, host, parameters=parameters)
    SEEN[0]["parameters"]["Step"] = 99
    assert parameters == {"Step": 1}


@pytest.mark.parametrize("option, path, ran", [("creates", "C:\\marker", False), ("removes", "C:\\marker", True),
                                               ("creates", "Cert:\\LocalMachine\\My", False), ("removes", "C:\\none", False)])
def test_creates_and_removes_skip_like_the_module(option, path, ran):
    estate, host = new_host()
    host.files.write("C:\\marker", b"")
    host.store("LocalMachine", "My").add(leaf_certificate("web"))
    result = _ps(estate, host, **{option: path})
    assert bool(SEEN) is ran
    if not ran:
        assert result["msg"].startswith("skipped, since") and result["changed"] is False


def test_remote_path_script_is_read_from_the_host():
    estate, host = new_host()
    host.files.write("C:\\Scripts\\counter.ps1", PLAIN.encode("utf-8-sig"))
    assert run(estate, host, PS, {"path": "C:\\Scripts\\counter.ps1", "remote_src": True})["result"] == {"value": 1}
    missing = run(estate, host, PS, {"path": "C:\\Scripts\\none.ps1", "remote_src": True})
    assert missing["msg"] == "Could not find or access 'C:\\Scripts\\none.ps1' on Windows host"


def test_terminating_error_result_has_every_stream_key():
    result = terminating_error_result(ErrorInfo("Injected failure"))
    assert result["failed"] is True and result["error"][0]["exception"]["message"] == "Injected failure"
    assert {"result", "host_out", "host_err", "output", "warning", "verbose", "debug", "information"} <= set(result)


NESTED = {"Farm": "wf", "References": [{"Current": "AA", "Next": None}], "Flag": True}


@pytest.mark.parametrize("depth, expected", [
    (2, [{"Farm": "wf", "References": ["@{Current=AA; Next=}"], "Flag": True}]),
    (4, [NESTED]),
    (0, ["@{Farm=wf; References=@{Current=AA; Next=}; Flag=True}"]),
])
def test_output_deeper_than_depth_becomes_its_string_form(depth, expected):
    assert convert_output([NESTED], depth) == expected
