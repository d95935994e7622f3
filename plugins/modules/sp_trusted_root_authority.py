#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.sp_trusted_root_authority action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: sp_trusted_root_authority
short_description: SharePoint's trust relationships (Central Administration, Manage Trust) for Workflow Manager's certificate
version_added: 0.1.0
description:
  - The PowerShell equivalent of the vendor procedure's Central Administration step
    (Security, Manage Trust, the trust relationship for V(00000005-0000-0000-c000-000000000000),
    Browse to the new certificate).
  - Manage Trust lists and edits SharePoint's trusted root authorities (its "root certificate for the
    trust relationship"); their cmdlets are C(Get-SPTrustedRootAuthority), C(New-SPTrustedRootAuthority)
    (U(https://learn.microsoft.com/en-us/powershell/module/sharepoint-server/new-sptrustedrootauthority)),
    C(Set-SPTrustedRootAuthority) and C(Remove-SPTrustedRootAuthority), and Microsoft's guide to
    Workflow Manager certificates in SharePoint adds them with C(New-SPTrustedRootAuthority).
  - Replacing the certificate of the existing trust relationship in place (the Browse button, or
    C(Set-SPTrustedRootAuthority)) would stop SharePoint trusting the old certificate while Workflow
    Manager still signs with it. So O(state=present) adds a trust relationship for the new
    certificate beside the old one (idempotent by thumbprint; under O(name), or O(name) followed by a
    dash and the first eight digits of the thumbprint when O(name) holds another certificate), and
    O(state=absent) removes the old one in cleanup.
  - O(state=absent) removes the trust relationships whose certificate is in O(thumbprints_to_remove)
    (or is O(certificate)); it refuses, before any change, to remove one in O(protected_thumbprints),
    and never removes SharePoint's built-in V(local) authority.
  - Runs the collection's C(sharepoint_trust_get) and C(sp_trusted_root_authority_set) scripts
    through M(ansible.windows.win_powershell); names and certificates reach PowerShell only as parameters.
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - cryptography on the controller; ansible.windows on the controller
  - SharePoint Server 2013, 2016, 2019 or Subscription Edition on the host
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.windows_action
attributes:
  check_mode:
    details: Reads the live trust relationships and returns the changes it would make in RV(plan) without making them.
  diff_mode:
    details: The trust relationships (name, thumbprint) before and after.
options:
  state:
    description:
      - V(present) ensures a trust relationship for O(certificate); V(absent) removes those of retired
        certificates; V(query) only lists.
    type: str
    choices: [present, absent, query]
    default: present
  name:
    description:
      - The trust relationship's name. Required with O(state=present).
    type: str
  certificate:
    description:
      - The public certificate to trust, as PEM text or base64 DER (a C(.cer) file's content). Exactly one
        certificate; anything holding a private key is refused.
      - Required with O(state=present); with O(state=absent) its thumbprint is added to O(thumbprints_to_remove).
    type: str
  thumbprints_to_remove:
    description:
      - With O(state=absent), the SHA-1 thumbprints of the retired certificates whose trust relationships are removed.
    type: list
    elements: str
  protected_thumbprints:
    description:
      - Thumbprints whose trust relationships must never be removed, normally Workflow Manager's current
        outbound certificate. O(state=absent) fails before any change when asked to remove one of them.
    type: list
    elements: str
    default: []
notes:
  - SharePoint cmdlets need the farm's database. Over WinRM that is a double hop; run the task with
    C(become=true), C(become_method=runas) and the farm account, or use CredSSP.
seealso:
  - module: certops.microsoft.sp_trusted_security_token_issuer
  - name: New-SPTrustedRootAuthority
    description: The cmdlet that creates a trust relationship.
    link: https://learn.microsoft.com/en-us/powershell/module/sharepoint-server/new-sptrustedrootauthority
  - name: Install Workflow Manager certificates in SharePoint Server
    description: Microsoft's guide, which trusts Workflow Manager's certificates with New-SPTrustedRootAuthority.
    link: https://learn.microsoft.com/sharepoint/governance/install-workflow-manager-certificates-in-sharepoint-server
"""

EXAMPLES = r"""
---
- name: Trust the new Workflow Manager certificate (Manage Trust), beside the old one
  certops.microsoft.sp_trusted_root_authority:
    name: WorkflowManager
    certificate: "{{ lookup('ansible.builtin.file', 'files/wfm-outbound-2026.pem') }}"

- name: Cleanup after the switch
  certops.microsoft.sp_trusted_root_authority:
    state: absent
    thumbprints_to_remove: ["{{ old_thumbprint }}"]
    protected_thumbprints: ["{{ outbound.current_thumbprint }}"]
"""

RETURN = r"""
authorities:
  description: Every trusted root authority after the task (in check mode, as they would be).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The trust relationship's name.
      type: str
      sample: WorkflowManager
    id:
      description: Its Id; V(null) for one check mode would create.
      type: str
      sample: 5f2c9a10-1b7e-4c3d-8a9f-0e6d2b4c8a71
    thumbprint:
      description: The certificate's SHA-1 thumbprint.
      type: str
      sample: 3B8F12AA904C1E77620D5A91C4E0338F71B2C904
    subject:
      description: The certificate's subject (RFC 4514).
      type: str
      sample: CN=Workflow Manager Outbound
    issuer:
      description: The certificate's issuer (RFC 4514).
      type: str
      sample: CN=Contoso Issuing CA
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
      sample: "2027-11-23T12:00:00Z"
    days_remaining:
      description: Whole days of validity left when the task ran.
      type: int
      sample: 365
    expired:
      description: Whether the certificate had expired when the task ran.
      type: bool
      sample: false
    self_signed:
      description: Whether the certificate is self-signed.
      type: bool
      sample: false
plan:
  description: In check mode, the changes that would be made, in order (empty when none is needed).
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
      description: What the step does (create or remove trusted root authority).
      type: str
    detail:
      description: Which trust relationship and certificate.
      type: str
  sample:
    - step: 1
      host: sp01
      action: create trusted root authority
      detail: "create 'WorkflowManager' for certificate 3B8F... (CN=Workflow Manager Outbound)"
"""
