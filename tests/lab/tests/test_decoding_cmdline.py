# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command-line shapes, recursive -EncodedCommand decoding, boilerplate and inline one-liners."""
from __future__ import annotations

import base64

import pytest

from certops_lab.contracts import ExecRequest, InternalAction, RawCommand
from certops_lab.decoding import DecodeError, decode_exec
from certops_lab.decoding.boilerplate import CONSOLE_ENCODING, PRESERVE_RC, STRICT_MODE, normalise
from certops_lab.decoding.cmdline import clixml_strings, decode_command_line

COMMON = "-NoProfile -NonInteractive -ExecutionPolicy Unrestricted"


def b64_utf16(text: str) -> str:
    return base64.b64encode(text.encode("utf-16-le")).decode()


def encoded_line(script: str, exe: str = "PowerShell", option: str = "-EncodedCommand") -> str:
    return f"{exe} {COMMON} {option} {b64_utf16(script)}"


def split_request(line: str, stdin: bytes = b"") -> ExecRequest:
    """2.16-2.20 shape: the executable in rsp:Command, the rest in rsp:Arguments."""
    command, arguments = line.split(" ", 1)
    return ExecRequest("host1", command, arguments, stdin)


def double_encoded_request(script: str, stdin: bytes = b"") -> ExecRequest:
    """2.16-2.18 shape: the shell plugin's encoded line, encoded again by exec_command."""
    return split_request(encoded_line(encoded_line(script)), stdin)


def whole_line_request(script: str, arguments=None) -> ExecRequest:
    """2.21 shape: the whole line in rsp:Command, optional -EncodedArguments CLIXML."""
    line = encoded_line(script, exe="powershell")
    if arguments:
        strings = "".join(f"<S>{value}</S>" for value in arguments)
        line += " -EncodedArguments " + b64_utf16(f'<Objs Version="1.1.0.1"><Obj><LST>{strings}</LST></Obj></Objs>')
    return ExecRequest("host1", line, None)


def boilerplate(script: str) -> str:
    return f"{STRICT_MODE}\r\n  {script}  \r\n\r\n{PRESERVE_RC}\r\n"


@pytest.mark.parametrize("request_for", [double_encoded_request, lambda s: split_request(encoded_line(s)), whole_line_request],
                         ids=["double-2.16", "single-2.19", "whole-line-2.21"])
def test_decode_command_line_reaches_the_innermost_script_in_every_shape(request_for):
    request = request_for("Write-Output 'hi'")
    assert decode_command_line(request.command, request.arguments).script == "Write-Output 'hi'"


def test_decode_command_line_counts_nested_layers():
    request = double_encoded_request("exit 0")
    assert decode_command_line(request.command, request.arguments).nesting == 1


def test_encoded_command_option_is_matched_case_insensitively():
    request = ExecRequest("host1", "powershell -encodedcommand " + b64_utf16("exit 3"), None)
    assert decode_exec(request) == RawCommand("exit 3")


def test_encoded_arguments_are_decoded_from_clixml():
    request = whole_line_request("param($Path)", ["C:\\tmp\\ansible-tmp-1\\win_ping.ps1", "a&lt;b_x000A_"])
    assert decode_command_line(request.command, None).arguments == ["C:\\tmp\\ansible-tmp-1\\win_ping.ps1", "a<b\n"]


def test_clixml_strings_unescapes_entities_and_code_points():
    assert clixml_strings("<Objs><S>x_x000D__x000A_y</S><S N='k'>&amp;</S></Objs>") == ["x\r\ny", "&"]


def test_too_deep_nesting_is_a_decode_error():
    line = "exit 0"
    for _layer in range(7):
        line = encoded_line(line)
    with pytest.raises(DecodeError, match="nested -EncodedCommand"):
        decode_exec(split_request(line))


def test_invalid_base64_is_a_decode_error_naming_the_option():
    with pytest.raises(DecodeError, match="-EncodedCommand is not base64"):
        decode_exec(ExecRequest("host1", "PowerShell", "-EncodedCommand !!notbase64!!"))


