# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module twins by resolved name, and the Ansible.Basic behaviour every module shares.

A twin is ``fn(estate, host, args, ctx) -> dict`` registered with ``@module_twin(name)``.
``run_module`` adds what Ansible.Basic adds around a module body: the check-mode refusal of a
module that does not support it, ``changed`` defaulting to false, ``diff`` only when asked for,
and ``{"failed": true, "msg": ...}`` for a ``ModuleFailure``.
"""
from __future__ import annotations

import json
import traceback
from typing import Callable, Iterable, Optional

from certops_lab.contracts import CallContext, ExecResult, ModuleCall

_TWINS: dict = {}

# Names Ansible sends for modules whose Windows twin lives under another name (§5.2, §12).
ALIASES = {
    "ansible.legacy.setup": "ansible.windows.setup",
    "ansible.builtin.setup": "ansible.windows.setup",
    "ansible.legacy.stat": "ansible.windows.win_stat",
    "ansible.builtin.stat": "ansible.windows.win_stat",
    "ansible.legacy.async_status": "ansible.windows.async_status",
    "ansible.builtin.async_status": "ansible.windows.async_status",
}


class ModuleFailure(Exception):
    """``$module.FailJson(msg)``: the module ends with failed true and ``msg`` (plus extra keys)."""

    def __init__(self, msg: str, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra

    def result(self) -> dict:
        return {"changed": False, **self.extra, "failed": True, "msg": self.msg}


class UnhandledException(Exception):
    """A ``throw`` in the module body: the exec wrapper reports it as an unhandled exception."""

    def result(self) -> dict:
        message = str(self)
        return {"failed": True, "msg": f"Unhandled exception while executing module: {message}",
                "exception": f"{message}\r\nAt line:1 char:1\r\n+ throw \"{message}\"\r\n+ ~~~~~~~~~~~~\r\n"
                             f"+ CategoryInfo          : OperationStopped: ({message}:String) [], RuntimeException\r\n"
                             f"+ FullyQualifiedErrorId : {message}"}


def check_choice(option: str, value, choices) -> None:
    """Ansible.Basic's ``choices`` check (and its message)."""
    if value is not None and value not in choices:
        raise ModuleFailure(f"value of {option} must be one of: {', '.join(choices)}. Got no match for: {value}")


def module_twin(name: str, supports_check_mode: bool = True, options: Optional[Iterable] = None) -> Callable:
    """Register ``fn(estate, host, args, ctx) -> dict`` as the twin of module ``name`` (a FQCN).

    ``options`` (names and aliases of an Ansible.Basic module's spec) makes an unknown option fail
    as Ansible.Basic fails it; legacy Parse-Args modules accept anything and pass None."""
    def register(function: Callable) -> Callable:
        _TWINS[name] = (function, supports_check_mode, frozenset(options) if options is not None else None)
        return function
    return register


def unsupported_parameters(call: ModuleCall, options: frozenset) -> Optional[dict]:
    """Ansible.Basic's failure for options its spec does not know."""
    unknown = sorted(set(call.args or {}) - options)
    if not unknown:
        return None
    name = call.invoked_name or call.name
    return ModuleFailure(f"Unsupported parameters for ({name}) module: {', '.join(unknown)}. "
                         f"Supported parameters include: {', '.join(sorted(options))}").result()


def resolve(name: str) -> str:
    """The FQCN of the twin for ``name`` as Ansible sent it (aliases, ``win_x`` short names)."""
    if name in ALIASES:
        return ALIASES[name]
    if name.startswith("ansible.legacy."):
        name = name[len("ansible.legacy."):]
    return name if "." in name else f"ansible.windows.{name}"


def registered() -> dict:
    return {name: entry[0] for name, entry in _TWINS.items()}


def skipped_for_check_mode(name: str) -> dict:
    """What Ansible.Basic returns when a module without check-mode support runs in check mode."""
    return {"changed": False, "skipped": True, "msg": f"remote module ({name}) does not support check mode"}


def run_module(estate, host, call: ModuleCall, ctx: CallContext) -> dict:
    """Run the twin of ``call`` on ``host``; always a result dict, never an exception for user mistakes."""
    name = resolve(call.name)
    if name not in _TWINS:
        return ModuleFailure(f"the lab has no twin of module {call.name}: use one of {', '.join(sorted(_TWINS))}").result()
    function, supports_check_mode, options = _TWINS[name]
    refusal = unsupported_parameters(call, options) if options is not None else None
    if refusal:
        return refusal
    if ctx.check_mode and not supports_check_mode:
        return skipped_for_check_mode(name.rsplit(".", 1)[-1])
    if ctx.now is None:
        ctx.now = estate.clock
    try:
        result = function(estate, host, dict(call.args or {}), ctx)
    except (ModuleFailure, UnhandledException) as failure:
        result = failure.result()
    except Exception as error:  # pylint: disable=broad-exception-caught
        # A bug in a twin must reach the playbook as a failed task, not as a dropped WinRM request.
        result = {"failed": True, "msg": f"lab twin of {name} raised {type(error).__name__}: {error}",
                  "exception": traceback.format_exc()}
    return finish_result(result, ctx)


def finish_result(result: dict, ctx: CallContext) -> dict:
    result = dict(result)
    result.setdefault("changed", False)
    if not ctx.diff:
        result.pop("diff", None)
    return result


def to_exec_result(result: dict) -> ExecResult:
    """A module result as the WinRS command's output: JSON on stdout, rc 1 when it failed (§6)."""
    return ExecResult(stdout=json.dumps(result, default=str).encode("utf-8"), rc=1 if result.get("failed") else 0)
