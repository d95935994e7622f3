# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The few raw PowerShell commands a simulated host understands (``ansible.builtin.raw``).

Anything else gets rc 1 and a CLIXML error on stderr, as PowerShell reports an unknown command:
a playbook that relies on arbitrary raw PowerShell must fail in the lab, never pass silently.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from certops_lab.contracts import ExecResult

CLIXML_HEADER = '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
_EXIT = re.compile(r"^exit\s+(-?\d+)$", re.IGNORECASE)
_ECHO = re.compile(r"^(?:echo|write-output|write-host)\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))$", re.IGNORECASE)
_COMPUTERNAME = re.compile(r"^(?:\$env:computername|hostname(?:\.exe)?)$", re.IGNORECASE)


def clixml_error(message: str) -> bytes:
    """stderr as powershell.exe writes an error record, which Ansible decodes back to text."""
    body = escape(message).replace("\r", "_x000D_").replace("\n", "_x000A_")
    return f'{CLIXML_HEADER}<S S="Error">{body}_x000D__x000A_</S></Objs>'.encode("utf-8")


def _echo_text(match) -> str:
    return next(group for group in match.groups() if group is not None)


def run_raw(host: str, script: str) -> ExecResult:
    """Run one normalised raw script; lines are run in order and stop at ``exit``."""
    stdout = []
    for line in [item.strip() for item in script.strip().splitlines() if item.strip()]:
        exited = _EXIT.match(line)
        if exited:
            return ExecResult(stdout="".join(stdout).encode(), rc=int(exited.group(1)))
        echoed = _ECHO.match(line)
        if echoed:
            stdout.append(_echo_text(echoed) + "\r\n")
        elif _COMPUTERNAME.match(line):
            stdout.append(host.upper() + "\r\n")
        else:
            message = f"The lab cannot run this raw command on {host}: {line[:200]!r}. Use a module or a certops script."
            return ExecResult(stdout="".join(stdout).encode(), stderr=clixml_error(message), rc=1)
    return ExecResult(stdout="".join(stdout).encode(), rc=0)
