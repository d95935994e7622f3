# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible's own plumbing on a simulated host: mkdtemp, expand_user, put_file, fetch_file, cleanup.

Outputs mirror ansible-core's executor scripts (powershell_mkdtemp.ps1, winrm_put_file.ps1,
winrm_fetch_file.ps1): put_file answers exactly ``{"sha1":"<lower-case hex>"}`` because Ansible
parses it strictly and compares the hash with its own (wire reference §7).
"""
from __future__ import annotations

import base64

from certops_lab.contracts import ExecResult, InternalAction
from certops_lab.filesystem import FileSystemError, join, normalise, parent_of
from certops_lab.state import sha1_hex
from certops_lab.twins.paths import expand_variables


def _ok(text: str) -> ExecResult:
    return ExecResult(stdout=(text + "\r\n").encode("utf-8") if text else b"", rc=0)


def _error(message: str) -> ExecResult:
    return ExecResult(stderr=(message + "\r\n").encode("utf-8"), rc=1)


def mkdtemp(estate, host, action: InternalAction) -> ExecResult:
    path = join(expand_variables(host, action.params.get("Directory", "%TEMP%")), action.params["Name"])
    if host.files.exists(path):
        return _error(f"New-Item : An item with the specified name {path} already exists.")
    host.files.mkdir(path, estate.clock.timestamp())
    return _ok(host.files.get(path).path)


def expand_user(_estate, host, action: InternalAction) -> ExecResult:
    return _ok(normalise(expand_variables(host, action.params.get("Path", "~"))))


def put_file(estate, host, action: InternalAction) -> ExecResult:
    path = normalise(expand_variables(host, action.params["Path"]))
    parent = parent_of(path)
    if parent and not host.files.is_dir(parent):
        return _error(f"Could not find a part of the path '{path}'.")
    try:
        host.files.write(path, action.data, estate.clock.timestamp())
    except FileSystemError as error:
        return _error(str(error))
    return ExecResult(stdout=('{"sha1":"%s"}' % sha1_hex(action.data)).encode("ascii"), rc=0)


def fetch_file(_estate, host, action: InternalAction) -> ExecResult:
    path = action.params["Path"]
    node = host.files.get(expand_variables(host, path))
    if node is None:
        return _error(f"{path} does not exist")
    if node.is_dir:
        return _ok("[DIR]")
    offset, size = int(action.params.get("Offset", 0)), int(action.params.get("BufferSize", 524288))
    return _ok(base64.b64encode(node.content[offset:offset + size]).decode("ascii"))


def cleanup(_estate, host, action: InternalAction) -> ExecResult:
    path = expand_variables(host, action.params["Path"])
    if host.files.is_dir(path) and host.files.children(path) and not action.params.get("Recurse", True):
        return _error(f"The item at {path} has children and the Recurse parameter was not specified.")
    host.files.remove(path)
    return _ok("")


_ACTIONS = {"mkdtemp": mkdtemp, "expand_user": expand_user, "put_file": put_file, "fetch_file": fetch_file,
            "cleanup": cleanup}


def run_internal(estate, host, action: InternalAction) -> ExecResult:
    """Run one piece of Ansible plumbing; an unknown kind is a lab bug and says so on stderr."""
    handler = _ACTIONS.get(action.kind)
    if handler is None:
        return _error(f"the lab does not know the internal action {action.kind!r}: use one of {', '.join(_ACTIONS)}")
    return handler(estate, host, action)
