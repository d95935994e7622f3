# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the base every certops action module builds on.

A subclass declares ``ARGUMENT_SPEC`` (exactly what its doc-only module documents), optionally
``VALIDATION_RULES`` (``mutually_exclusive``, ``required_if``, ...), and implements
``perform(params, task_vars) -> dict``. The base validates the task arguments, runs certops
scripts through ``ansible.windows.win_powershell`` (or, for scripts that only read, the
collection's lean ``win_read_script``), turns a failed script and any
``CertopsError`` into ``failed`` with one ``msg``, and masks every secret (``no_log`` options
and sensitive script parameters) in what the task returns.
"""
from __future__ import annotations

import contextlib
from abc import abstractmethod

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script

WIN_POWERSHELL = "ansible.windows.win_powershell"
# The collection's lean runner for scripts that only read (plugins/modules/win_read_script.ps1):
# it ships Ansible.Basic alone where win_powershell ships four module utils and its own 38 KB.
READ_RUNNER = "certops.microsoft.win_read_script"


def error_record_message(record: dict) -> str:
    """The text PowerShell shows for one win_powershell ``error`` entry (ErrorDetails win)."""
    for source in (record.get("error_details"), record.get("exception")):
        if isinstance(source, dict) and source.get("message"):
            return source["message"]
    return record.get("output") or ""


def script_failure_message(name: str, reply: dict) -> str:
    """One line saying which certops script failed and why, from a failed win_powershell result."""
    reasons = [error_record_message(record) for record in reply.get("error") or []]
    if not any(reasons) and reply.get("msg"):
        reasons = [str(reply["msg"])]
    # Windows messages end in CRLF and wrap; one line reads better in a task result.
    reasons = [" ".join(reason.split()) for reason in reasons if reason and reason.strip()]
    return f"certops script {name} failed on the target: {'; '.join(reasons) or 'it returned no error record'}"


def reply_warnings(reply: dict) -> list:
    """The script's warnings: win_powershell's ``warning`` stream, or the read runner's module warnings."""
    return [str(warning) for warning in (reply.get("warning") or reply.get("warnings") or [])]


def single_output(reply: dict, script: str) -> dict:
    """The one object a certops script writes to the pipeline."""
    output = reply.get("output") or []
    if len(output) != 1 or not isinstance(output[0], dict):
        raise CertopsError(f"script {script} returned {len(output)} output objects instead of one: {output!r:.200}")
    return output[0]


def host_of(task_vars: dict) -> str:
    return str(task_vars.get("inventory_hostname") or "")


def registered_by_play_host(task_vars: dict, name: str) -> dict:
    """Every play host's variable ``name`` (a registered result), taken as stored: a registered result
    holds data only, and rendering it through hostvars would walk all of it for nothing."""
    hostvars = task_vars.get("hostvars") or {}
    return {host: hostvars.raw_get(host).get(name) for host in task_vars.get("ansible_play_hosts_all") or []}


def argument_errors(outcome) -> str:
    """All validation errors of a ValidationResult, an unknown option said as such."""
    return "; ".join(f"unsupported option {error.msg}" if isinstance(error, UnsupportedError) else error.msg for error in outcome.errors.errors)


def script_arguments(name: str, parameters: dict, secrets: dict, depth: int | None = None) -> dict:
    """win_powershell options for one certops script. None values are left out so that the
    script's own defaults apply; secrets go as SecureString ``sensitive_parameters``.
    win_powershell serialises output only ``depth`` levels deep (default 2) and turns anything
    deeper into its ToString() text, so scripts returning lists of objects need more."""
    module_args = {"script": load_script(name), "parameters": {k: v for k, v in parameters.items() if v is not None}}
    if depth is not None:
        module_args["depth"] = depth
    sensitive = [{"name": key, "value": value} for key, value in secrets.items() if value is not None]
    if sensitive:
        module_args["sensitive_parameters"] = sensitive
    return module_args


class CertopsActionBase(ActionBase):
    """Spec validation, script execution and the error/secret edge shared by certops actions."""

    ARGUMENT_SPEC: dict = {}
    VALIDATION_RULES: dict = {}
    SCRIPT_OUTPUT_DEPTH: int | None = None
    # READ_RUNNER for actions whose scripts only read and take no secret.
    SCRIPT_RUNNER: str = WIN_POWERSHELL
    # Scripts assembled when the class is defined: ansible-playbook loads action classes before it
    # forks a worker per host, so the workers inherit them instead of each assembling its own.
    PRELOADED_SCRIPTS: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.PRELOADED_SCRIPTS:
            with contextlib.suppress(CertopsError):  # a missing script is reported when the task runs it
                load_script(name)
    _supports_async = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._secrets: set = set()
        self._script_warnings: list = []

    @property
    def check_mode(self) -> bool:
        return bool(self._task.check_mode)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # has had no effect since ansible-core 2.5; kept for the ActionBase signature
        try:
            task_vars = task_vars or {}
            result.update(self.perform(self.validated_arguments(self.task_arguments(task_vars)), task_vars))
        except CertopsError as err:
            result.update(failed=True, msg=str(err))
        if self._script_warnings:
            result["warnings"] = list(result.get("warnings") or []) + self._script_warnings
        return remove_values(result, self._secrets) if self._secrets else result

    def task_arguments(self, task_vars: dict) -> dict:  # pylint: disable=unused-argument
        """The arguments to validate: the task's, unless an action completes them from variables."""
        return self._task.args

    def settings_from(self, task_vars: dict, variables: dict) -> dict:
        """The task's arguments; when it sets ``settings_from_variables``, each option it leaves out taken
        from its variable (``variables``: option -> variable name); a variable unset, None or "" leaves
        the option out. Why: every templated task argument costs a Jinja compile in each host's forked
        worker, while a variable read here is rendered only when it holds a template."""
        args, completed = self._task.args, dict(self._task.args)
        if not boolean(args.get("settings_from_variables", False), strict=False):
            return args
        for option, variable in variables.items():
            if option not in args and task_vars.get(variable) not in (None, ""):
                completed[option] = self._templar.template(task_vars[variable])
        return completed

    def validated_arguments(self, args: dict) -> dict:
        """``args`` checked and completed against ARGUMENT_SPEC (defaults, types, rules)."""
        outcome = ArgumentSpecValidator(self.ARGUMENT_SPEC, **self.VALIDATION_RULES).validate(args)
        # ValidationResult exposes the no_log values only as _no_log_values (as AnsibleModule uses it).
        self._secrets.update(outcome._no_log_values)  # pylint: disable=protected-access
        if outcome.error_messages:
            raise CertopsError(f"{self._task.action}: {argument_errors(outcome)}")
        return outcome.validated_parameters

    @abstractmethod
    def perform(self, params: dict, task_vars: dict) -> dict:
        """Do the work; return the task result (at least ``changed``)."""

    def run_script(self, name: str, task_vars: dict, parameters: dict | None = None, secrets: dict | None = None, runner: str | None = None) -> dict:
        """Run certops script ``name`` on the target; return win_powershell's result
        (``output``, ``result``, ``changed``, ``diff``). A failed script raises CertopsError."""
        secrets, runner = secrets or {}, runner or self.SCRIPT_RUNNER
        if runner != WIN_POWERSHELL and any(value is not None for value in secrets.values()):
            raise CertopsError(f"certops script {name}: {runner} takes no secret parameters; run it through {WIN_POWERSHELL}")
        self._secrets.update(value for value in secrets.values() if isinstance(value, str) and value)
        reply = self._execute_module(
            module_name=runner, module_args=script_arguments(name, parameters or {}, secrets, self.SCRIPT_OUTPUT_DEPTH), task_vars=task_vars
        )
        self._script_warnings.extend(reply_warnings(reply))
        if reply.get("failed"):
            raise CertopsError(script_failure_message(name, reply))
        return reply
