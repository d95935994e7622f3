# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twin of ansible.windows.win_powershell: dispatch to the script twin named by the script's certops marker.

Mirrors win_powershell.ps1: every result carries result/host_out/host_err/output/error/warning/
verbose/debug/information; ``creates``/``removes`` skip; in check mode a script without
``[CmdletBinding(SupportsShouldProcess)]`` is not run and reports changed; with it, the twin runs
with ``ctx.check_mode`` (the real script gets ``-WhatIf``). A terminating error (CmdletError) sets
failed and lands in ``error`` as an error record; so does ``error_action: stop`` with errors.
``sensitive_parameters`` reach the twin as parameters: ``value`` as a string (SecureString on
Windows), ``username``/``password`` as ``{"username", "password"}`` (PSCredential).
"""
from __future__ import annotations

import copy
import dataclasses

from certops_lab.certstore import LOCATIONS
from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.twins import scripts
from certops_lab.twins.registry import ModuleFailure, module_twin

OPTIONS = ("arguments", "chdir", "creates", "depth", "error_action", "executable", "parameters", "path",
           "sensitive_parameters", "remote_src", "removes", "script")
STREAMS = ("output", "error", "warning", "verbose", "debug", "information")


def empty_result() -> dict:
    return {"changed": False, "result": {}, "host_out": "", "host_err": "", **{stream: [] for stream in STREAMS}}


@dataclasses.dataclass
class ErrorInfo:
    """What an ErrorRecord says about itself (defaults: a terminating ``throw``)."""
    message: str
    exception_type: str = "System.Management.Automation.RuntimeException"
    category: str = "OperationStopped"
    category_id: int = 14
    error_id: str = ""


def error_record(info: ErrorInfo) -> dict:
    """One entry of win_powershell's ``error`` list."""
    reason = info.exception_type.rsplit(".", 1)[-1]
    error_id = info.error_id or info.message
    return {"output": f"{info.message}\r\n    + CategoryInfo          : {info.category}: (:) [], {reason}\r\n"
                      f"    + FullyQualifiedErrorId : {error_id}\r\n \r\n",
            "error_details": None,
            "exception": {"message": info.message, "type": info.exception_type, "help_link": None, "source": None,
                          "hresult": -2146233087, "inner_exception": None},
            "target_object": None,
            "category_info": {"category": info.category, "category_id": info.category_id, "activity": "",
                              "reason": reason, "target_name": "", "target_type": ""},
            "fully_qualified_error_id": error_id, "script_stack_trace": "at <ScriptBlock>, <No file>: line 1",
            "pipeline_iteration_info": []}


def cmdlet_error_info(error: CmdletError) -> ErrorInfo:
    """A CmdletError may carry .exception_type, .category, .category_id and .error_id; defaults otherwise."""
    defaults = ErrorInfo(str(error))
    return ErrorInfo(str(error), getattr(error, "exception_type", defaults.exception_type),
                     getattr(error, "category", defaults.category), getattr(error, "category_id", defaults.category_id),
                     getattr(error, "error_id", defaults.error_id))


def write_error_info(message: str) -> ErrorInfo:
    """A non-terminating Write-Error."""
    return ErrorInfo(message, "Microsoft.PowerShell.Commands.WriteErrorException", "NotSpecified", 0,
                     "Microsoft.PowerShell.Commands.WriteErrorException")


def terminating_error_result(info: ErrorInfo) -> dict:
    """win_powershell's result when the script throws: failed, $Ansible.Changed still at its default true."""
    result = empty_result()
    result.update(changed=True, failed=True, error=[error_record(info)])
    return result


def path_exists(host, path: str) -> bool:
    """Test-AnsiblePath: files, or Cert:\\<location>\\<store>[\\<thumbprint>]."""
    parts = [part for part in str(path).replace("/", "\\").split("\\") if part]
    if parts and parts[0].lower() == "cert:":
        return _cert_path_exists(host, parts[1:])
    return host.files.exists(path)


