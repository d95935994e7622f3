# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-core 2.19+ payloads: bootstrap JSON, NUL line, exec manifest [, NUL line, extra input].

The manifest's actions run in order and the last one is what the exec is for: ``module_wrapper.ps1``
for a module (its ``Script`` names the resolved module) or one of Ansible's internal scripts.
"""
from __future__ import annotations

import json
import re
from typing import Union

from certops_lab.contracts import InternalAction, ModuleCall
from certops_lab.decoding.errors import DecodeError, preview
from certops_lab.decoding.inline import base64_lines
from certops_lab.decoding.modargs import become_info, module_call

NUL_LINE = re.compile(rb"\r?\n\0\0\0\0\r?\n")
INTERNAL_SCRIPTS = {
    "powershell_mkdtemp.ps1": "mkdtemp",
    "powershell_expand_user.ps1": "expand_user",
    "winrm_put_file.ps1": "put_file",
    "winrm_fetch_file.ps1": "fetch_file",
}
MODULE_WRAPPER = "module_wrapper.ps1"
_COLLECTION_MODULE = re.compile(r"^ansible_collections\.([^.]+)\.([^.]+)\.plugins\.modules\.(.+)\.ps1$")
_CORE_MODULE = re.compile(r"^ansible\.(?:legacy\.|builtin\.|modules\.)(.+)\.ps1$")


def is_bootstrap_input(stdin: bytes) -> bool:
    first_line = stdin.split(b"\n", 1)[0]
    if not first_line.startswith(b"{"):
        return False
    try:
        bootstrap = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(bootstrap, dict) and bootstrap.get("name") == "exec_wrapper"


def split_bootstrap_input(stdin: bytes) -> tuple:
    """(bootstrap, manifest, extra input) of a 2.19+ stdin."""
    parts = NUL_LINE.split(stdin, maxsplit=2)
    if len(parts) < 2:
        raise DecodeError(f"unknown payload layout: bootstrap JSON without a NUL line; stdin starts with {preview(stdin)}")
    try:
        manifest = json.loads(parts[1])
    except ValueError as error:
        raise DecodeError(f"exec manifest is not JSON ({error}): {preview(parts[1])}") from error
    if not isinstance(manifest, dict) or not manifest.get("actions"):
        raise DecodeError(f"exec manifest without actions: {preview(parts[1])}")
    return json.loads(parts[0]), manifest, parts[2] if len(parts) > 2 else b""


def module_name_from_script(script: str) -> str:
    """``ansible_collections.<ns>.<coll>.plugins.modules.<name>.ps1`` -> ``<ns>.<coll>.<name>``."""
    match = _COLLECTION_MODULE.match(script or "")
    if match:
        return ".".join(match.groups())
    match = _CORE_MODULE.match(script or "")
    if match:
        return f"ansible.builtin.{match.group(1)}"
    raise DecodeError(f"unknown module script in the exec manifest: {script!r}")


def _complex_args(params: dict):
    variables = [item for item in params.get("Variables") or [] if item.get("Name") == "complex_args"]
    if not variables:
        raise DecodeError(f"{MODULE_WRAPPER} for {params.get('Script')!r} carries no complex_args "
                          "(a script-style payload such as ansible.builtin.script is not supported by the lab)")
    return variables[0].get("Value")


def _action_params(actions: list, name: str):
    found = [action.get("params") or {} for action in actions if action.get("name") == name]
    return found[0] if found else None


def _become(actions: list):
    params = _action_params(actions, "become_wrapper.ps1")
    if params is None:
        return None
    return become_info(params.get("BecomeUser"), {key: value for key, value in params.items() if key != "BecomeUser"})


def _module_call(manifest: dict, extra: bytes) -> ModuleCall:
    actions = manifest["actions"]
    params = actions[-1].get("params") or {}
    async_params = _action_params(actions, "async_wrapper.ps1") or {}
    return module_call(module_name_from_script(params.get("Script")), _complex_args(params), "manifest",
                       become=_become(actions), async_jid=async_params.get("AsyncJid"), extra_input=extra)


def _internal_action(kind: str, params: dict, extra: bytes) -> InternalAction:
    data = base64_lines(extra, "winrm_put_file.ps1") if kind == "put_file" else b""
    return InternalAction(kind, dict(params), data)


def decode_manifest_payload(stdin: bytes) -> Union[ModuleCall, InternalAction]:
    _bootstrap, manifest, extra = split_bootstrap_input(stdin)
    last = manifest["actions"][-1]
    name = last.get("name")
    if name == MODULE_WRAPPER:
        return _module_call(manifest, extra)
    if name in INTERNAL_SCRIPTS:
        return _internal_action(INTERNAL_SCRIPTS[name], last.get("params") or {}, extra)
    raise DecodeError(f"unknown exec manifest action {name!r} (actions: {[action.get('name') for action in manifest['actions']]})")