def test_normalise_strips_strict_mode_preserve_rc_and_blank_lines():
    result = normalise(boilerplate("Get-Item x\r\n\r\n   Get-Item y"))
    assert (result.text, result.strict_mode, result.preserve_rc, result.console_encoding) == ("Get-Item x\nGet-Item y", True, True, False)


def test_normalise_strips_console_encoding_on_its_own_line_or_joined():
    assert normalise(f"{CONSOLE_ENCODING}\nWrite-Output 1").text == "Write-Output 1"
    assert normalise(f"{CONSOLE_ENCODING}; Write-Output 1").console_encoding is True


MKDTEMP = ("$tmp_path = [System.Environment]::ExpandEnvironmentVariables('%TEMP%')\n"
           "$tmp = New-Item -Type Directory -Path $tmp_path -Name 'ansible-tmp-17-O''Brien'\n"
           "Write-Output -InputObject $tmp.FullName")


@pytest.mark.parametrize("script, expected", [
    (boilerplate(f"{CONSOLE_ENCODING}\n{MKDTEMP}"),
     InternalAction("mkdtemp", {"Directory": "%TEMP%", "Name": "ansible-tmp-17-O'Brien"})),
    (boilerplate(f"{CONSOLE_ENCODING}; Write-Output (Get-Location).Path"), InternalAction("expand_user", {"Path": "~"})),
    (boilerplate(f"{CONSOLE_ENCODING}; Write-Output ((Get-Location).Path + '\\sub dir')"),
     InternalAction("expand_user", {"Path": "~\\sub dir"})),
    (boilerplate(f"{CONSOLE_ENCODING}; Write-Output 'C:\\literal'"), InternalAction("expand_user", {"Path": "C:\\literal"})),
    (boilerplate("Remove-Item 'C:\\Users\\x\\AppData\\Local\\Temp\\ansible-tmp-1' -Force -Recurse;"),
     InternalAction("cleanup", {"Path": "C:\\Users\\x\\AppData\\Local\\Temp\\ansible-tmp-1", "Recurse": True})),
    ("Remove-Item C:\\Temp\\ansible-tmp-2 -Force -Recurse", InternalAction("cleanup", {"Path": "C:\\Temp\\ansible-tmp-2", "Recurse": True})),
    ("Remove-Item 'C:\\it''s' -Force", InternalAction("cleanup", {"Path": "C:\\it's", "Recurse": False})),
], ids=["mkdtemp", "expand-home", "expand-under-home", "expand-literal", "cleanup-2.16", "cleanup-2.21", "cleanup-no-recurse"])
def test_inline_one_liners_decode_to_internal_actions(script, expected):
    assert decode_exec(double_encoded_request(script)) == expected


def test_write_output_without_console_encoding_is_raw_not_expand_user():
    assert decode_exec(split_request(encoded_line("Write-Output 'C:\\literal'"))) == RawCommand("Write-Output 'C:\\literal'")


LEGACY_FETCH = """
    Set-StrictMode -Version Latest
    $path = 'C:\\data\\it''s.txt'
    If (Test-Path -LiteralPath $path -PathType Leaf)
    {
        $buffer_size = 524288
        $offset = 1048576
        $stream = New-Object -TypeName IO.FileStream($path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
    }
"""


def test_legacy_fetch_script_is_parsed_into_path_buffer_size_and_offset():
    expected = InternalAction("fetch_file", {"Path": "C:\\data\\it's.txt", "BufferSize": 524288, "Offset": 1048576})
    assert decode_exec(split_request(encoded_line(LEGACY_FETCH))) == expected


def test_raw_command_is_returned_normalised():
    assert decode_exec(split_request(encoded_line("  hostname  \r\n\r\n exit 0 "))) == RawCommand("hostname\nexit 0")


def test_plain_command_line_without_encoded_command_is_raw():
    assert decode_exec(ExecRequest("host1", "ipconfig", "/all")) == RawCommand("ipconfig /all")