def _cert_path_exists(host, parts: list) -> bool:
    if not parts:
        return True
    location = next((known for known in LOCATIONS if known.lower() == parts[0].lower()), None)
    if location is None or len(parts) == 1:
        return location is not None
    store = host.store(location, parts[1]) if f"{location}\\{parts[1]}".lower() in {k.lower() for k in host.stores} else None
    return store is not None and (len(parts) == 2 or store.get(parts[2]) is not None)


def script_text(host, args: dict) -> str:
    if args.get("script"):
        return args["script"]
    path = args.get("path")
    if not path or not host.files.is_file(path):
        raise ModuleFailure(f"Could not find or access '{path}' on Windows host", **empty_result())
    return host.files.read(path).decode("utf-8-sig")


def script_parameters(args: dict) -> dict:
    parameters = copy.deepcopy(args.get("parameters") or {})
    for item in args.get("sensitive_parameters") or []:
        if "value" in item and item["value"] is not None:
            parameters[item["name"]] = item["value"]
        else:
            parameters[item["name"]] = {"username": item.get("username"), "password": item.get("password")}
    return parameters


def _skip(result: dict, msg: str, changed: bool = False) -> dict:
    result.update(changed=changed, msg=msg)
    return result


def _unknown_script(result: dict, marker) -> dict:
    what = f"no script twin is registered for certops script {marker!r}" if marker else "the script carries no certops marker"
    message = (f"the lab cannot run this script: {what}; every certops script needs a '# certops-script: <name>' "
               "line and a twin registered with certops_lab.twins.scripts.script_twin(<name>)")
    result.update(failed=True, msg=message, error=[error_record(ErrorInfo(message, error_id="CertopsLabUnknownScript"))])
    return result


def powershell_string(value) -> str:
    """What ``[string]$value`` gives: arrays join with spaces, objects show as @{Name=Value; ...}."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        return " ".join(powershell_string(item) for item in value)
    if isinstance(value, dict):
        return "@{" + "; ".join(f"{key}={powershell_string(item)}" for key, item in value.items()) + "}"
    return "" if value is None else str(value)


def convert_output(value, depth: int):
    """win_powershell's Convert-OutputObject: containers deeper than ``depth`` become their
    string form, so the lab fails a script whose caller forgot to raise ``depth``."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if depth < 0:
        return powershell_string(value)
    if isinstance(value, dict):
        return {key: convert_output(item, depth - 1) for key, item in value.items()}
    return [convert_output(item, depth - 1) for item in value]


def apply_outcome(result: dict, outcome: ScriptOutcome, args: dict) -> dict:
    """$Ansible.* and the output streams of a finished script."""
    outcome = outcome if isinstance(outcome, ScriptOutcome) else ScriptOutcome(output=list(outcome or []))
    depth = int(args.get("depth") or 2)
    result.update(changed=bool(outcome.changed), result=convert_output(outcome.result, depth) if outcome.result is not None else {},
                  output=convert_output(list(outcome.output), depth), warning=list(outcome.warnings),
                  error=[error_record(write_error_info(message)) for message in outcome.errors])
    if outcome.diff is not None:
        result["diff"] = convert_output(outcome.diff, depth)
    if outcome.errors and args.get("error_action") == "stop":
        result["failed"] = True
    return result


@module_twin("ansible.windows.win_powershell", options=OPTIONS)
def win_powershell(estate, host, args, ctx) -> dict:
    result = empty_result()
    if args.get("creates") and path_exists(host, args["creates"]):
        return _skip(result, f"skipped, since {args['creates']} exists")
    if args.get("removes") and not path_exists(host, args["removes"]):
        return _skip(result, f"skipped, since {args['removes']} does not exist")
    script = script_text(host, args)
    if ctx.check_mode and not scripts.supports_should_process(script):
        return _skip(result, "skipped, running in check mode", changed=True)
    marker = scripts.marker_of(script)
    twin = scripts.lookup(marker) if marker else None
    if twin is None:
        return _unknown_script(result, marker)
    try:
        outcome = twin(estate, host, script_parameters(args), ctx)
    except CmdletError as error:
        return terminating_error_result(cmdlet_error_info(error))
    return apply_outcome(result, outcome, args)
