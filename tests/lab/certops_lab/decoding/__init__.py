# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decode what ansible-core sends over WinRM into a module call, an internal action or a raw command.

Classification is by stdin, not by script text (the wrappers change between releases):
bootstrap JSON line (2.19+), exec_wrapper source + NULs + manifest (2.16-2.18), the inline
put_file script with base64 lines (2.16-2.18), or no stdin (raw and inline one-liners).
"""
from __future__ import annotations

from typing import Optional, Union

from certops_lab.contracts import ExecRequest, InternalAction, ModuleCall, RawCommand
from certops_lab.decoding.boilerplate import normalise
from certops_lab.decoding.cmdline import decode_command_line, join_command_line
from certops_lab.decoding.errors import DecodeError, preview
from certops_lab.decoding.inline import decode_legacy_put_file, decode_without_stdin, is_legacy_put_file
from certops_lab.decoding.legacy import decode_legacy_payload, is_legacy_module_payload
from certops_lab.decoding.manifest import decode_manifest_payload, is_bootstrap_input
from certops_lab.decoding.sources import SourceIndex, default_index

__all__ = ["DecodeError", "SourceIndex", "decode_exec"]

Decoded = Union[ModuleCall, InternalAction, RawCommand]


def _decode_script_line(request: ExecRequest) -> Decoded:
    decoded = decode_command_line(request.command, request.arguments)
    if decoded is None:
        return RawCommand(join_command_line(request.command, request.arguments).strip())
    return decode_without_stdin(normalise(decoded.script))


def _decode_with_stdin(request: ExecRequest, source_index: Optional[SourceIndex]) -> Decoded:
    stdin = request.stdin
    if is_bootstrap_input(stdin):
        return decode_manifest_payload(stdin)
    if is_legacy_module_payload(stdin):
        return decode_legacy_payload(stdin, source_index or default_index())
    decoded = decode_command_line(request.command, request.arguments)
    script = normalise(decoded.script) if decoded else None
    if script is not None and is_legacy_put_file(script):
        return decode_legacy_put_file(script, stdin)
    raise DecodeError(f"unknown payload layout: stdin starts with {preview(stdin)}")


def decode_exec(request: ExecRequest, source_index: Optional[SourceIndex] = None) -> Decoded:
    """What one WinRS command is: a module call, one of Ansible's internal actions, or a raw script.

    ``source_index`` identifies 2.16-2.18 modules by source; by default it is built once from
    ANSIBLE_COLLECTIONS_PATH. Raises DecodeError for anything the lab does not know.
    """
    if request.stdin:
        return _decode_with_stdin(request, source_index)
    return _decode_script_line(request)
