#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.wfm_outbound_certificate action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wfm_outbound_certificate
short_description: Read or switch Workflow Manager's outbound (token signing) certificate
version_added: 0.1.0
description:
  - Reads Workflow Manager's outbound certificate references with C(Get-WFOutboundCertificate -ServiceUri).
    It never uses C(Get-WFFarm), which on Workflow Manager 1.0 CU3 keeps showing the previous
    outbound thumbprint after a switch (a cosmetic bug fixed in CU4).
  - With O(thumbprint), makes that certificate the current outbound certificate when it is not
    already, with C(Set-WFNextOutboundCertificateReference -Thumbprint -ServiceUri), then
    C(Set-WFNextOutboundCertificateAsCurrent -ServiceUri), then reads the references again and
    fails unless the new certificate is current.
  - Every later workflow token is signed with the new certificate, so SharePoint must trust it
    B(before) this module switches (M(certops.microsoft.sp_trusted_security_token_issuer)), and
    the certificate must be in C(LocalMachine\My) on every Workflow Manager host with a private
    key the Workflow Manager service account can read (M(certops.microsoft.certificate_private_key_access)).
  - Runs the collection's C(wfm_host_get) and C(wfm_outbound_certificate_set)
    PowerShell scripts through M(ansible.windows.win_powershell); the service URI and the
    thumbprint reach PowerShell only as script parameters.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - ansible.windows on the controller; Workflow Manager 1.0 and its C(WorkflowManager) PowerShell module on the host
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
attributes:
  check_mode:
    details: Reads the live references and returns the switch it would make in RV(plan) without making it.
  diff_mode:
    details: The current outbound thumbprint before and after.
options:
  service_uri:
    description:
      - The Workflow Manager endpoint, as given to C(-ServiceUri), for example V(https://wfm.contoso.com:12290/).
    type: str
    required: true
  thumbprint:
    description:
      - The SHA-1 thumbprint of the certificate that must be the current outbound certificate.
      - Accepted as administrators paste it (spaces, colons, lower case, the invisible characters the
        Windows certificate dialog adds) and normalised to 40 upper-case hex digits before the host is
        contacted; anything else fails the task with the character and position at fault.
      - When omitted, the module only reads.
    type: str
notes:
  - One read, and at most one write that reads again, so two WinRM module runs when switching, one otherwise.
seealso:
  - module: certops.microsoft.sp_trusted_security_token_issuer
  - module: certops.microsoft.certificate_private_key_access
  - name: How to update OutboundCertificate in Workflow Manager (and SharePoint)
    description: The vendor procedure this module automates.
    link: https://learn.microsoft.com/en-us/archive/blogs/feseca/how-to-update-outboundcertificate-in-workflow-manager-and-sharepoint
"""

EXAMPLES = r"""
---
- name: Read the outbound certificate references
  certops.microsoft.wfm_outbound_certificate:
    service_uri: https://wfm.contoso.com:12290/
  register: outbound

- name: Make the new certificate current (after SharePoint trusts it)
  certops.microsoft.wfm_outbound_certificate:
    service_uri: https://wfm.contoso.com:12290/
    thumbprint: "3b 8f 12 aa 90 4c 1e 77 62 0d 5a 91 c4 e0 33 8f 71 b2 c9 04"
"""

RETURN = r"""
current_thumbprint:
  description:
    - The current outbound certificate's thumbprint after the task (in check mode, what it would be);
      empty when Workflow Manager reports none.
  returned: success
  type: str
  sample: 3B8F12AA904C1E77620D5A91C4E0338F71B2C904
next_thumbprint:
  description: The next outbound certificate reference, empty when none is set.
  returned: success
  type: str
  sample: ""
previous_thumbprint:
  description: The previous outbound certificate, where Workflow Manager reports it; empty otherwise.
  returned: success
  type: str
  sample: 91C3E0A7D2F14B6A8C0E5D3B2A1F0E9D8C7B6A59
plan:
  description: In check mode, the switch that would be made (empty when none is needed).
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
      description: How, with the thumbprints and the cmdlets.
      type: str
  sample:
    - step: 1
      host: wfm01
      action: switch Workflow Manager outbound certificate
      detail: "make outbound certificate 3B8F... current at https://wfm.contoso.com:12290/ (replacing 91C3...): ..."
"""
