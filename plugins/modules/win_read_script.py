#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.win_read_script module (the work is in win_read_script.ps1)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: win_read_script
short_description: Run one of the collection's read scripts on a Windows host (used by its actions)
version_added: 0.2.0
description:
  - The lean runner the collection's actions use for scripts that only read, such as the
    certificate store inventory of M(certops.microsoft.certificate_inventory). It needs only the
    C(Ansible.Basic) module util, like M(ansible.windows.win_ping), where
    M(ansible.windows.win_powershell) ships four module utils and its own 38 KB on every call.
  - It keeps what the scripts use of M(ansible.windows.win_powershell)'s contract.
    C($Ansible.Changed) and C($Ansible.CheckMode), O(parameters) splatted by name, warnings and
    output objects converted O(depth) levels deep work as there. One difference, for a type
    certops scripts never emit; an enum becomes its name, where win_powershell returns a
    dictionary of its type, name and value.
  - In check mode a script runs with C(-WhatIf) only if it declares
    C([CmdletBinding(SupportsShouldProcess)]); any other script is not run.
  - Playbooks have no reason to call it; it is documented because it is what runs on the hosts.
author:
  - certops.microsoft maintainers (@certops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs a script that declares SupportsShouldProcess with -WhatIf; skips any other.
  diff_mode:
    support: none
  platform:
    platforms: windows
options:
  script:
    description:
      - The PowerShell script text to run.
    type: str
    required: true
  parameters:
    description:
      - Parameters of the script, passed by name.
    type: dict
    default: {}
  depth:
    description:
      - How many levels of nested objects are converted; deeper ones become their string form.
    type: int
    default: 2
seealso:
  - module: ansible.windows.win_powershell
  - module: certops.microsoft.certificate_inventory
"""

EXAMPLES = r"""
---
- name: Run a read-only script (what the collection's actions do)
  certops.microsoft.win_read_script:
    script: |
      [CmdletBinding(SupportsShouldProcess)]
      param ([string]$Name)
      $Ansible.Changed = $false
      Get-Service -Name $Name | Select-Object -Property Name, Status
    parameters:
      Name: WinRM
"""

RETURN = r"""
output:
  description: The objects the script wrote to the output stream, converted to O(depth) levels.
  returned: always
  type: list
  elements: raw
  sample: [{"Name": "WinRM", "Status": "Running"}]
msg:
  description: Why the script was not run (check mode without SupportsShouldProcess).
  returned: when skipped
  type: str
  sample: skipped, running in check mode
"""
