# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strip the lines ansible-core's PowerShell shell plugin wraps around scripts.

Up to 2.20 ``_encode_script`` strips every line, drops blank ones, prepends
``Set-StrictMode -Version Latest`` and appends a "preserve the exit code" line; 2.18 (and the
compatibility paths of 2.19-2.20) start mkdtemp/expand_user with a console-encoding line. Raw
scripts get none of this, so which boilerplate was present tells internal one-liners from raw.
"""
from __future__ import annotations

from dataclasses import dataclass

STRICT_MODE = "Set-StrictMode -Version Latest"
PRESERVE_RC = ("If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } "
               "Else { exit 1 } }")
CONSOLE_ENCODING = "try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding } catch {}"


@dataclass
class NormalisedScript:
    text: str
    strict_mode: bool = False
    preserve_rc: bool = False
    console_encoding: bool = False


def stripped_lines(script: str) -> list:
    return [line.strip() for line in script.splitlines() if line.strip()]


def _drop_console_encoding(lines: list) -> bool:
    """Remove the console-encoding statement (its own line, or ``...; <script>`` on one line)."""
    if not lines or not lines[0].startswith(CONSOLE_ENCODING):
        return False
    rest = lines[0][len(CONSOLE_ENCODING):].lstrip().lstrip(";").strip()
    if rest:
        lines[0] = rest
    else:
        lines.pop(0)
    return True


def normalise(script: str) -> NormalisedScript:
    """The script without boilerplate, lines stripped and joined with newlines."""
    lines = stripped_lines(script)
    strict = bool(lines) and lines[0] == STRICT_MODE
    if strict:
        lines.pop(0)
    preserve = bool(lines) and lines[-1] == PRESERVE_RC
    if preserve:
        lines.pop()
    console = _drop_console_encoding(lines)
    return NormalisedScript("\n".join(lines), strict, preserve, console)
