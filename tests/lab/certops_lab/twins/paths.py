# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Environment variables on a simulated host, and the expansion Ansible.Basic applies to ``type: path`` options."""
from __future__ import annotations

import re

_ENV_REFERENCE = re.compile(r"%([\w()]+)%|\$env:(\w+)", re.IGNORECASE)


def environment(host) -> dict:
    """The variables a logon session of the connecting user has, spelled as Windows spells them."""
    profile = host.profile_dir
    return {"TEMP": host.temp_dir, "TMP": host.temp_dir, "USERPROFILE": profile, "USERNAME": host.user,
            "COMPUTERNAME": host.facts.hostname.upper(), "USERDNSDOMAIN": host.facts.domain.upper(),
            "APPDATA": f"{profile}\\AppData\\Roaming", "LOCALAPPDATA": f"{profile}\\AppData\\Local",
            "SystemRoot": "C:\\Windows", "windir": "C:\\Windows", "SystemDrive": "C:", "ProgramData": "C:\\ProgramData",
            "ALLUSERSPROFILE": "C:\\ProgramData", "PUBLIC": "C:\\Users\\Public", "ProgramFiles": "C:\\Program Files",
            "ProgramFiles(x86)": "C:\\Program Files (x86)", "OS": "Windows_NT", "PROCESSOR_ARCHITECTURE": "AMD64"}


def expand_environment(host, text: str) -> str:
    """[Environment]::ExpandEnvironmentVariables (and ``$env:X``); unknown variables stay as written."""
    # Environment variable names are case-insensitive on Windows.
    variables = {name.upper(): value for name, value in environment(host).items()}

    def substitute(match):
        name = (match.group(1) or match.group(2)).upper()
        return variables.get(name, match.group(0))
    return _ENV_REFERENCE.sub(substitute, str(text))


def expand_variables(host, text: str) -> str:
    """What the shell plugin's plumbing resolves: environment variables and a leading ``~``."""
    expanded = expand_environment(host, text)
    if expanded == "~" or expanded.startswith(("~\\", "~/")):
        expanded = host.profile_dir + expanded[1:]
    return expanded


def expand_paths(host, args: dict, names: tuple) -> dict:
    """``args`` with the ``type: path`` options among ``names`` expanded, as the module sees them."""
    return {key: expand_environment(host, value) if key in names and isinstance(value, str) else value
            for key, value in args.items()}
