# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WinRS command line: find the PowerShell ``-EncodedCommand`` script in all three shapes.

2.16-2.18 encode the shell plugin's already encoded line a second time ("PowerShell" + Arguments
whose script is itself a PowerShell line), 2.19-2.20 encode once, and 2.21 sends the whole line
as ``rsp:Command`` with an optional ``-EncodedArguments`` CLIXML list. Decoding recurses until
the script is no longer an encoded PowerShell line.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Optional

from certops_lab.decoding.errors import DecodeError, preview

MAX_NESTING = 4
_POWERSHELL_EXE = re.compile(r"^(?:\S*[\\/])?(?:powershell|pwsh)(?:\.exe)?$", re.IGNORECASE)
_CLIXML_STRING = re.compile(r"<S(?:\s[^>]*)?>(.*?)</S>", re.DOTALL)
_CLIXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_XML_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}


@dataclass
class DecodedCommand:
    """The innermost script of a command line and its positional arguments."""
    script: str
    arguments: list = field(default_factory=list)
    nesting: int = 0               # how many -EncodedCommand layers were peeled


def join_command_line(command: str, arguments: Optional[str]) -> str:
    return f"{command} {arguments}" if arguments else command


def _option_value(tokens: list, name: str) -> Optional[str]:
    """The token after option ``name`` (matched case-insensitively), or None when absent."""
    lowered = [token.lower() for token in tokens]
    if name.lower() not in lowered:
        return None
    index = lowered.index(name.lower())
    if index + 1 >= len(tokens):
        raise DecodeError(f"command line ends after {name}: {preview(' '.join(tokens))}")
    return tokens[index + 1]


def decode_utf16_base64(value: str, what: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise DecodeError(f"{what} is not base64 UTF-16-LE ({error}): {preview(value)}") from error


def _unescape_clixml(text: str) -> str:
    for entity, char in _XML_ENTITIES.items():
        text = text.replace(entity, char)
    return _CLIXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def clixml_strings(clixml: str) -> list:
    """The ``<S>`` strings of a CLIXML document, in order (how -EncodedArguments carries arguments)."""
    return [_unescape_clixml(value) for value in _CLIXML_STRING.findall(clixml)]


def is_encoded_powershell_line(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and bool(_POWERSHELL_EXE.match(tokens[0])) and _option_value(tokens, "-EncodedCommand") is not None


def _peel(line: str) -> DecodedCommand:
    tokens = line.split()
    script = decode_utf16_base64(_option_value(tokens, "-EncodedCommand"), "-EncodedCommand")
    encoded_arguments = _option_value(tokens, "-EncodedArguments")
    arguments = clixml_strings(decode_utf16_base64(encoded_arguments, "-EncodedArguments")) if encoded_arguments else []
    return DecodedCommand(script, arguments)


def decode_command_line(command: str, arguments: Optional[str]) -> Optional[DecodedCommand]:
    """The script inside an encoded PowerShell command line (recursively), or None for a plain line."""
    line = join_command_line(command, arguments).strip()
    if not is_encoded_powershell_line(line):
        return None
    decoded = _peel(line)
    while is_encoded_powershell_line(decoded.script.strip()):
        if decoded.nesting >= MAX_NESTING:
            raise DecodeError(f"more than {MAX_NESTING} nested -EncodedCommand layers: {preview(line)}")
        inner = _peel(decoded.script.strip())
        decoded = DecodedCommand(inner.script, inner.arguments or decoded.arguments, decoded.nesting + 1)
    return decoded
