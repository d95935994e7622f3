# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of plugin_utils/_action.py: the edge every certops action module shares."""
from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest
from ansible.playbook.task import Task

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.plugin_utils import _action
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils import action_harness
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils.action_harness import win_powershell_reply

SECRET = "Pfx-Pa55word!"


class ImportingAction(_action.CertopsActionBase):
    """A minimal certops action: one secret option, one script run."""

    ARGUMENT_SPEC = {
        "path": {"type": "str", "required": True},
        "password": {"type": "str", "no_log": True},
        "store": {"type": "str", "choices": ["My", "Root"], "default": "My"},
    }

    def perform(self, params, task_vars):
        reply = self.run_script("windows_certificate_inventory", task_vars, {"Path": params["path"], "Unset": None},
                                secrets={"Password": params["password"]})
        if params["path"] == "raise":
            raise CertopsError(f"could not use {params['path']} with {params['password']}")
        return {"changed": reply["changed"], "echo": reply["output"], "store": params["store"]}


def make_action(args, reply=None, check_mode=False):
    return action_harness.make_action(ImportingAction, args, reply if reply is not None else win_powershell_reply(), check_mode)


def test_run_script_sends_script_text_and_structured_parameters():
    action = make_action({"path": "C:\\certs\\new.pfx", "password": SECRET})
    action.run(task_vars={"inventory_hostname": "h1"})
    call = action._execute_module.call_args.kwargs
    assert call["module_name"] == "ansible.windows.win_powershell"
    assert "# certops-script: windows_certificate_inventory" in call["module_args"]["script"]
    assert call["module_args"]["parameters"] == {"Path": "C:\\certs\\new.pfx"}
    assert call["task_vars"] == {"inventory_hostname": "h1"}


def test_run_script_passes_secrets_only_as_sensitive_parameters():
    action = make_action({"path": "C:\\certs\\new.pfx", "password": SECRET})
    action.run(task_vars={})
    module_args = action._execute_module.call_args.kwargs["module_args"]
    assert module_args["sensitive_parameters"] == [{"name": "Password", "value": SECRET}]
    assert SECRET not in json.dumps(module_args["parameters"])


def test_secrets_are_masked_in_everything_the_task_returns():
    reply = win_powershell_reply(output=[f"echoed {SECRET}"], warning=[f"warned {SECRET}"])
    result = make_action({"path": "C:\\x.pfx", "password": SECRET}, reply).run(task_vars={})
    assert SECRET not in json.dumps(result)
    assert result["echo"] == ["echoed ********"]


def test_certops_error_becomes_failed_with_msg_and_no_secret():
    result = make_action({"path": "raise", "password": SECRET}).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "could not use raise with ********"
    assert "exception" not in result


@pytest.mark.parametrize("args, message", [
    ({}, "missing required arguments: path"),
    ({"path": "x", "store": "Nope"}, "value of store must be one of: My, Root, got: Nope"),
    ({"path": "x", "colour": "red"}, "unsupported option colour. Supported parameters include: password, path, store."),
])
def test_invalid_arguments_fail_before_the_host_is_contacted(args, message):
    action = make_action(args)
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("certops.microsoft.example: ")
    assert message in result["msg"]
    action._execute_module.assert_not_called()


def test_argument_defaults_are_applied():
    result = make_action({"path": "x"}).run(task_vars={})
    assert result["store"] == "My"


@pytest.mark.parametrize("reply, message", [
    (win_powershell_reply(failed=True, error=[{"output": "long console text", "error_details": None,
                                               "exception": {"message": "The system cannot find the file specified.", "type": "System.Exception"}}]),
     "The system cannot find the file specified."),
    (win_powershell_reply(failed=True, error=[{"output": "ignored", "error_details": {"message": "Access is denied."},
                                               "exception": {"message": "raw"}}]),
     "Access is denied."),
    (win_powershell_reply(failed=True, error=[{"output": "Write-Error text", "exception": None}]), "Write-Error text"),
    ({"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error"}, "MODULE FAILURE"),
    (win_powershell_reply(failed=True), "it returned no error record"),
])
def test_failed_script_becomes_one_clear_message(reply, message):
    result = make_action({"path": "x"}, reply).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].startswith("certops script windows_certificate_inventory failed on the target: ")
    assert message in result["msg"]


def test_script_warnings_reach_the_task_result():
    result = make_action({"path": "x"}, win_powershell_reply(warning=["key of ABC could not be opened"])).run(task_vars={})
    assert result["warnings"] == ["key of ABC could not be opened"]


def test_check_mode_is_read_from_the_task():
    assert make_action({"path": "x"}, check_mode=True).check_mode is True
    assert make_action({"path": "x"}).check_mode is False


def test_base_without_perform_cannot_be_instantiated():
    with pytest.raises(TypeError):
        # pylint: disable-next=abstract-class-instantiated  # instantiating it is what this test proves fails
        _action.CertopsActionBase(MagicMock(Task), MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)


class ReadingAction(ImportingAction):
    """The same action on the lean read runner."""

    SCRIPT_RUNNER = _action.READ_RUNNER


def test_read_runner_actions_run_their_script_through_win_read_script():
    action = action_harness.make_action(ReadingAction, {"path": "C:\\x"}, action_harness.read_runner_reply(output=[{"A": 1}]))
    result = action.run(task_vars={})
    call = action._execute_module.call_args.kwargs
    assert call["module_name"] == "certops.microsoft.win_read_script"
    assert call["module_args"]["parameters"] == {"Path": "C:\\x"}
    assert result["echo"] == [{"A": 1}]


def test_read_runner_refuses_secrets_before_the_host_is_contacted():
    action = action_harness.make_action(ReadingAction, {"path": "C:\\x", "password": SECRET}, action_harness.read_runner_reply())
    result = action.run(task_vars={})
    assert result["failed"] is True and "takes no secret parameters" in result["msg"]
    assert SECRET not in json.dumps(result)
    action._execute_module.assert_not_called()


def test_read_runner_warnings_reach_the_task_result():
    reply = action_harness.read_runner_reply(warnings=["key of ABC could not be opened"])
    result = action_harness.make_action(ReadingAction, {"path": "x"}, reply).run(task_vars={})
    assert result["warnings"] == ["key of ABC could not be opened"]


def test_read_runner_failure_becomes_one_clear_message():
    reply = action_harness.read_runner_reply(failed=True, msg="the script failed: Access is denied.")
    result = action_harness.make_action(ReadingAction, {"path": "x"}, reply).run(task_vars={})
    assert result["msg"] == "certops script windows_certificate_inventory failed on the target: the script failed: Access is denied."


def test_preloaded_scripts_are_assembled_when_the_action_class_is_defined(monkeypatch):
    loaded = []
    monkeypatch.setattr(_action, "load_script", loaded.append)

    class Preloading(ImportingAction):  # pylint: disable=unused-variable
        PRELOADED_SCRIPTS = ("windows_certificate_inventory",)

    assert loaded == ["windows_certificate_inventory"]


def test_a_missing_preloaded_script_does_not_stop_the_class_from_loading():
    class Missing(ImportingAction):
        PRELOADED_SCRIPTS = ("no_such_script",)

    result = action_harness.make_action(Missing, {"path": "x"}, win_powershell_reply()).run(task_vars={})
    assert "failed" not in result  # this action runs another script; the missing one fails only the task that runs it
