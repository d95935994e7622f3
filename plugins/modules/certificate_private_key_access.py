#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.certificate_private_key_access action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_private_key_access
short_description: Let service accounts read a certificate's private key on Windows
version_added: 0.1.0
description:
  - Makes sure each account in O(accounts) may read the private key of the certificate with
    O(thumbprint) in C(LocalMachine\My), by adding a Read rule to the key file's ACL for the accounts
    that lack one. Accounts that can already read it are left alone.
  - Workflow Manager signs with its outbound certificate under its service (RunAs) account, which
    must read the key on every Workflow Manager host. M(ansible.windows.win_certificate_store) imports
    the certificate with its key but has no option for the key's ACL, hence this module.
  - The key file is found from the key itself, C(%ProgramData%\Microsoft\Crypto\Keys\<UniqueName>) for
    a CNG key and C(%ProgramData%\Microsoft\Crypto\RSA\MachineKeys\<UniqueKeyContainerName>) for a
    legacy CSP key, and its ACL read and written with C(Get-Acl) and C(Set-Acl).
  - An account given as C(DOMAIN\name) must appear exactly so in the ACL; one given as C(name) matches
    that name in any domain. Names compare case-insensitively.
  - Runs the collection's C(windows_certificate_key_access) script through M(ansible.windows.win_powershell),
    one read, then one grant (which reads again) only when an account lacks access.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller (the host needs PowerShell 5.1 or newer)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
attributes:
  check_mode:
    details: Reads the ACL and returns the grant it would make in RV(plan) without making it.
  diff_mode:
    details: The accounts that may read the key, before and after.
options:
  thumbprint:
    description:
      - The certificate's SHA-1 thumbprint, normalised like a pasted one (spaces, colons, lower case, invisible characters).
    type: str
    required: true
  accounts:
    description:
      - The accounts that must read the private key, e.g. V(CONTOSO\\svc-wfm).
    type: list
    elements: str
    required: true
  store_location:
    description:
      - The store location. Only machine keys can be granted to a service account.
    type: str
    choices: [LocalMachine]
    default: LocalMachine
seealso:
  - module: ansible.windows.win_certificate_store
  - module: certops.microsoft.wfm_outbound_certificate
  - name: Key storage and retrieval (CNG)
    description: Where Windows keeps machine keys.
    link: https://learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval
"""

EXAMPLES = r"""
---
- name: Let the Workflow Manager service account read the new outbound certificate's key
  certops.microsoft.certificate_private_key_access:
    thumbprint: "{{ new_thumbprint }}"
    accounts: [CONTOSO\svc-wfm]
"""

RETURN = r"""
granted:
  description: The accounts that were (in check mode, would be) given read access.
  returned: success
  type: list
  elements: str
  sample: [CONTOSO\svc-wfm]
readers:
  description: The accounts the key file's ACL lets read the key, after the task (in check mode, as it would be).
  returned: success
  type: list
  elements: str
  sample: [NT AUTHORITY\SYSTEM, BUILTIN\Administrators, CONTOSO\svc-wfm]
key_provider:
  description: Where the key is stored, V(CNG) or V(CSP).
  returned: success
  type: str
  sample: CNG
key_path:
  description: The key file.
  returned: success
  type: str
  sample: C:\ProgramData\Microsoft\Crypto\Keys\1c4f0a...
plan:
  description: In check mode, the grant that would be made (empty when none is needed).
  returned: check mode
  type: list
  elements: dict
  contains:
    step:
      description: Position of the step in this task's plan, from 1.
      type: int
    host:
      description: The inventory host the step runs on.
      type: str
    action:
      description: What the step does.
      type: str
    detail:
      description: Which key file and accounts.
      type: str
  sample:
    - step: 1
      host: wfm01
      action: grant private key read access
      detail: "grant Read on C:\\ProgramData\\Microsoft\\Crypto\\Keys\\1c4f... to CONTOSO\\svc-wfm"
"""
