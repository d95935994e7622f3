# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible's inline PowerShell plumbing (no exec wrapper): mkdtemp, expand_user, tmp cleanup,
and 2.16-2.18 fetch_file and put_file. Anything else without stdin is a raw command.

The scripts are matched after boilerplate normalisation; the values inside single quotes are
un-escaped the way PowerShell reads them (a doubled quote character is one quote).
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Optional, Union

from certops_lab.contracts import InternalAction, RawCommand
from certops_lab.decoding.boilerplate import NormalisedScript
from certops_lab.decoding.errors import DecodeError, preview

_QUOTED = r"'((?:[^'\u2018\u2019\u201a\u201b]|(?:['\u2018\u2019\u201a\u201b]){2})*)'"
_DOUBLED_QUOTE = re.compile("(['\u2018\u2019\u201a\u201b])\\1")
_MKDTEMP = re.compile(
    r"^\$tmp_path = \[System\.Environment\]::ExpandEnvironmentVariables\(" + _QUOTED + r"\)\n"
    r"\$tmp = New-Item -Type Directory -Path \$tmp_path -Name " + _QUOTED + r"\n"
    r"Write-Output -InputObject \$tmp\.FullName$")
_HOME = re.compile(r"^Write-Output \(Get-Location\)\.Path$")
_UNDER_HOME = re.compile(r"^Write-Output \(\(Get-Location\)\.Path \+ " + _QUOTED + r"\)$")
_LITERAL_PATH = re.compile(r"^Write-Output " + _QUOTED + r"$")
_REMOVE = re.compile(r"^Remove-Item (?:" + _QUOTED + r"|([^\s'\"]+)) -Force( -Recurse)?;?$")
_FETCH_PATH = re.compile(r"^\$path = " + _QUOTED + r"$", re.MULTILINE)
_FETCH_NUMBER = r"^\${0} = (\d+)$"
_PUT_FILE_MARKERS = ("begin {", "[System.IO.File]::Create($path)", "FromBase64String($input)")


def unquote(value: str) -> str:
    """A PowerShell single-quoted string's value."""
    return _DOUBLED_QUOTE.sub(r"\1", value)


def _expand_user(text: str) -> Optional[InternalAction]:
    if _HOME.match(text):
        return InternalAction("expand_user", {"Path": "~"})
    for pattern, prefix in ((_UNDER_HOME, "~"), (_LITERAL_PATH, "")):
        match = pattern.match(text)
        if match:
            return InternalAction("expand_user", {"Path": prefix + unquote(match.group(1))})
    return None


def _mkdtemp(text: str) -> Optional[InternalAction]:
    match = _MKDTEMP.match(text)
    if not match:
        return None
    return InternalAction("mkdtemp", {"Directory": unquote(match.group(1)), "Name": unquote(match.group(2))})


def _cleanup(text: str) -> Optional[InternalAction]:
    match = _REMOVE.match(text)
    if not match:
        return None
    path = unquote(match.group(1)) if match.group(1) is not None else match.group(2)
    return InternalAction("cleanup", {"Path": path, "Recurse": bool(match.group(3))})


def _fetch_number(text: str, name: str) -> Optional[int]:
    match = re.search(_FETCH_NUMBER.format(name), text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _legacy_fetch(text: str) -> Optional[InternalAction]:
    path = _FETCH_PATH.search(text)
    buffer_size, offset = _fetch_number(text, "buffer_size"), _fetch_number(text, "offset")
    if not path or buffer_size is None or offset is None or "IO.FileStream" not in text:
        return None
    return InternalAction("fetch_file", {"Path": unquote(path.group(1)), "BufferSize": buffer_size, "Offset": offset})


def decode_without_stdin(script: NormalisedScript) -> Union[InternalAction, RawCommand]:
    """An internal one-liner when the script is one (console-encoding prefix for expand_user), else raw."""
    text = script.text
    internal = _mkdtemp(text) or _cleanup(text) or _legacy_fetch(text)
    if internal is None and script.console_encoding:
        internal = _expand_user(text)
    return internal or RawCommand(text)


def is_legacy_put_file(script: NormalisedScript) -> bool:
    return script.text.startswith("begin {") and all(marker in script.text for marker in _PUT_FILE_MARKERS)


def base64_lines(data: bytes, what: str) -> bytes:
    """The bytes carried as one base64 chunk per line (put_file's stdin)."""
    try:
        return b"".join(base64.b64decode(line.strip(), validate=True) for line in data.splitlines() if line.strip())
    except binascii.Error as error:
        raise DecodeError(f"{what}: a stdin line is not base64 ({error}): stdin starts with {preview(data)}") from error


def decode_legacy_put_file(script: NormalisedScript, stdin: bytes) -> InternalAction:
    path = _FETCH_PATH.search(script.text)
    if not path:
        raise DecodeError(f"put_file script without a $path line: {preview(script.text)}")
    return InternalAction("put_file", {"Path": unquote(path.group(1))}, base64_lines(stdin, "put_file"))
