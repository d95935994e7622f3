# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of certops.microsoft.win_read_script (plugins/modules/win_read_script.ps1).

The same script twins as the win_powershell twin, with the runner's lean result: ``output``
converted ``depth`` levels deep, warnings as Ansible.Basic's ``warnings``, ``changed`` from
$Ansible.Changed. A script that throws, or writes an error under certops scripts'
``$ErrorActionPreference = 'Stop'``, fails the module with "the script failed: <message>". In check
mode a script without SupportsShouldProcess is not run.
"""
from __future__ import annotations

from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.twins import scripts
from certops_lab.twins.powershell import convert_output
from certops_lab.twins.registry import ModuleFailure, module_twin

READ_RUNNER = "certops.microsoft.win_read_script"
OPTIONS = ("script", "parameters", "depth")


def script_twin_for(script: str):
    """The script twin the script's marker names; the lab's own refusal otherwise."""
    marker = scripts.marker_of(script)
    twin = scripts.lookup(marker) if marker else None
    if twin is None:
        what = f"no script twin is registered for certops script {marker!r}" if marker else "the script carries no certops marker"
        raise ModuleFailure(f"the lab cannot run this script: {what}")
    return twin


def runner_result(outcome: ScriptOutcome, depth: int) -> dict:
    """What the runner returns for a script that finished."""
    if outcome.errors:
        raise ModuleFailure(f"the script failed: {outcome.errors[0]}")
    result = {"changed": bool(outcome.changed), "output": convert_output(list(outcome.output), depth)}
    if outcome.warnings:
        result["warnings"] = list(outcome.warnings)
    return result


@module_twin(READ_RUNNER, options=OPTIONS)
def win_read_script(estate, host, args, ctx) -> dict:
    script = args.get("script")
    if not script:
        raise ModuleFailure("missing required arguments: script")
    if ctx.check_mode and not scripts.supports_should_process(script):
        return {"changed": False, "output": [], "msg": "skipped, running in check mode"}
    twin = script_twin_for(script)
    try:
        outcome = twin(estate, host, dict(args.get("parameters") or {}), ctx)
    except CmdletError as error:
        raise ModuleFailure(f"the script failed: {error}") from None
    outcome = outcome if isinstance(outcome, ScriptOutcome) else ScriptOutcome(output=list(outcome or []))
    return runner_result(outcome, int(args.get("depth") or 2))
